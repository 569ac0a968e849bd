"""Properties over random shipments, lines, licences and events (hypothesis).

The invariants operators rely on: a shipment is never cleared or dispatched over a line that
stops it; unloading goods never adds a hold; an approval delivered twice counts once; a
standing licence is never drawn below zero.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.core import shipments as sh
from gate.core.classification import Classification
from gate.core.countries import CountryGroups
from gate.core.gs1 import check_digit
from gate.core.hits import Hit, HitAction, PartyHits
from gate.core.identifiers import Identifier
from gate.core.licences import (
    Approval,
    Drawdown,
    LicenceRequest,
    Need,
    StandingLicence,
    cover,
    draw_down,
)
from gate.core.parties import Party
from gate.core.rules import (
    GENERAL_LICENCE,
    NOT_LISTED_REASON,
    ControlDates,
    Decision,
    Policy,
    ShipmentContext,
    assess,
    decide,
)
from gate.core.shipment_values import signal_after
from gate.core.shipments import State
from gate.errors import GateError, Overdraw
from tests import serial_books

UTC = dt.UTC
NOW = dt.datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
GROUPS = CountryGroups.from_mapping({"embargoed": ["IR"], "partners": ["DE", "FR"]})
POLICY = Policy(
    GROUPS,
    embargo_groups=("embargoed",),
    general_licences=("partners",),
    control_max_age_days=90,
)
#: The hit the list screening reports for "Rocket Dynamics Trading" (a partner's notice).
LISTED = Hit("notices", "N-1", "v1", "Rocket Dynamics Trading", 1.0, HitAction.LICENCE, "notice")
# GTIN-14 keys with valid check digits (a manifest refuses any other).
KEYS = [f"0401234500{n:03d}{check_digit(f'0401234500{n:03d}')}" for n in range(6)]
CONTROLS = ["9.A.3", "2.A.1.a", "6.C.1"]
PALLET = "340123450000000017"
STRAY = "340123450000000025"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- strategies -----------------------------------------------------------------------------


@st.composite
def classifications(draw: st.DrawFn, key: str) -> Classification | None:
    kind = draw(st.sampled_from(["none", "unlisted", "cat1", "cat2", "production", "odd"]))
    if kind == "none":
        return None
    category = {"unlisted": 0, "cat1": 1, "cat2": 2, "production": 1, "odd": 7}[kind]
    control = "" if category == 0 else draw(st.sampled_from(CONTROLS))
    flags = frozenset({"production"}) if kind == "production" else frozenset()
    return Classification(key, f"goods {key[-3:]}", control, category, "", flags)


@st.composite
def licences(draw: st.DrawFn, number: str) -> StandingLicence:
    quantity = draw(st.integers(0, 8))
    start = NOW + dt.timedelta(hours=draw(st.integers(-48, 6)))
    return StandingLicence(
        number,
        draw(st.sampled_from(["Gulf Avionics LLC", "Other Buyer"])),
        "AE",
        draw(st.sampled_from(["AE", "DE"])),
        frozenset(draw(st.lists(st.sampled_from(CONTROLS), max_size=3))),
        quantity,
        draw(st.integers(0, quantity)),
        start,
        start + dt.timedelta(hours=draw(st.integers(1, 96))),
    )


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    table = {key: draw(classifications(key)) for key in KEYS}
    contents = draw(
        st.lists(st.tuples(st.sampled_from(KEYS), st.integers(1, 4)), min_size=1, max_size=3)
    )
    manifest = sh.Manifest.from_mapping({PALLET: [(k, q, []) for k, q in contents]})
    old = draw(st.booleans())
    dates = ControlDates(NOW - dt.timedelta(days=200 if old else 5))
    pool = tuple(draw(licences(f"SL-{n}")) for n in range(draw(st.integers(0, 3))))
    return {
        "table": {k: v for k, v in table.items() if v is not None},
        "controls": sh.Controls(POLICY, {k: v for k, v in table.items() if v}.get, dates, pool),
        "shipment": sh.new_shipment(
            shipment_id="S-1",
            door="D1",
            destination=draw(st.sampled_from(["AE", "DE", "IR"])),
            consignee=sh.Consignee(
                draw(st.sampled_from(["Gulf Avionics", "Rocket Dynamics Trading LLC"])), "AE"
            ),
            now=NOW,
            transit=draw(st.lists(st.sampled_from(["FR", "IR", "AE"]), max_size=2)),
            end_use=draw(st.sampled_from([None, "civil aviation", "military"])),
            manifest=manifest,
        ),
    }


APPROVE = st.tuples(
    st.just("approve"),
    st.sampled_from(["approved", "denied"]),
    st.booleans(),
    st.integers(-1, 1),
    st.integers(-2, 72),
)
SCAN = st.tuples(st.just("scan"), st.sampled_from(KEYS), st.none() | st.sampled_from("ABCD"))
# Branches are drawn evenly: scans and approvals are listed more than once so that shipments
# get lines and answers before a rare cancel ends them.
EVENT = st.one_of(
    SCAN,
    SCAN,
    SCAN,
    st.tuples(st.just("container"), st.sampled_from([PALLET, STRAY])),
    st.tuples(st.just("seal")),
    st.tuples(st.just("seal")),
    st.tuples(st.just("remove"), st.sampled_from([*KEYS, STRAY])),
    APPROVE,
    APPROVE,
    APPROVE,
    st.tuples(st.just("tick"), st.integers(1, 30)),
    st.tuples(st.just("dispatch")),
    st.tuples(st.just("dispatch")),
    st.tuples(st.just("cancel")),
)


# --- checks ---------------------------------------------------------------------------------


def check_state(shipment: sh.Shipment) -> None:
    active = shipment.active_lines
    if shipment.state in (State.CLEARED, State.DISPATCHED):
        assert not any(line.stops for line in active), shipment.blocking
        assert all(
            line.decision is Decision.CLEAR or line.covered_by is not None for line in active
        )
    if shipment.state is State.HELD:
        assert not any(line.decision is Decision.PROHIBITED for line in active)
        assert any(line.stops for line in active)
    if shipment.state is State.BLOCKED:
        assert any(line.decision is Decision.PROHIBITED for line in active)
    for line in active:
        if line.decision is Decision.CLEAR:
            assert line.reasons[0] in (GENERAL_LICENCE, NOT_LISTED_REASON)
            assert line.classification is not None
            assert not line.denied


def approval_for(shipment: sh.Shipment, event: tuple[Any, ...], now: dt.datetime) -> Approval:
    _, decision, all_lines, delta, hours = event
    request: LicenceRequest = shipment.requests[-1]
    lines = None
    if not all_lines:
        lines = tuple((line.key, max(1, line.quantity + delta)) for line in request.lines[:1])
    approved = decision == "approved"
    return Approval(
        request.request_id,
        shipment.id,
        decision,
        lines,
        "LIC-1" if approved else None,
        now + dt.timedelta(hours=hours) if approved else None,
    )


def step(
    world: dict[str, Any], shipment: sh.Shipment, event: tuple[Any, ...], now: dt.datetime
) -> sh.Transition:
    controls: sh.Controls = world["controls"]
    kind = event[0]
    if kind == "scan":
        ident = Identifier("gs1", "x", key=event[1], serial=event[2])
        return serial_books.add_scan(shipment, ident, world["table"].get(event[1]), controls, now)
    if kind == "container":
        return serial_books.add_scan(
            shipment, Identifier("sscc", event[1], sscc=event[1]), None, controls, now
        )
    if kind == "seal":
        return sh.seal(shipment, controls, now)
    if kind == "remove":
        return sh.remove_line(shipment, event[1], controls, now)
    if kind == "approve":
        return sh.apply_approval(shipment, approval_for(shipment, event, now), controls, now)
    if kind == "tick":
        return sh.reevaluate(shipment, controls, now)
    if kind == "dispatch":
        return sh.dispatch(shipment, controls, now)
    return sh.cancel(shipment, now)


def history(
    world: dict[str, Any], events: list[tuple[Any, ...]]
) -> Iterator[tuple[sh.Shipment, tuple[Any, ...], sh.Transition]]:
    """Plays ``events`` on the world's shipment (a tick moves the clock; an approval with no
    request and a refused event are skipped): each shipment before an event, the event, and
    what it did. ``world["controls"]`` may be changed between steps by the caller."""
    shipment: sh.Shipment = world["shipment"]
    now = NOW
    for event in events:
        if event[0] == "tick":
            now += dt.timedelta(hours=event[1])
        if event[0] == "approve" and not shipment.requests:
            continue
        try:
            outcome = step(world, shipment, event, now)
        except GateError:
            continue
        yield shipment, event, outcome
        shipment = outcome.shipment


# --- properties -----------------------------------------------------------------------------


@SETTINGS
@given(worlds(), st.lists(EVENT, max_size=25))
def test_never_cleared_or_dispatched_over_a_stopping_line(
    world: dict[str, Any], events: list[tuple[Any, ...]]
) -> None:
    """Whatever happens, a cleared or dispatched shipment has no prohibited or uncovered line,
    and its standing licences are never drawn below zero."""
    for _, _, outcome in history(world, events):
        shipment = outcome.shipment
        check_state(shipment)
        if outcome.licences is not None:
            # The dispatch's own drawdown (what the service stores) is draw_down's answer.
            controls: sh.Controls = world["controls"]
            drawn = outcome.licences
            assert draw_down(controls.licences, outcome.drawdowns) == drawn
            assert all(0 <= licence.remaining <= licence.quantity for licence in drawn)
            world["controls"] = dataclasses.replace(controls, licences=drawn)
        hypothesis.event(f"reached {shipment.state}")


@SETTINGS
@given(worlds(), st.lists(EVENT, max_size=25))
def test_the_signal_after_a_scan_is_the_one_every_line_gives(
    world: dict[str, Any], events: list[tuple[Any, ...]]
) -> None:
    """After any scan or container read, in any history, the signal worked out from the one
    before and the lines the read touched (what the service shows at the door) is the signal
    read off every line."""
    for before, event, outcome in history(world, events):
        if event[0] in ("scan", "container"):
            after = outcome.shipment
            assert after.signal is signal_after(before, before.signal, outcome)
            hypothesis.event(f"{before.signal} -> {after.signal}")


@SETTINGS
@given(worlds(), st.lists(EVENT, max_size=25))
def test_the_line_index_a_shipment_keeps_is_always_its_lines(
    world: dict[str, Any], events: list[tuple[Any, ...]]
) -> None:
    """Whatever happened (scans, removals, seals, approvals), the place a shipment gives for
    each key is that line's place in its lines: an index left by an earlier value is never
    used for lines it does not belong to."""
    for _, _, outcome in history(world, events):
        shipment = outcome.shipment
        assert {line.key: i for i, line in enumerate(shipment.lines)} == dict(shipment.positions())
        for line in shipment.lines:
            assert line is shipment.line(line.key)
        assert shipment.line("no such key") is None
        kept = shipment.line_index
        hypothesis.event("index kept" if kept and kept[0] is shipment.lines else "index built")


@SETTINGS
@given(worlds(), st.lists(EVENT, max_size=20), st.data())
def test_removing_a_line_never_adds_a_hold(
    world: dict[str, Any], events: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    """After unloading one line, every remaining line that did not stop the shipment still
    does not, a cleared shipment stays cleared, and no request names a line that was fine."""
    shipment: sh.Shipment = world["shipment"]
    for event in events:
        if event[0] in ("tick", "dispatch", "cancel") or (
            event[0] == "approve" and not shipment.requests
        ):
            continue
        try:
            shipment = step(world, shipment, event, NOW).shipment
        except GateError:
            continue
    active = shipment.active_lines
    if shipment.state in sh.FINAL or not active:
        return
    before = sh.reevaluate(shipment, world["controls"], NOW).shipment
    key = data.draw(st.sampled_from([line.key for line in active]))
    after = sh.remove_line(before, key, world["controls"], NOW)
    # A blocked shipment that becomes held asks now for lines that were already stopping it.
    for request in after.requests:
        for asked in request.lines:
            previous = before.line(asked.key)
            assert previous is not None
            assert previous.stops
    for line in after.shipment.active_lines:
        previous = before.line(line.key)
        assert previous is not None
        if not previous.stops:
            assert not line.stops, (previous, line)
    if before.state is State.CLEARED:
        assert State.CLEARED == after.shipment.state


@SETTINGS
@given(worlds(), st.lists(EVENT, max_size=20), APPROVE)
def test_same_approval_twice_equals_once(
    world: dict[str, Any], events: list[tuple[Any, ...]], answer: tuple[Any, ...]
) -> None:
    """Applying an approval a second time changes nothing and asks for nothing."""
    shipment: sh.Shipment = world["shipment"]
    for event in [*events, ("seal",)]:
        if event[0] in ("tick", "dispatch", "cancel") or (
            event[0] == "approve" and not shipment.requests
        ):
            continue
        try:
            shipment = step(world, shipment, event, NOW).shipment
        except GateError:
            continue
    if not shipment.requests or shipment.state in sh.FINAL:
        return
    approval = approval_for(shipment, answer, NOW)
    once = sh.apply_approval(shipment, approval, world["controls"], NOW)
    twice = sh.apply_approval(once.shipment, approval, world["controls"], NOW + dt.timedelta(1))
    assert once.shipment == twice.shipment
    assert () == twice.effects


@SETTINGS
@given(
    st.lists(st.integers(0, 3).flatmap(lambda n: licences(f"SL-{n}")), max_size=4),
    st.lists(st.tuples(st.sampled_from(["SL-0", "SL-1", "SL-2", "SL-3"]), st.integers(0, 9))),
)
def test_draw_down_never_goes_below_zero(
    pool: list[StandingLicence], takes: list[tuple[str, int]]
) -> None:
    """A drawdown either fits entirely or is refused with nothing drawn."""
    unique = tuple({licence.number: licence for licence in pool}.values())
    taken = [Drawdown(number, quantity, ()) for number, quantity in takes]
    try:
        drawn = draw_down(unique, taken)
    except Overdraw as exc:
        assert exc.requested > exc.remaining
        return
    except GateError:
        assert any(number not in {x.number for x in unique} for number, _ in takes)
        return
    assert all(licence.remaining >= 0 for licence in drawn)
    totals = {n: sum(q for m, q in takes if m == n) for n, _ in takes}
    for old, new in zip(unique, drawn, strict=True):
        assert old.remaining - totals.get(old.number, 0) == new.remaining


@SETTINGS
@given(
    st.lists(st.integers(0, 3).flatmap(lambda n: licences(f"SL-{n}")), max_size=4),
    st.lists(
        st.tuples(st.sampled_from(CONTROLS), st.integers(1, 5), st.sampled_from(["cat1", "cat2"])),
        min_size=1,
        max_size=6,
    ),
    st.data(),
)
def test_coverage_is_monotone_under_removal(
    pool: list[StandingLicence], rows: list[tuple[str, int, str]], data: st.DataObject
) -> None:
    """Dropping one need from the queue never un-covers another, and covered needs fit."""
    unique = tuple({licence.number: licence for licence in pool}.values())
    needs = [Need(f"K{i}", control, q, (reason,)) for i, (control, q, reason) in enumerate(rows)]
    gone = data.draw(st.integers(0, len(needs) - 1))

    def run(chosen: list[Need]) -> dict[str, Any]:
        found = cover(
            chosen,
            requests=(),
            approvals=(),
            licences=unique,
            consignee=Party("consignee", "Gulf Avionics LLC", "AE"),
            destination="AE",
            now=NOW,
        )
        return {need.key: c for need, c in zip(chosen, found, strict=True)}

    full = run(needs)
    fewer = run(needs[:gone] + needs[gone + 1 :])
    for key, was in full.items():
        if key in fewer and was is not None:
            assert fewer[key] is not None
    by_number = {licence.number: licence for licence in unique}
    for number in {c.licence for c in full.values() if c is not None}:
        used = sum(n.quantity for n in needs if (c := full[n.key]) and c.licence == number)
        assert used <= by_number[number].remaining


@SETTINGS
@given(
    st.sampled_from(["AE", "DE", "IR", "XK"]),
    st.sampled_from(["Gulf Avionics", "Rocket Dynamics Trading"]),
    st.none() | st.sampled_from(["military", "civil"]),
    st.booleans(),
    st.booleans(),
    st.sampled_from(KEYS).flatmap(classifications),
)
def test_clear_only_when_no_row_holds(
    destination: str,
    consignee: str,
    end_use: str | None,
    denied: bool,
    stale: bool,
    classification: Classification | None,
) -> None:
    """A line is clear only if it is classified, known, not denied, not stale, on a clean
    route, for no listed party or military end use, and (if Category II) under a general
    licence."""
    dates = ControlDates(NOW - dt.timedelta(days=200 if stale else 1))
    listed = consignee == "Rocket Dynamics Trading"
    screening = (PartyHits(Party("consignee", consignee, "AE"), (LISTED,)),) if listed else ()
    context = ShipmentContext(destination, consignee, "AE", (), end_use, screening=screening)
    decision = decide(assess(POLICY, context, dates, NOW), classification, denied=denied)
    check: Callable[[], bool] = lambda: (  # noqa: E731
        classification is not None
        and classification.category in (0, 2)
        and not denied
        and not stale
        and destination in ("AE", "DE")
        and end_use != "military"
        and consignee != "Rocket Dynamics Trading"
    )
    if decision.decision is Decision.CLEAR:
        assert check()
        assert classification is not None
        if classification.category == 2:
            assert destination == "DE"
