"""A shipment's values: its states and door signals, lines, and what a transition returns
(its manifest is ``gate.core.manifest``). Pure data; the transitions that change them are
in ``gate.core.shipments``.

Rule 1: a shipment's state is *derived*, never set. Between ``seal`` and the end it is a
function of the active (not removed) lines: ``blocked`` if any is prohibited, else ``held``
if any needs a licence it does not have, else ``cleared``. Only the two final states are set
by events: ``dispatched`` (from ``cleared``, after one more full evaluation at that instant)
and ``cancelled``.

Rule 2: the events a state accepts are a table (``ACCEPTS``), and so is the door signal
(``SIGNALS``). A state not in a table accepts nothing and shows red. ``accepts`` is the one
check of that table: the core's transitions call it, and so does the shell when it must
refuse an event before doing any I/O for it (a scan at a sealed shipment).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from gate.core.classification import Classification
from gate.core.container_labels import Label
from gate.core.countries import parse_country
from gate.core.end_use import check_codes
from gate.core.frozen_init import quick_init
from gate.core.hits import PartyHits
from gate.core.licences import Approval, Coverage, Drawdown, LicenceRequest, StandingLicence
from gate.core.manifest import Manifest
from gate.core.parties import CONSIGNEE, Party, normalise, parse_ids
from gate.core.rules import (
    ERROR,
    ControlDates,
    Decision,
    Facts,
    LineDecision,
    Policy,
    ShipmentContext,
)
from gate.errors import (
    DispatchRefused,
    InvalidApproval,
    InvalidShipment,
    NotOpen,
    PolicyError,
    ShipmentFinal,
    StateError,
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
    "amend": frozenset({State.OPEN}),
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

#: The decisions an open shipment can carry and stay amber.
_HOLDABLE = frozenset({Decision.CLEAR, Decision.LICENCE_REQUIRED})

_UNDECIDED = LineDecision(Decision.LICENCE_REQUIRED, (ERROR,), 0, "not evaluated yet")


@dataclass(frozen=True, slots=True)
class Consignee:
    """The consignee; ``key`` is the normalised name licences and lists compare, ``ids`` its
    identifiers (``((scheme, value), ...)``, see ``gate.core.parties.Party``)."""

    name: str
    country: str
    ids: tuple[tuple[str, str], ...] = ()
    key: str = field(init=False, repr=False, compare=False, hash=False)
    #: The consignee as a party of the shipment (role ``consignee``), made once.
    party: Party = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        parse_country(self.country, where="the consignee's country", field="consignee.country")
        key = normalise(self.name)
        if not key:
            raise InvalidShipment("the consignee needs a name", field="consignee.name")
        try:
            ids = parse_ids(dict(self.ids), where="the consignee's ids")
        except PolicyError as exc:
            raise InvalidShipment(str(exc), field="consignee.ids") from None
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "party", Party(CONSIGNEE, self.name, self.country, ids))


@quick_init
@dataclass(frozen=True, slots=True)
class Line:
    """One item key (or unknown container) of a shipment, with its counts and decision.

    ``quantity`` is the units without serial plus the distinct serials counted in the line's
    current ``epoch`` (``serialised``). The serials themselves are not part of the value: the
    shell keeps them apart (one row each) and tells the core which are already counted
    (``SerialBook``), so a line's value, and its save, stay the same size however many units
    it holds. An epoch starts when a removed line is read again. ``classification``
    is ``None`` when the key is not in the table (or the line is an unknown ``container``);
    ``lookup_error`` records a lookup that failed, which holds the line with reason ``error``.
    ``labels``: for a ``container`` in the manifest, what its label said that the manifest
    did not confirm (``gate.core.container_labels``).
    """

    key: str
    classification: Classification | None = None
    unserialised: int = 0
    serialised: int = 0
    epoch: int = 0
    verdict: LineDecision = _UNDECIDED
    covered_by: Coverage | None = None
    removed: bool = False
    denied: bool = False
    container: bool = False
    lookup_error: str | None = None
    labels: tuple[Label, ...] = ()

    @property
    def quantity(self) -> int:
        return self.unserialised + self.serialised

    @property
    def decision(self) -> Decision:
        return self.verdict.decision

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.verdict.reasons

    @property
    def description(self) -> str:
        if self.container and self.labels:
            said = "; ".join(label.describe() for label in self.labels)
            return f"container (SSCC) whose label contradicts its manifest: {said}"
        if self.container:
            return "container (SSCC) not in the manifest"
        return self.classification.description if self.classification else ""

    @property
    def unvouched(self) -> bool | str:
        """Row 11's ``container`` (``rules.decide``): what contradicted the manifest, if any."""
        return self.description if self.container and self.labels else self.container

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
    ``gate`` is this gate's id, named in the ids of the licence requests it makes: shipment
    ids repeat across the gates of a fleet that trusts one office key, and an approval answers
    only a request of the shipment's own, so one signed for ``S1-r1@dock-a`` is unknown at
    ``dock-b`` (audit13: with ``S1-r1`` at both, it released ``dock-b``'s ``S1``). Empty: the
    ids of before, ``<shipment id>-r<n>`` (requests stored so keep them, and are answered).
    """

    policy: Policy
    classify: Callable[[str], Classification | None]
    dates: ControlDates
    licences: tuple[StandingLicence, ...] = ()
    gate: str = ""


@quick_init
@dataclass(frozen=True, slots=True, kw_only=True)
class Shipment:
    """A shipment at a door. Build it with ``new_shipment``; change it with the transitions."""

    id: str
    door: str
    destination: str
    consignee: Consignee
    parties: tuple[Party, ...] = ()
    end_use: str | None = None
    end_use_codes: tuple[str, ...] = ()
    transit: tuple[str, ...] = ()
    manifest: Manifest = Manifest()  # noqa: RUF009 (frozen: one empty manifest shared)
    lines: tuple[Line, ...] = ()
    state: State = State.OPEN
    requests: tuple[LicenceRequest, ...] = ()
    approvals: tuple[Approval, ...] = ()
    containers: frozenset[str] = frozenset()
    #: (SSCC, GTIN, line epoch): the manifest's contents each container read counted, into
    #: which start of the line (read again, only into one started again since); with the units,
    #: ``label_counts``: what a label the manifest did not confirm counted (its largest claim).
    container_counts: frozenset[tuple[str, str, int]] = frozenset()
    label_counts: frozenset[tuple[str, str, int, int]] = frozenset()
    created_at: dt.datetime
    updated_at: dt.datetime
    sealed_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    #: Every party's list hits (DESIGN.md's ``screening``): the shell screens the parties
    #: against the live lists and sets them here before deciding; rows 4 and 6 read them.
    screening: tuple[PartyHits, ...] = ()
    # The last facts, so a scan does not work them out again.
    facts: Facts | None = field(default=None, compare=False, repr=False)
    # Each line's key and its place, kept with the lines tuple it indexes: the scan that made
    # this value knew them (see ``positions``).
    line_index: tuple[tuple[Line, ...], Mapping[str, int]] | None = field(
        default=None, compare=False, repr=False
    )

    def line(self, key: str) -> Line | None:
        kept = self.line_index
        if kept is not None and kept[0] is self.lines:
            position = kept[1].get(key)
            return None if position is None else self.lines[position]
        for line in self.lines:
            if line.key == key:
                return line
        return None

    def positions(self) -> Mapping[str, int]:
        """Each line's key and its place in ``lines`` (the first, should a key repeat): the
        index the last scan left, when it belongs to these very lines, else built. A scan
        looks its line up here instead of walking thousands of lines."""
        kept = self.line_index
        if kept is not None and kept[0] is self.lines:
            return kept[1]
        index: dict[str, int] = {}
        for position, line in enumerate(self.lines):
            index.setdefault(line.key, position)
        # Read-only: the next values of this shipment share it while their keys stay put.
        return MappingProxyType(index)

    @property
    def active_lines(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if not line.removed)

    @property
    def blocking(self) -> tuple[Line, ...]:
        """The active lines that keep the shipment from being cleared."""
        return tuple(line for line in self.active_lines if line.stops)

    @property
    def context(self) -> ShipmentContext:
        # The context the last facts were worked out from, when it was built from these very
        # values: a scan changes lines only, and ``assess`` then sees at once (``is``) that the
        # facts still hold, without building and comparing a new context per scan.
        basis = None if self.facts is None else self.facts.basis
        if basis is not None:
            kept, consignee = basis.context, self.consignee
            if (
                kept.destination is self.destination
                and kept.consignee_name is consignee.name
                and kept.consignee_country is consignee.country
                and kept.transit is self.transit
                and kept.end_use is self.end_use
                and kept.parties is self.parties
                and kept.end_use_codes is self.end_use_codes
                and kept.consignee_ids is consignee.ids
                and kept.screening is self.screening
            ):
                return kept
        return ShipmentContext(
            destination=self.destination,
            consignee_name=self.consignee.name,
            consignee_country=self.consignee.country,
            transit=self.transit,
            end_use=self.end_use,
            parties=self.parties,
            end_use_codes=self.end_use_codes,
            consignee_ids=self.consignee.ids,
            screening=self.screening,
        )

    @property
    def signal(self) -> Signal:
        """The door signal: green cleared, amber open/held, red blocked or prohibited scan."""
        signal = SIGNALS.get(self.state, Signal.RED)
        if signal is not None:
            return signal
        # Red for a prohibited scan, and for a decision we cannot read: never less than amber.
        # One plain loop: an open shipment asks this after every scan, over every line.
        for line in self.lines:
            if not line.removed and line.verdict.decision not in _HOLDABLE:
                return Signal.RED
        return Signal.AMBER


def signal_after(before: Shipment, signal: Signal, transition: Transition) -> Signal:
    """The door signal of ``transition.shipment``, made from ``before`` (whose signal is
    ``signal``), without reading every line in the usual case of a scan: the door was amber,
    the state is the same, no line outside the event's own (``transition.lines``, every line
    an event changes) was decided again (``transition.redecided``), and each of its own is
    holdable or removed. A shipment of thousands of lines would otherwise be read whole
    after every scan. Any other transition gets the signal read off every line."""
    after = transition.shipment
    decided = transition.redecided
    touched = transition.lines
    if (
        signal is Signal.AMBER
        and after.state is before.state
        and SIGNALS.get(after.state, Signal.RED) is None
        and decided is not None
        and decided.issubset(line.key for line in touched)
        and all(line.removed or line.verdict.decision in _HOLDABLE for line in touched)
    ):
        return Signal.AMBER
    return after.signal


@dataclass(frozen=True, slots=True)
class LicenceRequestNeeded:
    """Effect: queue ``request`` to the central office (it is already in ``requests``)."""

    request: LicenceRequest


Effect = LicenceRequestNeeded | Drawdown


@quick_init
@dataclass(frozen=True, slots=True)
class SerialRead:
    """A serial of line ``key`` in ``epoch`` counted at ``units``, up from ``before`` (0: new)."""

    key: str
    epoch: int
    serial: str
    units: int = 1
    before: int = 0


class SerialBook(Protocol):
    """What the shell tells the core of a serial of line ``key`` in ``epoch``: the units it is
    counted at (``stated``; 0: not counted)."""

    def stated(self, key: str, epoch: int, serial: str) -> int: ...


@quick_init
@dataclass(frozen=True, slots=True)
class Transition:
    """A transition's result: the new shipment, the lines the event touched (the most severe
    first: a scan answer reports the first), the effects. ``serials``: the serials a scan
    counted, first or at more units, which the shell stores and enters in its ``SerialBook``.
    ``licences`` is set by a dispatch only: every standing licence with the dispatch's
    drawdowns taken (``licences.draw_down``), which it keeps."""

    shipment: Shipment
    effects: tuple[Effect, ...] = ()
    lines: tuple[Line, ...] = ()
    licences: tuple[StandingLicence, ...] | None = None
    serials: tuple[SerialRead, ...] = ()
    #: The keys of the lines decided again; None: every line, or not known.
    redecided: frozenset[str] | None = None

    @property
    def requests(self) -> tuple[LicenceRequest, ...]:
        return tuple(e.request for e in self.effects if isinstance(e, LicenceRequestNeeded))

    @property
    def drawdowns(self) -> tuple[Drawdown, ...]:
        return tuple(e for e in self.effects if isinstance(e, Drawdown))


Value = TypeVar("Value", Line, Shipment)
_SET = object.__setattr__


def _copier(cls: type[Value]) -> Callable[[Value], Value]:
    """A function that copies a ``cls`` value slot by slot, written out for its slots: one
    attribute read and one set each, without a loop or a test per slot."""
    body = "".join(f"    _SET(new, {name!r}, value.{name})\n" for name in cls.__slots__)
    source = f"def copy(value):\n    new = _NEW(_CLS)\n{body}    return new\n"
    scope: dict[str, Any] = {"_NEW": object.__new__, "_CLS": cls, "_SET": _SET}
    exec(source, scope)  # the text is built from the class's own slot names, nothing else
    copy: Callable[[Value], Value] = scope["copy"]
    return copy


_COPIERS: dict[type, tuple[Callable[[Any], Any], frozenset[str]]] = {
    cls: (_copier(cls), frozenset(cls.__slots__)) for cls in (Line, Shipment)
}


def evolve(value: Value, **changes: Any) -> Value:
    """``dataclasses.replace`` for ``Line`` and ``Shipment``, at under half the cost.

    Both are frozen and slotted with no ``__post_init__`` (a test keeps it so), so copying
    the slots and setting the changes builds what their ``__init__`` would. It runs several
    times per scan, which is the only reason it exists.
    """
    copy, names = _COPIERS[type(value)]
    new: Value = copy(value)
    if not names.issuperset(changes):
        raise TypeError(f"{type(value).__name__} has no fields {sorted(set(changes) - names)}")
    for name, change in changes.items():
        _SET(new, name, change)
    return new


#: How a refusal names each event: "it cannot take <...>".
_EVENT_WORDS = {
    "scan": "scans",
    "seal": "a seal",
    "remove": "a removal",
    "approval": "an approval or denial",
    "amend": "changes to its parties, end use or transit",
    "reevaluate": "a re-evaluation",
    "dispatch": "a dispatch",
    "cancel": "a cancellation",
}


def accepts(shipment: Shipment, event: str) -> None:
    """Raises the ``StateError`` (or ``InvalidApproval``) for an event ``ACCEPTS`` refuses in
    the shipment's state; returns quietly when the state takes it."""
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
        raise refusal(shipment, f"shipment {shipment.id} is {state}, not cleared")
    if event == "approval":
        raise InvalidApproval(f"shipment {shipment.id} is {state}: no request to answer yet")
    raise NotOpen(f"shipment {shipment.id} is sealed ({state}): it cannot take {words}", **where)


def refusal(shipment: Shipment, message: str) -> StateError:
    """The ``DispatchRefused`` naming every line that keeps ``shipment`` from leaving, with
    each line's own decision and reasons."""
    blocking = tuple((line.key, str(line.decision), line.reasons) for line in shipment.blocking)
    listed = "; ".join(f"{key} {decision} ({', '.join(why)})" for key, decision, why in blocking)
    return DispatchRefused(
        f"{message}: {listed}" if listed else message,
        shipment_id=shipment.id,
        state=str(shipment.state),
        blocking=blocking,
    )


def checked_route(transit: Iterable[str]) -> tuple[str, ...]:
    """``transit`` as a tuple of checked country codes. Raises ``InvalidCountry``."""
    route = tuple(transit)
    for code in route:
        parse_country(code, where="the shipment's transit countries", field="transit")
    return route


def checked_parties(parties: Iterable[Party]) -> tuple[Party, ...]:
    """``parties`` as a tuple; the consignee has its own field. Raises ``InvalidShipment``."""
    given = tuple(parties)
    if any(party.role == CONSIGNEE for party in given):
        raise InvalidShipment(
            "the consignee is given as `consignee`, not among the parties", field="parties"
        )
    return given


def checked_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """``codes`` checked against the known end-use codes. Raises ``InvalidShipment``."""
    try:
        return check_codes(codes)
    except PolicyError as exc:
        raise InvalidShipment(str(exc), field="end_use_codes") from None
