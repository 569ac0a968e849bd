"""What the decision table reads about a shipment, computed once per shipment: the facts.

The rows of ``gate.core.rules`` are one line each because everything that takes more than an
attribute read is worked out here first, by ``assess``: which countries of the route or of any
party are in an embargo group, what the declared end use names (``gate.core.end_use``), which
parties a list matched (``gate.core.hits``: the shell screens the parties against the live lists
and passes the hits in ``ShipmentContext.screening``), which general licences the shipment's
countries all fall in, and which data sources are too old (DESIGN.md 2.3: the data's own dates,
never a file's modification time; every screening list is one).

``assess`` never raises: a failure is recorded in ``Facts.error`` and every line then fails
closed. It also hands back the previous facts unchanged when nothing they rest on moved, which
is what keeps a portal's repeated reads cheap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gate.core.countries import CountryGroups, GroupInfo, parse_country
from gate.core.end_use import EndUse, Vocabulary
from gate.core.hits import Hit, HitAction, PartyHits
from gate.core.parties import CONSIGNEE, Party
from gate.errors import PolicyError

if TYPE_CHECKING:
    from gate.core.rules import LineDecision


@dataclass(frozen=True, slots=True)
class Policy:
    """The ``[policy]`` and ``[table]`` limits, loaded: groups, vocabulary, the control list's age.

    ``embargo_groups`` are the groups rows 2 and 8 read, ``general_licences`` the groups row 13
    may use, in order of preference. Raises ``PolicyError`` when the pieces do not fit: no
    embargo group (rows 2 and 8 would be off), a named group that does not exist, a group that
    is both an embargo and a general licence, a non-positive age limit, an empty catch-all term.
    """

    groups: CountryGroups
    embargo_groups: tuple[str, ...] = ()
    general_licences: tuple[str, ...] = ()
    catch_all_end_uses: frozenset[str] = frozenset()
    control_max_age_days: float = 400
    vocabulary: Vocabulary = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "embargo_groups", tuple(self.embargo_groups))
        object.__setattr__(self, "general_licences", tuple(self.general_licences))
        if not self.embargo_groups:
            raise PolicyError("embargo_groups is empty: rows 2 and 8 would never match")
        for name in (*self.embargo_groups, *self.general_licences):
            if name not in self.groups:
                raise PolicyError(f"the policy names group {name!r}, which is not a group")
        both = sorted(set(self.embargo_groups) & set(self.general_licences))
        if both:
            raise PolicyError(f"group {both[0]!r} cannot be an embargo and a general licence")
        if not self.control_max_age_days > 0:
            raise PolicyError(
                f"the control list's max_age_days must be positive, not {self.control_max_age_days}"
            )
        vocabulary = Vocabulary(tuple(self.catch_all_end_uses))
        object.__setattr__(self, "catch_all_end_uses", frozenset(vocabulary.extra))
        object.__setattr__(self, "vocabulary", vocabulary)

    @property
    def max_list_age_days(self) -> float:
        """The control list's age limit (the status page's name for it)."""
        return self.control_max_age_days


@dataclass(frozen=True, slots=True)
class ShipmentContext:
    """What the rules read about the shipment a line belongs to.

    ``parties`` are the parties besides the consignee; ``screening`` the hits the shell's
    screening against the live lists found for each party (2.1): rows 4 and 6 read them.
    """

    destination: str
    consignee_name: str
    consignee_country: str
    transit: tuple[str, ...] = ()
    end_use: str | None = None
    parties: tuple[Party, ...] = ()
    end_use_codes: tuple[str, ...] = ()
    consignee_ids: tuple[tuple[str, str], ...] = ()
    screening: tuple[PartyHits, ...] = ()

    @property
    def consignee(self) -> Party:
        return Party(CONSIGNEE, self.consignee_name, self.consignee_country, self.consignee_ids)

    @property
    def all_parties(self) -> tuple[Party, ...]:
        """The consignee, then the other parties."""
        return (self.consignee, *self.parties)


@dataclass(frozen=True, slots=True)
class ListDate:
    """A screening list's date by its own account (DESIGN.md 2.3) and its age limit.

    ``dated`` ``None`` (not loaded, or no date) counts as stale. The shell passes one for every
    configured list, so a list that is not loaded holds every line (row 12) rather than
    letting a shipment clear on a screening that did not happen.
    """

    name: str
    dated: dt.datetime | None
    max_age_days: float

    def __post_init__(self) -> None:
        if self.dated is not None:
            require_aware(self.dated)


@dataclass(frozen=True, slots=True)
class ControlDates:
    """When the data was made, by its own account (DESIGN.md 2.3): the control list's Annex
    date and each configured screening list's date. Never a file's modification time.

    ``None`` means unknown, and unknown counts as stale. Datetimes must be timezone-aware.
    """

    control_list: dt.datetime | None
    lists: tuple[ListDate, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "lists", tuple(self.lists))
        if self.control_list is not None:
            require_aware(self.control_list)

    @property
    def oldest(self) -> dt.datetime | None:
        """The oldest of the dates, or ``None`` if any is unknown."""
        moments = (self.control_list, *(x.dated for x in self.lists))
        if any(moment is None for moment in moments):
            return None
        return min(moment for moment in moments if moment is not None)


def require_aware(moment: dt.datetime) -> dt.datetime:
    """Return ``moment``; raise ``ValueError`` if it has no timezone.

    Naive datetimes cannot be compared with the licences' RFC 3339 instants, and comparing two
    naive ones would silently mix the box's local time with UTC.
    """
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(f"{moment.isoformat()} has no timezone; gate works in aware datetimes")
    return moment


#: The instants the gate can hold: stored as UTC RFC 3339 and used in date arithmetic (a
#: data age, a licence's end) without overflow. An instant outside is refused where it comes in.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def require_instant(moment: dt.datetime) -> dt.datetime:
    """Return ``moment``; raise ``ValueError`` if it has no timezone or lies outside
    [``EARLIEST``, ``LATEST``) (``9999-12-31T23:59:59-05:00`` is past the last year a UTC
    timestamp can be written in)."""
    require_aware(moment)
    if not EARLIEST <= moment < LATEST:
        raise ValueError(
            f"{moment.isoformat()} is outside the times the gate can hold"
            f" ({EARLIEST.date()} to {LATEST.date()})"
        )
    return moment


Source = tuple[str, dt.datetime | None, float]

#: How far ahead of the gate's clock a source's date may lie and still count: a clock a little
#: behind the publisher's. A source dated further ahead carries a wrong date, not fresh data,
#: and is stale (as the screening lists' dates already are, ``gate.service.screening``): an
#: ``annex_date`` of 2099 must not keep the control list fresh until 2099. It turns fresh
#: once the clock is within this of its date.
FUTURE_SLACK = dt.timedelta(hours=24)


def _ahead(dated: dt.datetime, now: dt.datetime) -> bool:
    """Whether ``dated`` lies more than ``FUTURE_SLACK`` ahead of ``now`` (a wrong date)."""
    return dated - now > FUTURE_SLACK


def _sources(policy: Policy, dates: ControlDates) -> tuple[Source, ...]:
    """Each data source the decisions use: its name, its date, its age limit in days; the
    control list first."""
    screening = tuple((f"list {x.name}", x.dated, x.max_age_days) for x in dates.lists)
    return (("control list", dates.control_list, policy.control_max_age_days), *screening)


@dataclass(frozen=True, slots=True)
class SourceAge:
    """One data source's age at an instant: ``dated`` ``None`` means no date (stale)."""

    name: str
    dated: dt.datetime | None
    max_age: dt.timedelta
    age: dt.timedelta | None
    fresh: bool


def source_ages(policy: Policy, dates: ControlDates, now: dt.datetime) -> tuple[SourceAge, ...]:
    """Each data source the decisions use, with its age and whether row 12 lets it pass:
    fresh while younger than its limit and dated no more than ``FUTURE_SLACK`` ahead of
    ``now`` (the same test ``assess`` makes)."""
    ages = []
    for name, dated, days in _sources(policy, dates):
        limit = dt.timedelta(days=days)
        age = None if dated is None else now - dated
        fresh = dated is not None and not _ahead(dated, now) and now - dated < limit
        ages.append(SourceAge(name, dated, limit, age, fresh))
    return tuple(ages)


def stale_at(policy: Policy, dates: ControlDates, now: dt.datetime) -> dt.datetime | None:
    """The instant from which row 12 holds every line, or ``None`` if it already does at
    ``now`` for want of a date it can use (a source with no date, or dated more than
    ``FUTURE_SLACK`` ahead of ``now``).

    Data is stale when its age reaches its limit, so a timer set for this instant sees the
    change (a strict "older than" would need a timer one tick later).
    """
    moments: list[dt.datetime] = []
    for _, dated, days in _sources(policy, dates):
        if dated is None or _ahead(dated, now):
            return None
        moments.append(dated + dt.timedelta(days=days))
    return min(moments)


@dataclass(frozen=True, slots=True)
class GeneralLicence:
    """A general licence the shipment's countries all fall in: its group name and exclusions."""

    name: str
    info: GroupInfo


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything about a shipment the rows read, computed once by ``assess``.

    ``embargoed`` pairs each country of the route or a party with the embargo group it is in;
    ``prohibit_hits``/``licence_hits`` are the parties' screening hits by action;
    ``general_licences`` the licences whose group holds the destination and every party's
    country; ``stale`` names each data source past its limit, with its age in days (``None``:
    no date). ``error`` set means the facts could not be established; every line then fails
    closed.
    """

    embargoed: tuple[tuple[str, str], ...] = ()
    end_use: EndUse = field(default_factory=EndUse)
    prohibit_hits: tuple[PartyHits, ...] = ()
    licence_hits: tuple[PartyHits, ...] = ()
    general_licences: tuple[GeneralLicence, ...] = ()
    stale: tuple[tuple[str, int | None, float], ...] = ()
    age_days: int | None = None
    error: str | None = None
    screening: tuple[PartyHits, ...] = ()
    basis: Basis | None = field(default=None, compare=False, repr=False)
    memo: dict[tuple[object, ...], LineDecision] = field(
        default_factory=dict, compare=False, repr=False
    )


@dataclass(frozen=True, slots=True)
class Basis:
    """What a ``Facts`` value was computed from, and the time window in which it holds.

    Lets ``assess`` hand back the previous facts for the next scan of the same shipment
    without recomputing (reading the end use, the groups, the ages).
    """

    policy: Policy
    context: ShipmentContext
    dates: ControlDates
    since: dt.datetime
    until: dt.datetime | None

    def holds(
        self, policy: Policy, context: ShipmentContext, dates: ControlDates, now: dt.datetime
    ) -> bool:
        return (
            (self.policy is policy or self.policy == policy)
            and (self.context is context or self.context == context)
            and (self.dates is dates or self.dates == dates)
            and self.since <= now
            and (self.until is None or now < self.until)
        )


def _ages(
    policy: Policy, dates: ControlDates, now: dt.datetime
) -> tuple[tuple[tuple[str, int | None, float], ...], int | None, dt.datetime | None]:
    """The stale sources, the oldest source's age in whole days, and the instant until which
    both stay as they are (``None``: for ever, as unknown data stays stale).

    A source dated more than ``FUTURE_SLACK`` ahead is stale with a negative age: minus the
    whole days it lies ahead (at least one), until the clock comes within the slack of it."""
    stale: list[tuple[str, int | None, float]] = []
    oldest: int | None = 0
    until: dt.datetime | None = None
    for name, dated, days in _sources(policy, dates):
        if dated is None:
            stale.append((name, None, days))
            oldest = None
            continue
        if _ahead(dated, now):
            stale.append((name, -(dated - now).days, days))
            oldest = None
            turn = dated - FUTURE_SLACK
            until = turn if until is None else min(until, turn)
            continue
        age = now - dated
        # Whole days, so the facts stay equal (and lines are not re-decided) from one scan to
        # the next; they change at the next day boundary or when a source turns stale.
        whole = age.days
        if age >= dt.timedelta(days=days):
            stale.append((name, whole, days))
            turn = dated + dt.timedelta(days=whole + 1)
        else:
            turn = min(dated + dt.timedelta(days=whole + 1), dated + dt.timedelta(days=days))
        until = turn if until is None else min(until, turn)
        if oldest is not None:
            oldest = max(oldest, whole)
    return tuple(stale), oldest, until


def assess(
    policy: Policy,
    context: ShipmentContext,
    dates: ControlDates,
    now: dt.datetime,
    previous: Facts | None = None,
) -> Facts:
    """Compute the per-shipment facts; never raises (a failure is recorded in ``error``).

    ``previous`` (the shipment's last facts) is returned as is when it was computed from the
    same policy, context and dates and ``now`` is still inside its window.
    """
    try:
        require_aware(now)
        basis = previous.basis if previous is not None else None
        if previous is not None and basis is not None and basis.holds(policy, context, dates, now):
            return previous
        parse_country(context.destination, where="the shipment's destination", field="destination")
        parties = context.all_parties
        countries = (context.destination, *context.transit, *(p.country for p in parties))
        embargoed = tuple(
            (country, group)
            for group in policy.embargo_groups
            for country in policy.groups.any_in(group, countries)
        )
        destination_and_parties = (context.destination, *(p.country for p in parties))
        licences = tuple(
            GeneralLicence(name, policy.groups.info_of(name))
            for name in policy.general_licences
            if all(policy.groups.contains(name, code) for code in destination_and_parties)
        )
        everything = _merge(context.screening)
        if everything == context.screening:
            # The same hits: keep the context's own tuple, so the shipment that stores these
            # facts' screening is known by identity to hold them still (``Shipment.context``).
            everything = context.screening
        stale, age_days, until = _ages(policy, dates, now)
        return Facts(
            embargoed=embargoed,
            end_use=policy.vocabulary.read(context.end_use, context.end_use_codes),
            prohibit_hits=tuple(h for h in everything if h.of(HitAction.PROHIBIT)),
            licence_hits=tuple(h for h in everything if h.of(HitAction.LICENCE)),
            general_licences=licences,
            stale=stale,
            age_days=age_days,
            screening=everything,
            basis=Basis(policy, context, dates, now, until),
        )
    except Exception as exc:  # fail closed: any failure holds every line
        # ... and keeps what the shell screened: the next decision (and this one's record)
        # must still see a sanctioned party.
        return Facts(error=f"{type(exc).__name__}: {exc}", screening=context.screening)


def _merge(*sources: Iterable[PartyHits]) -> tuple[PartyHits, ...]:
    """The hits of each party from every source, one ``PartyHits`` per party, in first-seen
    order, each hit once."""
    merged: dict[Party, list[Hit]] = {}
    for source in sources:
        for party_hits in source:
            known = merged.setdefault(party_hits.party, [])
            known.extend(hit for hit in party_hits.hits if hit not in known)
    return tuple(PartyHits(party, tuple(hits)) for party, hits in merged.items())
