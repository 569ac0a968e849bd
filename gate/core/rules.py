"""The decision table: one line of a shipment in, clear / licence_required / prohibited out.

Rule 1: the table below is DESIGN.md section 2, row for row, in the same order and with the
same numbers and reason codes. Read the two side by side; a change to one is a change to the
other. Anything that does not fit a row (how a country or a name is compared, how old the
control data is) is computed beforehand into ``Facts`` and read by the rows, so the rows stay
one line each.

Rule 2: nothing here ever answers ``clear`` by accident. ``assess`` and ``decide`` never
raise: any exception, including facts that could not be established (an unknown country code,
a naive timestamp), gives ``licence_required`` with reason ``error`` (a line the central office
denied stays ``prohibited``). A category the table does not know is "not classified" (row 7),
never "not listed".

Theory of operation
===================

The first matching row decides, and its reason comes first in ``LineDecision.reasons``. Every
other row that matches *and would hold the line* (rows 1 to 9) is listed after it, in table
order. The decision is still the first row's; the extra reasons are for people, and for one
piece of logic that must not be misled by the first reason alone: a standing licence covers
only lines whose reasons are all ``cat1``/``cat2`` (see ``gate.core.licences``). A category II
line to a non-exempt destination with stale control data reads ``("cat2", "stale_list")``, and
a standing licence does not release it: the licence was granted for the item we *think* it is,
and the data saying so is out of date.

Per-shipment facts (route embargo, catch-all end use, denial-list screening, data age) are
computed once by ``assess`` and shared by all lines; ``decide`` is then a handful of attribute
reads per row, cheap enough to re-run over every line of every shipment whenever the table,
the lists or the clock move.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from gate.core.classification import CATEGORY_I, CATEGORY_II, NOT_LISTED, Classification
from gate.core.countries import EMBARGOED, CountryGroups, parse_country
from gate.core.parties import DEFAULT_THRESHOLD, DenialList, PartyMatch, fold
from gate.errors import PolicyError


class Decision(StrEnum):
    """A line's decision. Ordered by severity in ``SEVERITY``."""

    CLEAR = "clear"
    LICENCE_REQUIRED = "licence_required"
    PROHIBITED = "prohibited"


SEVERITY: Mapping[Decision, int] = {
    Decision.CLEAR: 0,
    Decision.LICENCE_REQUIRED: 1,
    Decision.PROHIBITED: 2,
}

# Reason codes, as DESIGN.md spells them, plus ``error`` for fail-closed evaluation.
CAT1_PRODUCTION = "cat1_production"
EMBARGO = "embargo"
DENIED = "denied"
DENIED_PARTY = "denied_party"
CAT1 = "cat1"
CAT2 = "cat2"
UNCLASSIFIED = "unclassified"
CATCH_ALL = "catch_all"
STALE_LIST = "stale_list"
GENERAL_LICENCE = "general_licence"
NOT_LISTED_REASON = "not_listed"
ERROR = "error"

#: The control-list flag of rule 1.
PRODUCTION = "production"

DEFAULT_CATCH_ALL: frozenset[str] = frozenset({"missile", "wmd", "nuclear", "military"})
_KNOWN_CATEGORIES = frozenset({NOT_LISTED, CATEGORY_I, CATEGORY_II})


@dataclass(frozen=True, slots=True)
class Policy:
    """The ``[policy]`` section, loaded: groups, exemptions, denial list, limits.

    Raises ``PolicyError`` when the pieces do not fit: no ``embargoed`` group (a misspelt name
    would switch rule 2 off), an exempt group that does not exist or is ``embargoed``, a
    non-positive age limit, a threshold outside (0, 1], an empty catch-all term. Catch-all end
    uses are stored ``fold``ed (casefolded, accents and punctuation removed).
    """

    groups: CountryGroups
    cat2_exempt_groups: tuple[str, ...] = ()
    denials: DenialList = field(default_factory=DenialList)
    catch_all_end_uses: frozenset[str] = DEFAULT_CATCH_ALL
    max_list_age_days: float = 90
    fuzzy_threshold: float = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        if EMBARGOED not in self.groups:
            raise PolicyError(f"the country groups have no {EMBARGOED!r} group (rule 2 needs it)")
        for name in self.cat2_exempt_groups:
            if name not in self.groups:
                raise PolicyError(f"cat2_exempt_groups names {name!r}, which is not a group")
            if name == EMBARGOED:
                raise PolicyError(f"{EMBARGOED!r} cannot be a licence-exempt group")
        if not self.max_list_age_days > 0:
            raise PolicyError(f"max_list_age_days must be positive, not {self.max_list_age_days}")
        if not 0.0 < self.fuzzy_threshold <= 1.0:
            raise PolicyError(f"the fuzzy threshold must be in (0, 1], not {self.fuzzy_threshold}")
        terms = frozenset(fold(term) for term in self.catch_all_end_uses)
        if "" in terms:
            raise PolicyError("catch_all_end_uses holds an empty term")
        object.__setattr__(self, "catch_all_end_uses", terms)
        object.__setattr__(self, "cat2_exempt_groups", tuple(self.cat2_exempt_groups))


@dataclass(frozen=True, slots=True)
class ShipmentContext:
    """What the rules read about the shipment a line belongs to."""

    destination: str
    consignee_name: str
    consignee_country: str
    transit: tuple[str, ...] = ()
    end_use: str | None = None


@dataclass(frozen=True, slots=True)
class ControlDates:
    """When the control data was made: the table compiled, the denial list last changed.

    ``None`` means unknown, and unknown counts as stale. Datetimes must be timezone-aware.
    """

    table_compiled_at: dt.datetime | None
    denials_changed_at: dt.datetime | None

    def __post_init__(self) -> None:
        for moment in (self.table_compiled_at, self.denials_changed_at):
            if moment is not None:
                require_aware(moment)

    @property
    def oldest(self) -> dt.datetime | None:
        """The older of the two dates, or ``None`` if either is unknown."""
        if self.table_compiled_at is None or self.denials_changed_at is None:
            return None
        return min(self.table_compiled_at, self.denials_changed_at)


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


def stale_at(policy: Policy, dates: ControlDates) -> dt.datetime | None:
    """The instant from which rule 9 holds every line, or ``None`` if it already does.

    The data is stale when its age reaches ``max_list_age_days``, so a timer set for this
    instant sees the change (a strict "older than" would need a timer one tick later).
    """
    oldest = dates.oldest
    if oldest is None:
        return None
    return oldest + dt.timedelta(days=policy.max_list_age_days)


@dataclass(frozen=True, slots=True)
class Screening:
    """A denial-list screening of one consignee, kept so it is not redone for every scan."""

    denials: DenialList
    threshold: float
    name: str
    country: str
    match: PartyMatch | None

    def fits(self, policy: Policy, context: ShipmentContext) -> bool:
        return (
            self.name == context.consignee_name
            and self.country == context.consignee_country
            and self.threshold == policy.fuzzy_threshold
            and (self.denials is policy.denials or self.denials == policy.denials)
        )


def screen(policy: Policy, context: ShipmentContext) -> Screening:
    """Match the consignee against the denial list. Raises ``InvalidCountry``."""
    match = policy.denials.match(
        context.consignee_name, context.consignee_country, policy.fuzzy_threshold
    )
    return Screening(
        policy.denials,
        policy.fuzzy_threshold,
        context.consignee_name,
        context.consignee_country,
        match,
    )


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything about a shipment the rows read, computed once by ``assess``.

    ``error`` set means the facts could not be established; every line then fails closed.
    """

    embargoed: tuple[str, ...] = ()
    cat2_exempt: tuple[str, ...] = ()
    catch_all_end_use: str | None = None
    party: PartyMatch | None = None
    stale: bool = True
    age_days: int | None = None
    max_age_days: float = 0.0
    error: str | None = None
    basis: Basis | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Basis:
    """What a ``Facts`` value was computed from, and the time window in which it holds.

    Lets ``assess`` hand back the previous facts for the next scan of the same shipment
    without recomputing (folding the end use, screening the consignee).
    """

    policy: Policy
    context: ShipmentContext
    dates: ControlDates
    since: dt.datetime
    until: dt.datetime | None
    screening: Screening

    def holds(
        self, policy: Policy, context: ShipmentContext, dates: ControlDates, now: dt.datetime
    ) -> bool:
        return (
            (self.policy is policy or self.policy == policy)
            and self.context == context
            and self.dates == dates
            and self.since <= now
            and (self.until is None or now < self.until)
        )


def assess(
    policy: Policy,
    context: ShipmentContext,
    dates: ControlDates,
    now: dt.datetime,
    previous: Facts | None = None,
) -> Facts:
    """Compute the per-shipment facts; never raises (a failure is recorded in ``error``).

    ``previous`` (the shipment's last facts) is returned as is when it was computed from the
    same policy, context and dates and ``now`` is still inside its window; its denial-list
    screening is reused when only the clock moved.
    """
    try:
        require_aware(now)
        basis = previous.basis if previous is not None else None
        if previous is not None and basis is not None and basis.holds(policy, context, dates, now):
            return previous
        parse_country(context.destination, where="the shipment's destination")
        embargoed = policy.groups.any_in(EMBARGOED, (context.destination, *context.transit))
        exempt = tuple(
            name
            for name in policy.cat2_exempt_groups
            if policy.groups.contains(name, context.destination)
        )
        cached = basis.screening if basis is not None else None
        screening = (
            cached
            if cached is not None and cached.fits(policy, context)
            else screen(policy, context)
        )
        oldest = dates.oldest
        limit = dt.timedelta(days=policy.max_list_age_days)
        if oldest is None:
            stale, age_days, until = True, None, None
        else:
            age = now - oldest
            stale = age >= limit
            # Whole days, so the facts stay equal (and lines are not re-decided) from one
            # scan to the next; they change at the next day boundary or when the data
            # turns stale.
            age_days = age.days
            until = oldest + dt.timedelta(days=age_days + 1)
            if not stale:
                until = min(until, oldest + limit)
        return Facts(
            embargoed=embargoed,
            cat2_exempt=exempt,
            catch_all_end_use=catch_all_term(policy, context.end_use),
            party=screening.match,
            stale=stale,
            age_days=age_days,
            max_age_days=policy.max_list_age_days,
            basis=Basis(policy, context, dates, now, until, screening),
        )
    except Exception as exc:  # fail closed: any failure holds every line
        return Facts(error=f"{type(exc).__name__}: {exc}")


def catch_all_term(policy: Policy, end_use: str | None) -> str | None:
    """The catch-all term the declared end use names, or ``None``.

    Compared word-wise after ``fold``: "Military (aircraft)" names "military", and a
    multi-word term matches as a run of words. A free-text end use naming a catch-all term
    anywhere is caught; that errs towards holding, as a catch-all should.
    """
    if not end_use:
        return None
    padded = f" {fold(end_use)} "
    for term in sorted(policy.catch_all_end_uses):
        if f" {term} " in padded:
            return term
    return None


class Case:
    """One line as the rows see it: the shipment's facts plus the line's classification.

    The yes/no questions the rows ask are answered once, here, so that each row is a couple
    of attribute reads (the table runs for every line at every re-evaluation).
    """

    __slots__ = (
        "category",
        "container",
        "denied",
        "denied_party",
        "exempt",
        "facts",
        "flags",
        "listed",
        "route_embargoed",
        "unclassified",
        "unlisted",
    )

    def __init__(
        self,
        facts: Facts,
        classification: Classification | None,
        *,
        denied: bool,
        container: bool,
    ) -> None:
        category = None if classification is None else classification.category
        self.facts = facts
        self.category = category
        self.flags: frozenset[str] = frozenset() if classification is None else classification.flags
        self.denied = denied
        self.container = container
        self.listed = category in (CATEGORY_I, CATEGORY_II)
        self.unlisted = category == NOT_LISTED
        self.unclassified = category not in _KNOWN_CATEGORIES
        self.route_embargoed = bool(facts.embargoed)
        self.exempt = bool(facts.cat2_exempt)
        self.denied_party = facts.party is not None


@dataclass(frozen=True, slots=True)
class Rule:
    """A row of the decision table."""

    number: int
    applies: Callable[[Case], bool]
    decision: Decision
    reason: str


P, L, C = Decision.PROHIBITED, Decision.LICENCE_REQUIRED, Decision.CLEAR

# DESIGN.md section 2. First match wins. Keep the numbers, the order and the reason codes.
RULES: tuple[Rule, ...] = (
    Rule(1, lambda c: PRODUCTION in c.flags, P, CAT1_PRODUCTION),
    Rule(2, lambda c: c.listed and c.route_embargoed, P, EMBARGO),
    Rule(3, lambda c: c.denied, P, DENIED),
    Rule(4, lambda c: c.listed and c.denied_party, L, DENIED_PARTY),
    Rule(5, lambda c: c.category == CATEGORY_I, L, CAT1),
    Rule(6, lambda c: c.category == CATEGORY_II and not c.exempt, L, CAT2),
    Rule(7, lambda c: c.unclassified, L, UNCLASSIFIED),
    Rule(8, lambda c: c.unlisted and (
        c.route_embargoed or c.facts.catch_all_end_use is not None or c.denied_party
    ), L, CATCH_ALL),
    Rule(9, lambda c: c.facts.stale, L, STALE_LIST),
    Rule(10, lambda c: c.category == CATEGORY_II and c.exempt, C, GENERAL_LICENCE),
    Rule(11, lambda c: True, C, NOT_LISTED_REASON),
)  # fmt: skip


def _explain_unclassified(c: Case) -> str:
    if c.container:
        return "container (SSCC) not in the shipment's manifest"
    if c.category is None:
        return "item key not in the control table"
    return f"the table gives category {c.category}, which the rules do not know"


def _explain_catch_all(c: Case) -> str:
    why = []
    if c.facts.embargoed:
        why.append(f"route through embargoed {', '.join(c.facts.embargoed)}")
    if c.facts.catch_all_end_use is not None:
        why.append(f"declared end use names {c.facts.catch_all_end_use!r}")
    if c.facts.party is not None:
        why.append(c.facts.party.describe())
    return "unlisted item, but " + " and ".join(why)


def _explain_stale(c: Case) -> str:
    if c.facts.age_days is None:
        return "the age of the control data is unknown"
    return f"control data is {c.facts.age_days} days old (limit {c.facts.max_age_days:g})"


_EXPLAIN: Mapping[str, Callable[[Case], str]] = {
    CAT1_PRODUCTION: lambda c: "Category I production facility or technology",
    EMBARGO: lambda c: f"listed item, route through embargoed {', '.join(c.facts.embargoed)}",
    DENIED: lambda c: "denied by the central office",
    DENIED_PARTY: lambda c: c.facts.party.describe() if c.facts.party else "denied party",
    CAT1: lambda c: "Category I item: strong presumption of denial",
    CAT2: lambda c: "Category II item to a destination without a general licence",
    UNCLASSIFIED: _explain_unclassified,
    CATCH_ALL: _explain_catch_all,
    STALE_LIST: _explain_stale,
    GENERAL_LICENCE: lambda c: (
        f"Category II item, general licence ({', '.join(c.facts.cat2_exempt)})"
    ),
    NOT_LISTED_REASON: lambda c: "not listed",
}


@dataclass(frozen=True, slots=True)
class LineDecision:
    """The answer for one line: decision, reasons (primary first), the deciding row.

    ``rule`` is 0 when the table was not reached (evaluation failed, reason ``error``).
    ``detail`` explains each reason for an operator; ``party`` is the denial-list match when a
    reason rests on one.
    """

    decision: Decision
    reasons: tuple[str, ...]
    rule: int
    detail: str = ""
    party: PartyMatch | None = None

    @property
    def reason(self) -> str:
        """The primary reason: the first matching row's."""
        return self.reasons[0]


def decide(
    facts: Facts,
    classification: Classification | None,
    *,
    denied: bool = False,
    container: bool = False,
) -> LineDecision:
    """Run the table over one line. Never raises and never clears on a failure.

    ``classification`` ``None`` means not in the table; ``container`` says the line is a
    scanned SSCC missing from the manifest (also rule 7); ``denied`` that the central office
    denied the line (rule 3).
    """
    try:
        if facts.error is not None:
            raise _FactsUnavailable(facts.error)
        case = Case(facts, classification, denied=denied, container=container)
        hits = [rule for rule in RULES if rule.applies(case)]
        first = hits[0]
        reasons = (first.reason, *[r.reason for r in hits[1:] if r.decision is not C])
        on_party = DENIED_PARTY in reasons or CATCH_ALL in reasons
        return LineDecision(
            first.decision,
            reasons,
            first.number,
            "; ".join([_EXPLAIN[reason](case) for reason in reasons]),
            facts.party if on_party else None,
        )
    except Exception as exc:  # fail closed, whatever went wrong
        return failed(exc, denied=denied)


class _FactsUnavailable(Exception):
    pass


def failed(exc: BaseException | str, *, denied: bool = False) -> LineDecision:
    """The fail-closed answer when a line cannot be evaluated.

    A line the office denied stays prohibited (rule 3 needs no other input); any other line
    needs a licence, reason ``error``.
    """
    why = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    if denied:
        return LineDecision(P, (DENIED, ERROR), 3, f"denied by the central office; {why}")
    return LineDecision(L, (ERROR,), 0, f"could not be evaluated: {why}")


def decide_line(
    policy: Policy,
    classification: Classification | None,
    context: ShipmentContext,
    dates: ControlDates,
    now: dt.datetime,
    *,
    denied: bool = False,
) -> LineDecision:
    """``assess`` and ``decide`` in one call, for a single line."""
    return decide(assess(policy, context, dates, now), classification, denied=denied)


def worst(decisions: Iterable[Decision]) -> Decision:
    """The most severe of ``decisions``; ``clear`` for none."""
    return max(decisions, key=SEVERITY.__getitem__, default=Decision.CLEAR)
