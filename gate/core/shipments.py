"""Shipments: lines built from scans, decided by the rules, and the state they add up to.

Rule 1: a shipment's state is *derived*, never set. Between ``seal`` and the end it is a
function of the active (not removed) lines: ``blocked`` if any is prohibited, else ``held``
if any needs a licence it does not have, else ``cleared``. Every event (a scan, a removal, an
approval, a new table, the clock passing a licence's end) re-derives it from scratch, so no
sequence of events can leave a shipment ``cleared`` over a line that stops it. Only the two
final states are set by events: ``dispatched`` (from ``cleared``, after one more full
evaluation at that instant) and ``cancelled``.

Rule 2: the events a state accepts are a table (``ACCEPTS``), and so is the door signal
(``SIGNALS``). A state not in a table accepts nothing and shows red.

Theory of operation
===================

Every transition is a function ``(shipment, event, controls, now) -> Transition``. The
``Transition`` carries the new shipment, the lines the event touched (for the scan answer)
and the *effects* the shell must carry out: ``LicenceRequestNeeded`` (queue a request to the
central office) and, on dispatch, ``Drawdown``s of standing licences. The core never sends,
stores or waits; it returns what should happen.

Counting. A serial counts once per shipment however often it is read; a scan without a
serial adds one unit. A container (SSCC) in the manifest expands into its contents once
(each content's GTIN classified through ``Controls.classify``); one not in the manifest
becomes an ``unclassified`` line keyed by the SSCC, also counted once. Removing a line means
all goods of that key were unloaded: its counts are kept for the record, and any later read
of those goods (in an open shipment) starts the line again from that read, so goods put back
on the truck are never missed. A read that changes nothing (a serial already counted) returns
the shipment as it was.

Licence requests. Whenever an evaluation leaves a sealed shipment ``held``, every uncovered
line that has no unanswered request for at least its quantity goes into one new request,
with a deterministic id (``<shipment id>-r<n>``), so replaying the same events gives the
same ids. An approval for fewer units than were loaded answers that request without
covering the line, so the next evaluation asks again for the full quantity. A blocked
shipment asks for nothing: the prohibited goods come off first, then what still needs a
licence is requested.

Denials are final for their lines: the line stays ``prohibited`` (rule 3) for as long as it
is on the truck; unloading it is the only way on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter
from typing import Any, TypeVar

from gate.core.classification import Classification
from gate.core.countries import parse_country
from gate.core.identifiers import Identifier
from gate.core.licences import (
    Approval,
    Coverage,
    Drawdown,
    LicenceRequest,
    Need,
    RequestLine,
    StandingLicence,
    cover,
    drawdowns,
    next_expiry,
)
from gate.core.parties import normalise
from gate.core.rules import (
    ERROR,
    ControlDates,
    Decision,
    Facts,
    LineDecision,
    Policy,
    ShipmentContext,
    assess,
    decide,
    failed,
    require_aware,
    stale_at,
)
from gate.errors import (
    DispatchRefused,
    InvalidApproval,
    InvalidCode,
    InvalidShipment,
    NotOpen,
    ShipmentFinal,
    StateError,
    UnknownLine,
    UnknownState,
)


class State(StrEnum):
    OPEN = "open"
    HELD = "held"
    BLOCKED = "blocked"
    CLEARED = "cleared"
    DISPATCHED = "dispatched"
    CANCELLED = "cancelled"


class Signal(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


FINAL: frozenset[State] = frozenset({State.DISPATCHED, State.CANCELLED})
_LIVE = frozenset({State.OPEN, State.HELD, State.BLOCKED, State.CLEARED})
_SEALED = frozenset({State.HELD, State.BLOCKED, State.CLEARED})

#: Which events each state accepts. Anything else raises a ``StateError`` subclass.
ACCEPTS: Mapping[str, frozenset[State]] = {
    "scan": frozenset({State.OPEN}),
    "seal": frozenset({State.OPEN}),
    "remove": _LIVE,
    "approval": _SEALED,
    "reevaluate": _LIVE,
    "dispatch": frozenset({State.CLEARED}),
    "cancel": _LIVE | {State.CANCELLED},
}

#: Door signal per state; ``None`` = depends on the lines (open: red once a prohibited item is
#: scanned). A closed shipment no longer holds the door, which shows amber (nothing cleared).
SIGNALS: Mapping[State, Signal | None] = {
    State.OPEN: None,
    State.HELD: Signal.AMBER,
    State.BLOCKED: Signal.RED,
    State.CLEARED: Signal.GREEN,
    State.DISPATCHED: Signal.AMBER,
    State.CANCELLED: Signal.AMBER,
}

_UNDECIDED = LineDecision(Decision.LICENCE_REQUIRED, (ERROR,), 0, "not evaluated yet")


@dataclass(frozen=True, slots=True)
class Consignee:
    """The consignee; ``key`` is the normalised name licences and denials compare."""

    name: str
    country: str
    key: str = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        parse_country(self.country, where="the consignee's country")
        key = normalise(self.name)
        if not key:
            raise InvalidShipment("the consignee needs a name")
        object.__setattr__(self, "key", key)


@dataclass(frozen=True, slots=True)
class ManifestItem:
    """One content of a container: a GTIN (stored as GTIN-14), a quantity, known serials.

    ``serials`` are those of the ``quantity`` units that carry one; the rest count without.
    """

    gtin: str
    quantity: int
    serials: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        gtin = self.gtin
        if not (gtin.isascii() and gtin.isdigit() and len(gtin) in (8, 12, 13, 14)):
            raise InvalidShipment(f"manifest GTIN {gtin!r} is not 8, 12, 13 or 14 digits")
        if type(self.quantity) is not int or self.quantity < 1:
            raise InvalidShipment(f"manifest GTIN {gtin}: quantity must be a positive integer")
        serials = frozenset(self.serials)
        if len(serials) > self.quantity:
            raise InvalidShipment(
                f"manifest GTIN {gtin}: {len(serials)} serials for {self.quantity} units"
            )
        object.__setattr__(self, "gtin", gtin.zfill(14))
        object.__setattr__(self, "serials", serials)


@dataclass(frozen=True, slots=True)
class Manifest:
    """The shipment's manifest: SSCC -> contents."""

    containers: tuple[tuple[str, tuple[ManifestItem, ...]], ...] = ()
    _index: Mapping[str, tuple[ManifestItem, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        index: dict[str, tuple[ManifestItem, ...]] = {}
        for sscc, contents in self.containers:
            if not (sscc.isascii() and sscc.isdigit() and len(sscc) == 18):
                raise InvalidShipment(f"manifest SSCC {sscc!r} is not 18 digits")
            if sscc in index:
                raise InvalidShipment(f"manifest lists SSCC {sscc} twice")
            index[sscc] = tuple(contents)
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_mapping(
        cls, mapping: Mapping[str, Iterable[ManifestItem | tuple[str, int, Iterable[str]]]]
    ) -> Manifest:
        """Build from ``{sscc: [(gtin, quantity, serials), ...]}``. Raises ``InvalidShipment``."""
        return cls(
            tuple(
                (
                    sscc,
                    tuple(
                        item
                        if isinstance(item, ManifestItem)
                        else ManifestItem(item[0], item[1], frozenset(item[2]))
                        for item in contents
                    ),
                )
                for sscc, contents in mapping.items()
            )
        )

    def __contains__(self, sscc: object) -> bool:
        return sscc in self._index

    def contents(self, sscc: str) -> tuple[ManifestItem, ...] | None:
        return self._index.get(sscc)


@dataclass(frozen=True, slots=True)
class Line:
    """One item key (or unknown container) of a shipment, with its counts and decision.

    ``quantity`` is the units without serial plus the distinct serials. ``classification``
    is ``None`` when the key is not in the table (or the line is an unknown ``container``);
    ``lookup_error`` records a lookup that failed, which holds the line with reason ``error``.
    """

    key: str
    classification: Classification | None = None
    unserialised: int = 0
    serials: frozenset[str] = frozenset()
    verdict: LineDecision = _UNDECIDED
    covered_by: Coverage | None = None
    removed: bool = False
    denied: bool = False
    container: bool = False
    lookup_error: str | None = None

    @property
    def quantity(self) -> int:
        return self.unserialised + len(self.serials)

    @property
    def decision(self) -> Decision:
        return self.verdict.decision

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.verdict.reasons

    @property
    def description(self) -> str:
        if self.container:
            return "container (SSCC) not in the manifest"
        return self.classification.description if self.classification else ""

    @property
    def control(self) -> str:
        return self.classification.control if self.classification else ""

    @property
    def category(self) -> int | None:
        return self.classification.category if self.classification else None

    @property
    def stops(self) -> bool:
        """Whether this line, if active, keeps the shipment from being cleared.

        Anything but ``clear`` stops it unless it is ``licence_required`` and covered; a
        decision value we do not know stops it too.
        """
        if self.verdict.decision is Decision.CLEAR:
            return False
        covered = self.covered_by is not None
        return not (self.verdict.decision is Decision.LICENCE_REQUIRED and covered)


@dataclass(frozen=True, slots=True)
class Controls:
    """Everything outside a shipment its decisions depend on.

    ``classify`` looks an item key up in the current table (``None`` = not in the table); it
    is I/O-free from the core's point of view, and may raise: a failed lookup holds the line.
    """

    policy: Policy
    classify: Callable[[str], Classification | None]
    dates: ControlDates
    licences: tuple[StandingLicence, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Shipment:
    """A shipment at a door. Build it with ``new_shipment``; change it with the transitions."""

    id: str
    door: str
    destination: str
    consignee: Consignee
    end_use: str | None = None
    transit: tuple[str, ...] = ()
    manifest: Manifest = Manifest()
    lines: tuple[Line, ...] = ()
    state: State = State.OPEN
    requests: tuple[LicenceRequest, ...] = ()
    approvals: tuple[Approval, ...] = ()
    containers: frozenset[str] = frozenset()
    created_at: dt.datetime
    updated_at: dt.datetime
    sealed_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    # The last facts, so a scan does not redo the denial-list screening.
    facts: Facts | None = field(default=None, compare=False, repr=False)

    def line(self, key: str) -> Line | None:
        for line in self.lines:
            if line.key == key:
                return line
        return None

    @property
    def active_lines(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if not line.removed)

    @property
    def blocking(self) -> tuple[Line, ...]:
        """The active lines that keep the shipment from being cleared."""
        return tuple(line for line in self.active_lines if line.stops)

    @property
    def context(self) -> ShipmentContext:
        return ShipmentContext(
            destination=self.destination,
            consignee_name=self.consignee.name,
            consignee_country=self.consignee.country,
            transit=self.transit,
            end_use=self.end_use,
        )

    @property
    def signal(self) -> Signal:
        """The door signal: green cleared, amber open/held, red blocked or prohibited scan."""
        signal = SIGNALS.get(self.state, Signal.RED)
        if signal is not None:
            return signal
        # Red for a prohibited scan, and for a decision we cannot read: never less than amber.
        holdable = (Decision.CLEAR, Decision.LICENCE_REQUIRED)
        alarming = any(line.decision not in holdable for line in self.active_lines)
        return Signal.RED if alarming else Signal.AMBER


@dataclass(frozen=True, slots=True)
class LicenceRequestNeeded:
    """Effect: queue ``request`` to the central office (it is already in ``requests``)."""

    request: LicenceRequest


Effect = LicenceRequestNeeded | Drawdown


@dataclass(frozen=True, slots=True)
class Transition:
    """A transition's result: the new shipment, the lines the event touched, the effects."""

    shipment: Shipment
    effects: tuple[Effect, ...] = ()
    lines: tuple[Line, ...] = ()

    @property
    def requests(self) -> tuple[LicenceRequest, ...]:
        return tuple(e.request for e in self.effects if isinstance(e, LicenceRequestNeeded))

    @property
    def drawdowns(self) -> tuple[Drawdown, ...]:
        return tuple(e for e in self.effects if isinstance(e, Drawdown))


_Value = TypeVar("_Value", Line, Shipment)
_SET = object.__setattr__


def _evolve(value: _Value, **changes: Any) -> _Value:
    """``dataclasses.replace`` for ``Line`` and ``Shipment``, at about half the cost.

    Both are frozen and slotted with no ``__post_init__`` (a test keeps it so), so copying
    the slots and setting the changes builds what their ``__init__`` would. It runs several
    times per scan, which is the only reason it exists.
    """
    cls = type(value)
    new = object.__new__(cls)
    for name in cls.__slots__:
        _SET(new, name, changes.pop(name) if name in changes else getattr(value, name))
    if changes:
        raise TypeError(f"{cls.__name__} has no fields {sorted(changes)}")
    return new


def new_shipment(
    *,
    shipment_id: str,
    door: str,
    destination: str,
    consignee: Consignee,
    now: dt.datetime,
    end_use: str | None = None,
    transit: Iterable[str] = (),
    manifest: Manifest | None = None,
) -> Shipment:
    """An open shipment with no lines. Raises ``InvalidCountry`` and ``InvalidShipment``."""
    require_aware(now)
    if not shipment_id or not door:
        raise InvalidShipment("a shipment needs an id and a door")
    parse_country(destination, where="the shipment's destination")
    route = tuple(transit)
    for code in route:
        parse_country(code, where="the shipment's transit countries")
    return Shipment(
        id=shipment_id,
        door=door,
        destination=destination,
        consignee=consignee,
        end_use=end_use or None,
        transit=route,
        manifest=manifest or Manifest(),
        created_at=now,
        updated_at=now,
    )


# --- transitions ---------------------------------------------------------------------------


def add_scan(
    shipment: Shipment,
    identifier: Identifier,
    classification: Classification | None,
    controls: Controls,
    now: dt.datetime,
) -> Transition:
    """Count one accepted scan into an open shipment.

    ``classification`` is the table's answer for ``identifier.key`` (``None`` when not in the
    table or when the lookup failed: the line is then held, never cleared). A logistics unit
    (``identifier.sscc`` set) expands from the manifest, its contents classified through
    ``controls.classify``. Raises ``NotOpen``/``ShipmentFinal`` after sealing, and
    ``InvalidCode`` for an identifier with neither a key nor an SSCC.
    """
    _accepts(shipment, "scan")
    require_aware(now)
    if identifier.sscc is not None:
        lines = {line.key: line for line in shipment.lines}
        order = [line.key for line in shipment.lines]
        touched = _count_container(identifier.sscc, shipment, lines, order, controls.classify)
        return _settle(
            shipment,
            controls,
            now,
            lines=[lines[key] for key in order],
            redecide=frozenset(touched),
            touched=touched,
            containers=shipment.containers | {identifier.sscc},
        )
    if identifier.key is None:
        raise InvalidCode("the scan names neither an item nor a container", field="code")
    # The common case, a unit read at a door: touch one line, keep the others as they are.
    key = identifier.key
    position = next((i for i, line in enumerate(shipment.lines) if line.key == key), None)
    old = None if position is None else shipment.lines[position]
    error: str | None = None
    if classification is not None and classification.key != key:
        error = f"lookup answered for {classification.key}, not {key}"
        classification = None
    line = _count(_fresh(old, key), identifier.serial, 1, frozenset())
    if line.classification != classification or line.lookup_error != error:
        line = _evolve(line, classification=classification, lookup_error=error)
    if line is old and _facts_hold(shipment, controls, now):
        # A repeated read of a unit already counted (portals report a tag many times a
        # second): nothing changed, so nothing is re-decided.
        return Transition(shipment, lines=(line,))
    if position is None:
        changed = [*shipment.lines, line]
    else:
        changed = [*shipment.lines[:position], line, *shipment.lines[position + 1 :]]
    # Counts do not enter the table; only a new line or a new lookup answer is decided again.
    same_inputs = old is not None and (old.classification, old.lookup_error) == (
        classification,
        error,
    )
    redecide = frozenset() if same_inputs else frozenset({key})
    return _settle(shipment, controls, now, lines=changed, redecide=redecide, touched=(key,))


def seal(shipment: Shipment, controls: Controls, now: dt.datetime) -> Transition:
    """End loading and decide: blocked, held (with a licence request) or cleared.

    Every line is looked up again, so a table swapped in during loading is the one that
    counts. Raises ``NotOpen`` if already sealed, ``ShipmentFinal`` if closed.
    """
    _accepts(shipment, "seal")
    require_aware(now)
    lines = _reclassified(shipment, controls)
    return _settle(shipment, controls, now, lines=lines, redecide=None, sealed_at=now)


def remove_line(shipment: Shipment, key: str, controls: Controls, now: dt.datetime) -> Transition:
    """The operator unloaded all goods of ``key``; re-evaluate. Removing twice is a no-op.

    Raises ``UnknownLine`` for a key the shipment does not have, ``ShipmentFinal`` if closed.
    """
    _accepts(shipment, "remove")
    require_aware(now)
    line = shipment.line(key)
    if line is None:
        raise UnknownLine(
            f"shipment {shipment.id} has no line {key!r}",
            shipment_id=shipment.id,
            state=shipment.state,
        )
    if line.removed:
        return Transition(shipment, lines=(line,))
    lines = [_evolve(x, removed=True) if x.key == key else x for x in shipment.lines]
    return _settle(shipment, controls, now, lines=lines, redecide=frozenset(), touched=(key,))


def apply_approval(
    shipment: Shipment, approval: Approval, controls: Controls, now: dt.datetime
) -> Transition:
    """Record the central office's answer and re-evaluate.

    Applying the same approval again changes nothing. A denial marks its lines (those named,
    or all of the request) denied for good: rule 3, prohibited. Raises ``InvalidApproval``
    if the approval is for another shipment or answers none of this shipment's requests,
    ``ShipmentFinal`` if closed.
    """
    _accepts(shipment, "approval")
    require_aware(now)
    if approval.shipment_id != shipment.id:
        raise InvalidApproval(
            f"approval for shipment {approval.shipment_id!r} applied to {shipment.id!r}"
        )
    request = next((r for r in shipment.requests if r.request_id == approval.request_id), None)
    if request is None:
        raise InvalidApproval(
            f"shipment {shipment.id} has no licence request {approval.request_id!r}"
        )
    if approval in shipment.approvals:
        return Transition(shipment)
    named = frozenset(approval.granted(request))
    lines = list(shipment.lines)
    if not approval.approved:
        lines = [_evolve(line, denied=True) if line.key in named else line for line in lines]
    return _settle(
        shipment,
        controls,
        now,
        lines=lines,
        redecide=named,
        touched=[line.key for line in lines if line.key in named],
        approvals=(*shipment.approvals, approval),
    )


def reevaluate(shipment: Shipment, controls: Controls, now: dt.datetime) -> Transition:
    """Decide every line again: new table, lists, groups, licences, or the clock moved.

    A final shipment is returned unchanged (it is history). A shipment cleared yesterday can
    be held today, with a new licence request.
    """
    if shipment.state in FINAL:
        return Transition(shipment)
    _accepts(shipment, "reevaluate")
    require_aware(now)
    lines = _reclassified(shipment, controls)
    return _settle(shipment, controls, now, lines=lines, redecide=None)


def dispatch(shipment: Shipment, controls: Controls, now: dt.datetime) -> Transition:
    """Let a cleared shipment leave; the effects are the standing-licence drawdowns.

    The shipment is evaluated once more at ``now`` (a licence may have lapsed since it was
    cleared, or the data gone stale); unless that still says cleared, ``DispatchRefused``
    lists the blocking lines and reasons, and nothing changes (call ``reevaluate`` to record
    the new state). Raises ``ShipmentFinal`` if already closed.
    """
    _accepts(shipment, "dispatch")
    require_aware(now)
    fresh = reevaluate(shipment, controls, now).shipment
    if fresh.state is not State.CLEARED:
        raise _refusal(fresh, f"shipment {shipment.id} is no longer cleared")
    taken = drawdowns((line.key, line.quantity, line.covered_by) for line in fresh.active_lines)
    done = _evolve(fresh, state=State.DISPATCHED, closed_at=now, updated_at=now)
    return Transition(done, effects=taken)


def cancel(shipment: Shipment, now: dt.datetime) -> Transition:
    """Cancel a shipment that has not left. Cancelling again is a no-op (retries are safe).

    Raises ``ShipmentFinal`` for a dispatched shipment.
    """
    _accepts(shipment, "cancel")
    require_aware(now)
    if shipment.state is State.CANCELLED:
        return Transition(shipment)
    return Transition(_evolve(shipment, state=State.CANCELLED, closed_at=now, updated_at=now))


def next_review(shipment: Shipment, controls: Controls, now: dt.datetime) -> dt.datetime | None:
    """When the shell should re-evaluate this shipment next even if nothing else happens.

    The earliest of: a cover or licence starting or ending, and the control data turning
    stale. ``None`` for a final shipment or when nothing is due.
    """
    if shipment.state in FINAL:
        return None
    expiry = next_expiry(
        now,
        coverages=(line.covered_by for line in shipment.active_lines),
        approvals=shipment.approvals,
        licences=[
            licence
            for licence in controls.licences
            if licence.serves(
                shipment.consignee.key, shipment.consignee.country, shipment.destination
            )
        ],
    )
    stale = stale_at(controls.policy, controls.dates)
    moments = [m for m in (expiry, stale) if m is not None and m > now]
    return min(moments, default=None)


# --- the machinery -------------------------------------------------------------------------


#: How a refusal names each event: "it cannot take <...>".
_EVENT_WORDS = {
    "scan": "scans",
    "seal": "a seal",
    "remove": "a removal",
    "approval": "an approval or denial",
    "reevaluate": "a re-evaluation",
    "dispatch": "a dispatch",
    "cancel": "a cancellation",
}


def _accepts(shipment: Shipment, event: str) -> None:
    if shipment.state in ACCEPTS[event]:
        return
    state = shipment.state
    where = {"shipment_id": shipment.id, "state": str(state)}
    words = _EVENT_WORDS.get(event, event)
    if state in FINAL:
        raise ShipmentFinal(f"shipment {shipment.id} is {state}: it cannot take {words}", **where)
    if not isinstance(state, State) or state not in SIGNALS:
        raise UnknownState(f"shipment {shipment.id} is in unknown state {state!r}", **where)
    if event == "dispatch":
        raise _refusal(shipment, f"shipment {shipment.id} is {state}, not cleared")
    if event == "approval":
        raise InvalidApproval(f"shipment {shipment.id} is {state}: no request to answer yet")
    raise NotOpen(f"shipment {shipment.id} is sealed ({state}): it cannot take {words}", **where)


def _refusal(shipment: Shipment, message: str) -> StateError:
    blocking = tuple((line.key, str(line.decision), line.reasons) for line in shipment.blocking)
    listed = "; ".join(f"{key} {decision} ({', '.join(why)})" for key, decision, why in blocking)
    return DispatchRefused(
        f"{message}: {listed}" if listed else message,
        shipment_id=shipment.id,
        state=str(shipment.state),
        blocking=blocking,
    )


def _fresh(line: Line | None, key: str, *, container: bool = False) -> Line:
    # A removed line read again was put back on the truck: count it from this read on.
    if line is None:
        return Line(key, container=container)
    if line.removed:
        return _evolve(line, removed=False, unserialised=0, serials=frozenset())
    return line


def _count(line: Line, serial: str | None, units: int, serials: frozenset[str]) -> Line:
    if serial is not None:
        if serial in line.serials:
            return line
        return _evolve(line, serials=line.serials | {serial})
    if serials - line.serials:
        line = _evolve(line, serials=line.serials | serials)
    return _evolve(line, unserialised=line.unserialised + units) if units else line


def _put(lines: dict[str, Line], order: list[str], line: Line) -> None:
    if line.key not in lines:
        order.append(line.key)
    lines[line.key] = line


def _count_container(
    sscc: str,
    shipment: Shipment,
    lines: dict[str, Line],
    order: list[str],
    classify: Callable[[str], Classification | None],
) -> tuple[str, ...]:
    contents = shipment.manifest.contents(sscc)
    seen = sscc in shipment.containers
    if contents is None:
        line = lines.get(sscc)
        if not seen or line is None or line.removed:
            _put(lines, order, _count(_fresh(line, sscc, container=True), None, 1, frozenset()))
        return (sscc,)
    touched: list[str] = []
    for item in contents:
        line = lines.get(item.gtin)
        touched.append(item.gtin)
        if seen and line is not None and not line.removed:
            continue  # this container was counted already
        fresh = _classified(_fresh(line, item.gtin), classify)
        units = item.quantity - len(item.serials)
        _put(lines, order, _count(fresh, None, units, item.serials))
    return tuple(dict.fromkeys(touched))


def _classified(line: Line, classify: Callable[[str], Classification | None]) -> Line:
    if line.container:
        return _evolve(line, classification=None, lookup_error=None)
    try:
        found = classify(line.key)
    except Exception as exc:  # a failed lookup holds the line, never clears it
        return _evolve(line, classification=None, lookup_error=f"{type(exc).__name__}: {exc}")
    if found is not None and found.key != line.key:
        return _evolve(line, classification=None, lookup_error=f"lookup answered for {found.key}")
    return _evolve(line, classification=found, lookup_error=None)


def _reclassified(shipment: Shipment, controls: Controls) -> list[Line]:
    return [_classified(line, controls.classify) for line in shipment.lines]


def _decided(line: Line, facts: Facts) -> Line:
    if line.lookup_error is not None:
        verdict = failed(f"table lookup failed: {line.lookup_error}", denied=line.denied)
    else:
        verdict = decide(facts, line.classification, denied=line.denied, container=line.container)
    return _evolve(line, verdict=verdict)


_COVERED_BY = attrgetter("covered_by")


def _facts_hold(shipment: Shipment, controls: Controls, now: dt.datetime) -> bool:
    previous = shipment.facts
    return assess(controls.policy, shipment.context, controls.dates, now, previous) is previous


def _settle(
    shipment: Shipment,
    controls: Controls,
    now: dt.datetime,
    *,
    lines: Sequence[Line],
    redecide: frozenset[str] | None,
    touched: Sequence[str] = (),
    **changes: Any,
) -> Transition:
    """Decide, cover, derive the state and queue requests, in one new shipment.

    ``lines`` are the event's new lines; the keys in ``redecide`` are run through the table
    again (``None``: every line), and so is every line when the shipment's facts changed.
    ``changes`` are the event's other field changes.
    """
    facts = assess(controls.policy, shipment.context, controls.dates, now, shipment.facts)
    if redecide is None or (facts is not shipment.facts and facts != shipment.facts):
        decided = [_decided(line, facts) for line in lines]
    elif redecide:
        decided = [_decided(line, facts) if line.key in redecide else line for line in lines]
    else:
        decided = list(lines)
    approvals: tuple[Approval, ...] = changes.get("approvals", shipment.approvals)
    covered = _covered(decided, shipment, approvals, controls, now)
    sealed = changes.get("sealed_at", shipment.sealed_at) is not None
    state = _derive(covered, sealed=sealed)
    settled = _evolve(
        shipment,
        lines=tuple(covered),
        state=state,
        facts=facts,
        updated_at=now,
        **changes,
    )
    effects: tuple[Effect, ...] = ()
    if state is State.HELD:
        request = _new_request(settled, now)
        if request is not None:
            settled = _evolve(settled, requests=(*settled.requests, request))
            effects = (LicenceRequestNeeded(request),)
    wanted = set(touched)
    reported = {line.key: line for line in covered if line.key in wanted}
    return Transition(settled, effects, tuple(reported[key] for key in touched))


def _covered(
    lines: list[Line],
    shipment: Shipment,
    approvals: tuple[Approval, ...],
    controls: Controls,
    now: dt.datetime,
) -> list[Line]:
    consignee = shipment.consignee
    usable = [
        licence
        for licence in controls.licences
        if licence.in_force(now)
        and licence.serves(consignee.key, consignee.country, shipment.destination)
    ]
    if not usable and not approvals:
        # Nothing can cover anything: the usual case while loading, and the cheap one.
        if any(map(_COVERED_BY, lines)):
            return [
                line if line.covered_by is None else _evolve(line, covered_by=None)
                for line in lines
            ]
        return lines
    wanting = [
        i
        for i, line in enumerate(lines)
        if not line.removed and line.verdict.decision is Decision.LICENCE_REQUIRED
    ]
    needs = [
        Need(lines[i].key, lines[i].control, lines[i].quantity, lines[i].reasons) for i in wanting
    ]
    found = cover(
        needs,
        requests=shipment.requests,
        approvals=approvals,
        licences=usable,
        consignee_key=consignee.key,
        consignee_country=consignee.country,
        destination=shipment.destination,
        now=now,
    )
    coverage: dict[int, Coverage | None] = dict(zip(wanting, found, strict=True))
    return [
        line if line.covered_by == coverage.get(i) else _evolve(line, covered_by=coverage.get(i))
        for i, line in enumerate(lines)
    ]


def _derive(lines: Sequence[Line], *, sealed: bool) -> State:
    if not sealed:
        return State.OPEN
    active = [line for line in lines if not line.removed]
    if any(line.verdict.decision is Decision.PROHIBITED for line in active):
        return State.BLOCKED
    if any(line.stops for line in active):
        return State.HELD
    return State.CLEARED


def _new_request(shipment: Shipment, now: dt.datetime) -> LicenceRequest | None:
    asked: dict[str, int] = {}
    for request in shipment.requests:
        answered: set[str] = set()
        for approval in shipment.approvals:
            if approval.request_id == request.request_id:
                answered |= set(approval.granted(request))
        for line in request.lines:
            if line.key not in answered:
                asked[line.key] = max(asked.get(line.key, 0), line.quantity)
    wanted = [
        line
        for line in shipment.active_lines
        if line.stops and asked.get(line.key, 0) < line.quantity
    ]
    if not wanted:
        return None
    return LicenceRequest(
        request_id=f"{shipment.id}-r{len(shipment.requests) + 1}",
        shipment_id=shipment.id,
        lines=tuple(
            RequestLine(
                key=line.key,
                description=line.description,
                control=line.control,
                category=line.category,
                quantity=line.quantity,
                serials=tuple(sorted(line.serials)),
                reasons=line.reasons,
            )
            for line in wanted
        ),
        created_at=now,
    )
