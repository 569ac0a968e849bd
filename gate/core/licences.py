"""Licences: what releases a ``licence_required`` line, and what using one costs.

Two things cover a line (DESIGN.md section 2):

* an ``Approval`` from the central office that answers one of this shipment's licence
  requests, names the line's key with at least the line's quantity, and is still valid;
* a ``StandingLicence`` pushed to the gate for a consignee and destination, for lines whose
  reasons are all ``cat1``/``cat2``, with enough quantity left. ``cat1`` only when the licence
  says ``category_1``: a Category I item is a strong presumption of denial, and a licence
  granted for Category II goods must not release one by sharing a control code's list. A line
  held for ``listed_party``, ``catch_all``, ``unclassified``, ``stale_data`` (or any other
  reason) needs the office's own approval. The consignee is the licence's when its country is
  the licence's and an identifier matches (if either side has identifiers), else when the
  normalised name matches too (``gate.core.parties.Party.same_as``). Not for a line whose
  key may stand for more than one unit (``gate.core.gs1.groups_units``: a case, tray, pack or
  variable measure item): a licence counts units, and a case read once counts 1 on its line
  whatever it holds, so "a licence for 1 unit" would release a case of 10. Such a line is
  asked of the office, whose request shows the key and its description.

Invariant: a standing licence's ``remaining`` never goes below zero. Coverage only counts
quantity that is there, and ``draw_down`` refuses (``Overdraw``), all or nothing, a dispatch
that would take more, so two shipments that both counted on the last units cannot both leave.

How lines share a standing licence
----------------------------------

Each line picks its licence by itself: among the licences that match it (consignee,
destination, control code, in force at ``now``) and have room for the line alone, the one
that expires first (then the lower number), so the licence about to lapse is used while it
still can be. The lines that picked one licence then queue in line order, and a line is
covered only if the running total up to and including it fits in ``remaining``. A line that
does not fit keeps its place in the queue: the lines behind it are not moved up.

This is deliberately not a best packing. Any rule where one line's cover depends on how the
*other* lines were placed (first-fit with fallback, "skip the one that does not fit")
can un-cover a line when goods are unloaded: removing line A lets B move to A's licence and
crowd out C. With choices made per line and a fixed queue, unloading only ever shortens a
queue, so removing a line never adds a hold. The cost is an occasional extra licence request
in a shipment that was held anyway.

An approval is preferred to a standing licence: it was granted for this shipment, and leaves
the standing quantity for shipments that have no approval.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from gate.core.countries import parse_country
from gate.core.gs1 import groups_units
from gate.core.parties import END_USER, Party, normalise, parse_ids
from gate.core.rules import CAT1, CAT2, require_aware, require_instant
from gate.errors import Conflict, GateError, InvalidApproval, LicenceError, Overdraw

#: The reasons a standing licence may release. Any other reason on the line (a listed party,
#: stale data, a catch-all, an error) needs the central office's eyes on this shipment.
STANDING_REASONS: frozenset[str] = frozenset({CAT1, CAT2})
#: What a licence without ``category_1`` may release.
CATEGORY_II_REASONS: frozenset[str] = frozenset({CAT2})


def _text_ok(*texts: str | None) -> bool:
    """Whether every text is valid Unicode text (no lone surrogates, which JSON can carry but
    no UTF-8 record can hold)."""
    try:
        for text in texts:
            if text is not None:
                text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class ApprovalDecision(StrEnum):
    APPROVED = "approved"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class RequestLine:
    """One uncovered line as sent to the central office in a licence request.

    Its serials are those counted on line ``key`` in ``epoch``; the shell adds them to the
    request it sends (they are kept apart from the values, see ``SerialBook``).
    """

    key: str
    description: str
    control: str
    category: int | None
    quantity: int
    epoch: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LicenceRequest:
    """A licence request for a held shipment's uncovered lines."""

    request_id: str
    shipment_id: str
    lines: tuple[RequestLine, ...]
    created_at: dt.datetime

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(line.key for line in self.lines)


@dataclass(frozen=True, slots=True)
class Approval:
    """The central office's answer to a licence request (the approval callback's body).

    ``lines`` ``None`` means all lines of the request, as requested. An approval needs a
    licence number and an aware ``valid_until`` the gate can hold (``require_instant``); a
    denial needs neither. Raises
    ``InvalidApproval`` for anything else, and for non-positive or repeated line quantities.
    """

    request_id: str
    shipment_id: str
    decision: ApprovalDecision
    lines: tuple[tuple[str, int], ...] | None = None
    licence_number: str | None = None
    valid_until: dt.datetime | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "decision", ApprovalDecision(self.decision))
        except ValueError:
            raise InvalidApproval(
                f"decision must be 'approved' or 'denied', not {self.decision!r}"
            ) from None
        if not self.request_id or not self.shipment_id:
            raise InvalidApproval("an approval names its request_id and shipment_id")
        if self.lines is not None:
            lines = tuple((key, quantity) for key, quantity in self.lines)
            keys = [key for key, _ in lines]
            if len(set(keys)) != len(keys):
                raise InvalidApproval("an approval names a line more than once")
            for key, quantity in lines:
                if not key or type(quantity) is not int or quantity < 1:
                    raise InvalidApproval(f"line {key!r}: quantity must be a positive integer")
            object.__setattr__(self, "lines", lines)
        if self.decision is ApprovalDecision.APPROVED:
            if not self.licence_number:
                raise InvalidApproval("an approval carries a licence number")
            if self.valid_until is None:
                raise InvalidApproval("an approval carries the licence's valid_until")
        if self.valid_until is not None:
            try:
                require_instant(self.valid_until)
            except ValueError as exc:
                raise InvalidApproval(f"valid_until: {exc}") from None
        keys = [key for key, _ in self.lines or ()]
        if not _text_ok(self.request_id, self.shipment_id, self.licence_number, self.reason, *keys):
            raise InvalidApproval("an approval's text holds a lone surrogate")

    @property
    def approved(self) -> bool:
        return self.decision is ApprovalDecision.APPROVED

    def granted(self, request: LicenceRequest) -> Mapping[str, int]:
        """Key -> quantity this approval names among the request's lines.

        Keys the request did not ask for are ignored: an approval answers a request, and a
        line the office was never asked about has not been looked at.
        """
        if self.lines is None:
            return {line.key: line.quantity for line in request.lines}
        asked = request.keys
        return {key: quantity for key, quantity in self.lines if key in asked}

    def in_force(self, now: dt.datetime) -> bool:
        return self.approved and self.valid_until is not None and now < self.valid_until


@dataclass(frozen=True, slots=True)
class StandingLicence:
    """A licence the central office pushed to the gate (``POST /licences``).

    Valid from ``valid_from`` (inclusive) to ``valid_until`` (exclusive). ``remaining`` starts
    at ``quantity`` and is drawn down at dispatch. Raises ``LicenceError`` for a malformed
    licence and ``InvalidCountry`` for unknown country codes.
    """

    number: str
    consignee_name: str
    consignee_country: str
    destination: str
    controls: frozenset[str]
    quantity: int
    remaining: int
    valid_from: dt.datetime
    valid_until: dt.datetime
    consignee_ids: tuple[tuple[str, str], ...] = ()
    category_1: bool = False
    #: When the office signed the push (its webhook timestamp, Unix seconds; 0: not known):
    #: an older push of the same number, delivered late, must not replace a newer one.
    signed_at: int = field(default=0, compare=False)
    #: Units this gate has drawn on the licence's number, under this push and every push of
    #: it before (-1: ``quantity - remaining``, none before). Kept, not worked out from
    #: ``remaining``: a push of fewer units than were drawn leaves ``remaining`` at 0 and
    #: would forget the rest, and the next push of more would ship them again.
    drawn: int = -1
    consignee_key: str = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        where = f"standing licence {self.number!r}"
        if not self.number:
            raise LicenceError("a standing licence needs a number", field="number")
        if not _text_ok(self.number, self.consignee_name, *self.controls):
            raise LicenceError(f"{where}: its text holds a lone surrogate")
        parse_country(
            self.consignee_country, where=f"{where} (consignee)", field="consignee.country"
        )
        parse_country(self.destination, where=f"{where} (destination)", field="destination")
        if type(self.quantity) is not int or self.quantity < 0:
            raise LicenceError(
                f"{where}: quantity must be a non-negative integer", field="quantity"
            )
        if type(self.remaining) is not int or not 0 <= self.remaining <= self.quantity:
            raise LicenceError(f"{where}: remaining must be between 0 and {self.quantity}")
        if type(self.drawn) is not int:
            raise LicenceError(f"{where}: drawn must be an integer")
        if self.drawn < 0:
            object.__setattr__(self, "drawn", self.quantity - self.remaining)
        if self.remaining > max(0, self.quantity - self.drawn):
            raise LicenceError(
                f"{where}: {self.remaining} remaining of {self.quantity} with {self.drawn} drawn"
            )
        for name, instant in (("valid_from", self.valid_from), ("valid_until", self.valid_until)):
            try:
                require_instant(instant)
            except ValueError as exc:
                raise LicenceError(f"{where}: {exc}", field=name) from None
        if not self.valid_from < self.valid_until:
            raise LicenceError(
                f"{where}: valid_from must be before valid_until", field="valid_until"
            )
        key = normalise(self.consignee_name)
        if not key:
            raise LicenceError(f"{where}: the consignee needs a name", field="consignee.name")
        if type(self.category_1) is not bool:
            raise LicenceError(f"{where}: category_1 must be true or false", field="category_1")
        try:
            ids = parse_ids(dict(self.consignee_ids), where=f"{where} (consignee ids)")
        except GateError as exc:
            raise LicenceError(str(exc), field="consignee.ids") from None
        object.__setattr__(self, "consignee_ids", ids)
        object.__setattr__(self, "controls", frozenset(self.controls))
        object.__setattr__(self, "consignee_key", key)

    @classmethod
    def issued(
        cls,
        number: str,
        *,
        consignee_name: str,
        consignee_country: str,
        destination: str,
        controls: Iterable[str],
        quantity: int,
        valid_from: dt.datetime,
        valid_until: dt.datetime,
        consignee_ids: tuple[tuple[str, str], ...] = (),
        category_1: bool = False,
        signed_at: int = 0,
    ) -> StandingLicence:
        """A licence as pushed, nothing drawn yet (``remaining == quantity``)."""
        return cls(
            number,
            consignee_name,
            consignee_country,
            destination,
            frozenset(controls),
            quantity,
            quantity,
            valid_from,
            valid_until,
            consignee_ids,
            category_1,
            signed_at,
        )

    def in_force(self, now: dt.datetime) -> bool:
        return self.valid_from <= now < self.valid_until

    def serves(self, consignee: Party, destination: str, parties: Iterable[Party] = ()) -> bool:
        """Whether the licence is for this consignee and place: the country always, and by
        identifier when either side has one, else by normalised name (``Party.same_as``).
        Never for ``parties`` naming an end user in another country: the licence names a
        consignee and a destination, and those goods are a re-export it does not name
        (attack16), for the office to approve."""
        return (
            self.destination == destination
            and consignee.same_as(self.consignee_ids, self.consignee_key, self.consignee_country)
            and all(p.role != END_USER or p.country == destination for p in parties)
        )

    @property
    def releases(self) -> frozenset[str]:
        """The reasons this licence may release: ``cat2``, and ``cat1`` with ``category_1``."""
        return STANDING_REASONS if self.category_1 else CATEGORY_II_REASONS


class CoverKind(StrEnum):
    APPROVAL = "approval"
    STANDING = "standing"


@dataclass(frozen=True, slots=True)
class Coverage:
    """What covers a line: an approval (with its request) or a standing licence."""

    kind: CoverKind
    licence: str
    valid_until: dt.datetime
    request_id: str | None = None

    def describe(self) -> str:
        if self.kind is CoverKind.APPROVAL:
            return f"approval {self.request_id}, licence {self.licence}"
        return f"standing licence {self.licence}"


@dataclass(frozen=True, slots=True)
class Need:
    """A ``licence_required`` line looking for cover."""

    key: str
    control: str
    quantity: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Drawdown:
    """Quantity a dispatch takes from a standing licence, and the lines it is for."""

    licence: str
    quantity: int
    keys: tuple[str, ...]


def approval_cover(
    need: Need,
    *,
    requests: Sequence[LicenceRequest],
    approvals: Sequence[Approval],
    now: dt.datetime,
) -> Coverage | None:
    """The approval that covers ``need`` at ``now``, or ``None``.

    ``requests`` and ``approvals`` must be the shipment's own (its id is checked where an
    approval is applied). An approval covers the line if it answers one of those requests,
    names the key with at least the line's quantity, and its licence is valid at ``now``, and
    only for the reasons the request gave: a line held since for a reason the office was not
    asked about (a party listed after the approval, data gone stale) is not covered by it.
    Quantities of several approvals do not add up: each is checked against the whole line.
    Of several that cover, the one valid longest is reported.
    """
    by_id = {request.request_id: request for request in requests}
    best: Coverage | None = None
    for approval in approvals:
        request = by_id.get(approval.request_id)
        if request is None or not approval.in_force(now) or approval.licence_number is None:
            continue
        if approval.granted(request).get(need.key, 0) < need.quantity:
            continue
        asked = {r for line in request.lines if line.key == need.key for r in line.reasons}
        if not asked.issuperset(need.reasons):
            continue
        assert approval.valid_until is not None  # in_force() checked it
        if best is None or approval.valid_until > best.valid_until:
            best = Coverage(
                CoverKind.APPROVAL,
                approval.licence_number,
                approval.valid_until,
                approval.request_id,
            )
    return best


def cover(
    needs: Sequence[Need],
    *,
    requests: Sequence[LicenceRequest],
    approvals: Sequence[Approval],
    licences: Iterable[StandingLicence],
    consignee: Party,
    destination: str,
    now: dt.datetime,
) -> tuple[Coverage | None, ...]:
    """Cover each of ``needs`` (in line order), by approval first, then standing licence.

    The answer is aligned with ``needs``; ``None`` marks a line nothing covers. See the module
    docstring for how lines share a standing licence.
    """
    require_aware(now)
    usable = sorted(
        (
            licence
            for licence in licences
            if licence.in_force(now) and licence.serves(consignee, destination)
        ),
        key=lambda licence: (licence.valid_until, licence.number),
    )
    queued: dict[str, int] = {}
    answer: list[Coverage | None] = []
    for need in needs:
        found = approval_cover(need, requests=requests, approvals=approvals, now=now)
        if (
            found is None
            and need.reasons
            and STANDING_REASONS.issuperset(need.reasons)
            and not groups_units(need.key)
        ):
            found = _standing_cover(need, usable, queued)
        answer.append(found)
    return tuple(answer)


def _standing_cover(
    need: Need, usable: Sequence[StandingLicence], queued: dict[str, int]
) -> Coverage | None:
    for licence in usable:
        if not licence.releases.issuperset(need.reasons):
            continue
        if need.control in licence.controls and need.quantity <= licence.remaining:
            total = queued.get(licence.number, 0) + need.quantity
            queued[licence.number] = total
            if total > licence.remaining:
                return None
            return Coverage(CoverKind.STANDING, licence.number, licence.valid_until)
    return None


def drawdowns(covered: Iterable[tuple[str, int, Coverage | None]]) -> tuple[Drawdown, ...]:
    """The drawdowns for ``(key, quantity, coverage)`` lines, one per standing licence."""
    totals: dict[str, int] = {}
    keys: dict[str, list[str]] = {}
    for key, quantity, coverage in covered:
        if coverage is None or coverage.kind is not CoverKind.STANDING:
            continue
        totals[coverage.licence] = totals.get(coverage.licence, 0) + quantity
        keys.setdefault(coverage.licence, []).append(key)
    return tuple(Drawdown(number, totals[number], tuple(keys[number])) for number in totals)


def draw_down(
    licences: Sequence[StandingLicence], taken: Iterable[Drawdown]
) -> tuple[StandingLicence, ...]:
    """``licences`` with ``taken`` drawn from them, all or nothing.

    Raises ``Overdraw`` if any licence would go below zero and ``LicenceError`` for a
    drawdown naming a licence that is not there; in both cases nothing is drawn.
    """
    totals: dict[str, int] = {}
    for drawdown in taken:
        if drawdown.quantity < 0:
            raise LicenceError(f"drawdown of {drawdown.quantity} from {drawdown.licence}")
        totals[drawdown.licence] = totals.get(drawdown.licence, 0) + drawdown.quantity
    by_number = {licence.number: licence for licence in licences}
    for number, total in totals.items():
        licence = by_number.get(number)
        if licence is None:
            raise LicenceError(f"there is no standing licence {number!r} to draw on")
        if total > licence.remaining:
            raise Overdraw(number, licence.remaining, total)
    return tuple(
        replace(
            licence,
            remaining=licence.remaining - totals[licence.number],
            drawn=licence.drawn + totals[licence.number],
        )
        if licence.number in totals
        else licence
        for licence in licences
    )


def upsert(
    licences: Sequence[StandingLicence], pushed: StandingLicence
) -> tuple[StandingLicence, ...]:
    """``licences`` with ``pushed`` added, or replacing the licence with the same number.

    A replacement keeps what this gate already drew on the old one and every push of the
    number before it (``remaining`` is the new quantity less all the units drawn, never below
    zero; ``drawn`` carries over): a re-push that resets the count, or a push of fewer units
    than were drawn followed by one of more, would let the gate ship the same units twice.
    Raises Conflict for a push signed before the one in use (delivered late, it would bring
    back what the newer one took away).
    """
    kept: list[StandingLicence] = []
    merged = pushed
    for licence in licences:
        if licence.number == pushed.number and pushed.signed_at < licence.signed_at:
            raise Conflict(
                f"standing licence {pushed.number}: this push was signed at {pushed.signed_at},"
                f" before the one in use ({licence.signed_at}): nothing changed"
            )
        if licence.number == pushed.number:
            left = max(0, min(pushed.remaining, pushed.quantity - licence.drawn))
            merged = replace(pushed, remaining=left, drawn=licence.drawn)
        else:
            kept.append(licence)
    return (*kept, merged)


def next_expiry(
    now: dt.datetime,
    *,
    coverages: Iterable[Coverage | None] = (),
    approvals: Iterable[Approval] = (),
    licences: Iterable[StandingLicence] = (),
) -> dt.datetime | None:
    """The next instant after ``now`` at which cover for a shipment can change, or ``None``.

    That is the earliest of: the end of any cover in use, the end of any approval, and the
    start or end of any of ``licences`` (pass those for the shipment's consignee and
    destination: a licence coming into force can release a held shipment). The shell sets a
    timer for it and re-evaluates the shipment then.
    """
    moments: list[dt.datetime] = [c.valid_until for c in coverages if c is not None]
    moments += [a.valid_until for a in approvals if a.approved and a.valid_until is not None]
    for licence in licences:
        moments += [licence.valid_from, licence.valid_until]
    return min((moment for moment in moments if moment > now), default=None)
