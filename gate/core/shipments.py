"""Shipments: the transitions that count scans into lines, decide them with the rules, and
derive the state they add up to. The values they work on (states, lines, the manifest) are in
``gate.core.shipment_values``, with the two rules a state obeys: it is derived, never set, and
what it accepts is a table.

Theory of operation
===================

Every transition is a function ``(shipment, event, controls, now) -> Transition``. The
``Transition`` carries the new shipment, the lines the event touched (for the scan answer)
and the *effects* the shell must carry out: ``LicenceRequestNeeded`` (queue a request to the
central office) and, on dispatch, ``Drawdown``s of standing licences. The core never sends,
stores or waits; it returns what should happen.

Counting (``line_counting``). A serial counts once per line however often it is read, at
the most units any read of its label stated (the shell's ``SerialBook`` says which are counted
and at how many; the transition returns those it counted first or at more); a read adds the
units its label states (AI 37 or AI 30), one without. A manifest container (SSCC) expands
into its contents once; one not in it, or whose label it contradicts, is an ``unclassified``
line keyed by the SSCC (``container_labels``). Removing a line means
all goods of that key were unloaded: its counts are kept for the record, and any later read
of those goods (in an open shipment) starts the line again from that read, so goods put back
on the truck are never missed. A read that changes nothing (a serial already counted) returns
the shipment as it was.

Licence requests. Whenever an evaluation leaves a sealed shipment ``held``, every uncovered
line that has no unanswered request for at least its quantity goes into one new request,
with a deterministic id, this gate's own (``<shipment id>-r<n>@<gate id>``, ``Controls.gate``),
so replaying the same events gives the same ids. An approval for fewer units than were loaded
answers that request without covering the line, so the next evaluation asks again for the
full quantity. A blocked shipment asks for nothing: the prohibited goods come off first,
then what still needs a licence is requested.

Denials are final for their lines: the line stays ``prohibited`` (rule 3) for as long as it
is on the truck; unloading it is the only way on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter
from types import MappingProxyType
from typing import Any

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
    cover,
    draw_down,
    drawdowns,
)
from gate.core.line_counting import count_container, count_unit, fresh, reclassified, worst_first
from gate.core.manifest import Manifest, ManifestItem
from gate.core.parties import Party
from gate.core.review import next_review
from gate.core.rules import Decision, Facts, assess, decide, failed, require_aware
from gate.core.shipment_values import (
    ACCEPTS,
    FINAL,
    SIGNALS,
    Consignee,
    Controls,
    Effect,
    LicenceRequestNeeded,
    Line,
    SerialBook,
    SerialRead,
    Shipment,
    Signal,
    State,
    Transition,
    accepts,
    checked_codes,
    checked_parties,
    checked_route,
    evolve,
    refusal,
)
from gate.errors import (
    DispatchRefused,
    InvalidApproval,
    InvalidCode,
    InvalidShipment,
    Overdraw,
    UnknownLine,
    UnknownRequest,
)

__all__ = [
    "ACCEPTS",
    "FINAL",
    "SIGNALS",
    "Consignee",
    "Controls",
    "Effect",
    "LicenceRequestNeeded",
    "Line",
    "Manifest",
    "ManifestItem",
    "Shipment",
    "Signal",
    "State",
    "Transition",
    "accepts",
    "add_scan",
    "amend",
    "apply_approval",
    "cancel",
    "dispatch",
    "new_shipment",
    "next_review",
    "overdraw_refusal",
    "reevaluate",
    "remove_line",
    "seal",
]


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
    parties: Iterable[Party] = (),
    end_use_codes: Iterable[str] = (),
) -> Shipment:
    """An open shipment with no lines. Raises ``InvalidCountry`` and ``InvalidShipment``
    (also for a party in the consignee's role or an unknown end-use code)."""
    require_aware(now)
    if not shipment_id or not door:
        raise InvalidShipment("a shipment needs an id and a door")
    parse_country(destination, where="the shipment's destination", field="destination")
    return Shipment(
        id=shipment_id,
        door=door,
        destination=destination,
        consignee=consignee,
        parties=checked_parties(parties),
        end_use=end_use or None,
        end_use_codes=checked_codes(end_use_codes),
        transit=checked_route(transit),
        manifest=manifest or Manifest(),
        created_at=now,
        updated_at=now,
    )


#: Marks a field ``amend`` leaves as it is.
KEEP: Any = object()


def amend(
    shipment: Shipment,
    controls: Controls,
    now: dt.datetime,
    *,
    parties: Iterable[Party] = KEEP,
    end_use: str | None = KEEP,
    end_use_codes: Iterable[str] = KEEP,
    transit: Iterable[str] = KEEP,
) -> Transition:
    """Change an open shipment's parties, declared end use or transit, and decide every line
    again (the parties are screened anew). Fields left at ``KEEP`` stay as they are.

    Raises ``NotOpen`` once sealed (what was sealed is what was decided), ``ShipmentFinal``
    if closed, ``InvalidCountry``/``InvalidShipment`` for bad values (nothing changes).
    """
    accepts(shipment, "amend")
    require_aware(now)
    changes: dict[str, Any] = {}
    if parties is not KEEP:
        changes["parties"] = checked_parties(parties)
    if end_use is not KEEP:
        changes["end_use"] = end_use or None
    if end_use_codes is not KEEP:
        changes["end_use_codes"] = checked_codes(end_use_codes)
    if transit is not KEEP:
        changes["transit"] = checked_route(transit)
    amended = evolve(shipment, **changes)
    return _settle(amended, controls, now, lines=amended.lines, redecide=None)


# --- transitions ---------------------------------------------------------------------------


def add_scan(
    shipment: Shipment,
    identifier: Identifier,
    classification: Classification | None,
    controls: Controls,
    now: dt.datetime,
    *,
    book: SerialBook,
    lookup_error: str | None = None,
) -> Transition:
    """Count one accepted scan into an open shipment; ``book`` says which serials of it are
    counted already (the transition's ``serials`` are the ones it counted first).

    ``classification`` is the table's answer for ``identifier.key`` (``None`` when not in the
    table). ``lookup_error`` says the lookup itself failed (the table could not answer): the
    line is then held with reason ``error`` and the failure in its detail, never recorded as
    "not in the table", never cleared. A logistics unit (``identifier.sscc`` set) expands from
    the manifest, unless its label says what the manifest does not confirm (then it is held:
    ``gate.core.container_labels``). Raises ``NotOpen``/``ShipmentFinal`` after sealing, and
    ``InvalidCode`` for an identifier with neither a key nor an SSCC.
    """
    accepts(shipment, "scan")
    require_aware(now)
    counted: list[SerialRead] = []
    if identifier.sscc is not None:
        lines = {line.key: line for line in shipment.lines}
        order = [line.key for line in shipment.lines]
        touched, records, labelled = count_container(
            identifier.sscc, identifier, shipment, lines, order, controls.classify, book, counted
        )
        return _settle(
            shipment,
            controls,
            now,
            lines=[lines[key] for key in order],
            redecide=frozenset(touched),
            touched=touched,
            serials=tuple(counted),
            containers=shipment.containers | {identifier.sscc},
            container_counts=shipment.container_counts | records,
            label_counts=labelled,
        )
    if identifier.key is None:
        raise InvalidCode("the scan names neither an item nor a container", field="code")
    key = identifier.key
    index = shipment.positions()
    position = index.get(key)
    old = None if position is None else shipment.lines[position]
    error = lookup_error
    if error is not None:
        classification = None
    elif classification is not None and classification.key != key:
        error = f"lookup answered for {classification.key}, not {key}"
        classification = None
    line = count_unit(fresh(old, key), identifier, book, counted)
    if line.classification != classification or line.lookup_error != error:
        line = evolve(line, classification=classification, lookup_error=error)
    if line is old and _facts_hold(shipment, controls, now):
        # A tag read again (portals report one many times a second): nothing to re-decide.
        return Transition(shipment, lines=(line,))
    if position is None:
        changed = [*shipment.lines, line]
        index = MappingProxyType({**index, key: len(shipment.lines)})
    else:
        changed = [*shipment.lines[:position], line, *shipment.lines[position + 1 :]]
    # Counts do not enter the table; only a new line or a new lookup answer is decided again.
    same_inputs = old is not None and (old.classification, old.lookup_error) == (
        classification,
        error,
    )
    redecide = frozenset() if same_inputs else frozenset({key})
    done = tuple(counted)
    return _settle(
        shipment,
        controls,
        now,
        lines=changed,
        redecide=redecide,
        touched=(key,),
        serials=done,
        index=index,
    )


def seal(shipment: Shipment, controls: Controls, now: dt.datetime) -> Transition:
    """End loading and decide: blocked, held (with a licence request) or cleared.

    Every line is looked up again, so a table swapped in during loading is the one that
    counts. Raises ``NotOpen`` if already sealed, ``ShipmentFinal`` if closed.
    """
    accepts(shipment, "seal")
    require_aware(now)
    lines = reclassified(shipment, controls)
    return _settle(shipment, controls, now, lines=lines, redecide=None, sealed_at=now)


def remove_line(shipment: Shipment, key: str, controls: Controls, now: dt.datetime) -> Transition:
    """The operator unloaded all goods of ``key``; re-evaluate. Removing twice is a no-op.

    Raises ``UnknownLine`` for a key the shipment does not have, ``ShipmentFinal`` if closed.
    """
    accepts(shipment, "remove")
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
    lines = [evolve(x, removed=True) if x.key == key else x for x in shipment.lines]
    return _settle(shipment, controls, now, lines=lines, redecide=frozenset(), touched=(key,))


def apply_approval(
    shipment: Shipment, approval: Approval, controls: Controls, now: dt.datetime
) -> Transition:
    """Record the central office's answer and re-evaluate.

    Applying the same approval again changes nothing. A denial marks its lines (those named,
    or all of the request) denied for good: rule 3, prohibited. Raises ``UnknownRequest`` if
    it answers none of this shipment's requests, ``InvalidApproval`` if it is for another
    shipment or names lines its request did not ask for, ``ShipmentFinal`` if closed.
    """
    accepts(shipment, "approval")
    require_aware(now)
    if approval.shipment_id != shipment.id:
        raise InvalidApproval(
            f"approval for shipment {approval.shipment_id!r} applied to {shipment.id!r}"
        )
    request = next((r for r in shipment.requests if r.request_id == approval.request_id), None)
    if request is None:
        raise UnknownRequest(
            f"shipment {shipment.id} has no licence request {approval.request_id!r}"
        )
    unknown = sorted(key for key, _ in approval.lines or () if key not in request.keys)
    if unknown:
        raise InvalidApproval(f"lines not in request {approval.request_id}: {', '.join(unknown)}")
    if approval in shipment.approvals:
        return Transition(shipment)
    named = frozenset(approval.granted(request))
    lines = list(shipment.lines)
    if not approval.approved:
        lines = [evolve(line, denied=True) if line.key in named else line for line in lines]
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
    accepts(shipment, "reevaluate")
    require_aware(now)
    lines = reclassified(shipment, controls)
    return _settle(shipment, controls, now, lines=lines, redecide=None)


def dispatch(shipment: Shipment, controls: Controls, now: dt.datetime) -> Transition:
    """Let a cleared shipment leave; the effects are the standing-licence drawdowns, and
    ``Transition.licences`` the standing licences with them drawn (``draw_down``).

    The shipment is evaluated once more at ``now`` (a licence may have lapsed since it was
    cleared, or the data gone stale); unless that still says cleared, ``DispatchRefused``
    lists the blocking lines and reasons, and nothing changes (call ``reevaluate`` to record
    the new state). A drawdown that would overdraw a licence is refused the same way, naming
    the lines drawing on it with their own reasons. Raises ``ShipmentFinal`` if already
    closed.
    """
    accepts(shipment, "dispatch")
    require_aware(now)
    fresh = reevaluate(shipment, controls, now).shipment
    if fresh.state is not State.CLEARED:
        raise refusal(fresh, f"shipment {shipment.id} is no longer cleared")
    taken = drawdowns((line.key, line.quantity, line.covered_by) for line in fresh.active_lines)
    try:
        licences = draw_down(controls.licences, taken)
    except Overdraw as exc:
        raise overdraw_refusal(fresh, taken, exc) from exc
    done = evolve(fresh, state=State.DISPATCHED, closed_at=now, updated_at=now)
    return Transition(done, effects=taken, licences=licences)


def overdraw_refusal(
    shipment: Shipment, taken: Iterable[Drawdown], exc: Overdraw
) -> DispatchRefused:
    """The refusal of a dispatch whose drawdown would overdraw a standing licence (here, or
    in the stored count): it names the lines drawing on that licence, each with its own
    decision and reasons."""
    keys = {key for d in taken if d.licence == exc.number for key in d.keys}
    return DispatchRefused(
        f"shipment {shipment.id}: {exc}",
        shipment_id=shipment.id,
        state=str(shipment.state),
        blocking=tuple(
            (line.key, str(line.decision), line.reasons)
            for line in shipment.active_lines
            if line.key in keys
        ),
    )


def cancel(shipment: Shipment, now: dt.datetime) -> Transition:
    """Cancel a shipment that has not left. Cancelling again is a no-op (retries are safe).

    Raises ``ShipmentFinal`` for a dispatched shipment.
    """
    accepts(shipment, "cancel")
    require_aware(now)
    if shipment.state is State.CANCELLED:
        return Transition(shipment)
    return Transition(evolve(shipment, state=State.CANCELLED, closed_at=now, updated_at=now))


# --- the machinery -------------------------------------------------------------------------


def _decided(line: Line, facts: Facts) -> Line:
    if line.lookup_error is not None:
        verdict = failed(f"table lookup failed: {line.lookup_error}", denied=line.denied)
    else:
        verdict = decide(facts, line.classification, denied=line.denied, container=line.unvouched)
    return evolve(line, verdict=verdict)


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
    serials: tuple[SerialRead, ...] = (),
    index: Mapping[str, int] | None = None,
    **changes: Any,
) -> Transition:
    """Decide, cover, derive the state and queue requests, in one new shipment.

    ``lines`` are the event's new lines; the keys in ``redecide`` are run through the table
    again (``None``: every line), and so is every line when the shipment's facts changed.
    ``index`` is each of ``lines``' key and place, when the caller knows it (a unit read),
    kept with the new shipment for the next read. ``changes`` are the event's other field
    changes.
    """
    facts = assess(controls.policy, shipment.context, controls.dates, now, shipment.facts)
    redecided: frozenset[str] | None = redecide
    if redecide is None or (facts is not shipment.facts and facts != shipment.facts):
        decided = [_decided(line, facts) for line in lines]
        redecided = None
    elif redecide:
        decided = [_decided(line, facts) if line.key in redecide else line for line in lines]
    else:
        decided = list(lines)
    approvals: tuple[Approval, ...] = changes.get("approvals", shipment.approvals)
    covered = _covered(decided, shipment, approvals, controls, now)
    sealed = changes.get("sealed_at", shipment.sealed_at) is not None
    state = _derive(covered, sealed=sealed)
    settled_lines = tuple(covered)
    settled = evolve(
        shipment,
        lines=settled_lines,
        # Deciding and covering keep each line in its place, so the caller's index holds.
        line_index=None if index is None else (settled_lines, index),
        state=state,
        facts=facts,
        screening=facts.screening,
        updated_at=now,
        **changes,
    )
    effects: tuple[Effect, ...] = ()
    if state is State.HELD:
        request = _new_request(settled, controls.gate, now)
        if request is not None:
            settled = evolve(settled, requests=(*settled.requests, request))
            effects = (LicenceRequestNeeded(request),)
    if index is not None and len(touched) == 1:  # a unit read: its line's place is known
        reported = {touched[0]: covered[index[touched[0]]]}
    else:
        wanted = set(touched)
        reported = {line.key: line for line in covered if line.key in wanted}
    return Transition(
        settled,
        effects,
        worst_first(tuple(reported[key] for key in touched)),
        serials=serials,
        redecided=redecided,
    )


def _covered(
    lines: list[Line],
    shipment: Shipment,
    approvals: tuple[Approval, ...],
    controls: Controls,
    now: dt.datetime,
) -> list[Line]:
    consignee = shipment.consignee.party
    usable = [
        licence
        for licence in controls.licences
        if licence.in_force(now)
        and licence.serves(consignee, shipment.destination, shipment.parties)
    ]
    if not usable and not approvals:
        # Nothing can cover anything: the usual case while loading, and the cheap one.
        if any(map(_COVERED_BY, lines)):
            return [
                line if line.covered_by is None else evolve(line, covered_by=None) for line in lines
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
        consignee=consignee,
        destination=shipment.destination,
        now=now,
    )
    coverage: dict[int, Coverage | None] = dict(zip(wanting, found, strict=True))
    return [
        line if line.covered_by == coverage.get(i) else evolve(line, covered_by=coverage.get(i))
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


def _new_request(shipment: Shipment, gate: str, now: dt.datetime) -> LicenceRequest | None:
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
    n = len(shipment.requests) + 1
    return LicenceRequest(
        request_id=f"{shipment.id}-r{n}@{gate}" if gate else f"{shipment.id}-r{n}",
        shipment_id=shipment.id,
        lines=tuple(
            RequestLine(
                key=line.key,
                description=line.description,
                control=line.control,
                category=line.category,
                quantity=line.quantity,
                epoch=line.epoch,
                reasons=line.reasons,
            )
            for line in wanted
        ),
        created_at=now,
    )
