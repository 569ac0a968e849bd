"""The shipment state machine: counting scans, sealing, approvals, removal, dispatch, cancel."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from gate.core import shipment_values
from gate.core import shipments as sh
from gate.core.classification import Classification
from gate.core.countries import CountryGroups
from gate.core.facts import ShipmentContext
from gate.core.hits import PartyHits
from gate.core.identifiers import Identifier
from gate.core.licences import (
    Approval,
    ApprovalDecision,
    Drawdown,
    StandingLicence,
    draw_down,
    upsert,
)
from gate.core.line_counting import added, count
from gate.core.rules import ControlDates, Decision, Policy
from gate.core.shipments import Signal, State
from gate.errors import (
    DispatchRefused,
    InvalidApproval,
    InvalidCode,
    InvalidCountry,
    InvalidShipment,
    NotOpen,
    Overdraw,
    ShipmentFinal,
    UnknownLine,
    UnknownState,
)
from tests import serial_books

APPROVED = ApprovalDecision.APPROVED
UTC = dt.UTC
NOW = dt.datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
LATER = NOW + dt.timedelta(hours=1)
FRESH = ControlDates(NOW - dt.timedelta(days=3))

BOLT = "00000000000017"  # unlisted
GYRO = "09506000134352"  # category II, 9.A.3
MOTOR = "04012345000019"  # category I, 2.A.1.a
TOOLING = "04012345000026"  # category I production, 1.B.1
UNKNOWN = "04012345000033"  # not in the table
PALLET = "340123450000000017"
STRAY = "340123450000000025"


def entry(key: str, category: int, control: str = "", *flags: str) -> Classification:
    return Classification(key, f"goods {key[-4:]}", control, category, "", frozenset(flags))


TABLE = {
    BOLT: entry(BOLT, 0),
    GYRO: entry(GYRO, 2, "9.A.3"),
    MOTOR: entry(MOTOR, 1, "2.A.1.a"),
    TOOLING: entry(TOOLING, 1, "1.B.1", "production"),
}
GROUPS = CountryGroups.from_mapping({"embargoed": ["KP", "IR"], "partners": ["DE", "FR", "US"]})
POLICY = Policy(
    GROUPS,
    embargo_groups=("embargoed",),
    general_licences=("partners",),
    control_max_age_days=90,
)
CONTROLS = sh.Controls(POLICY, TABLE.get, FRESH)
MANIFEST = sh.Manifest.from_mapping(
    {PALLET: [(GYRO, 4, ["P1", "P2", "P3", "P4"]), (BOLT, 100, [])]}
)


def shipment(destination: str = "AE", manifest: sh.Manifest = MANIFEST) -> sh.Shipment:
    # The consignee sits where the goods go, so a general licence for the destination can
    # apply (it needs every party's country in its group).
    return sh.new_shipment(
        shipment_id="S-1",
        door="D1",
        destination=destination,
        consignee=sh.Consignee("Gulf Avionics LLC", destination),
        now=NOW,
        manifest=manifest,
    )


def item(key: str, serial: str | None = None) -> Identifier:
    return Identifier("gs1", f"(01){key}", key=key, serial=serial)


def container(sscc: str) -> Identifier:
    return Identifier("sscc", sscc, sscc=sscc)


def scan(
    s: sh.Shipment, key: str, serial: str | None = None, controls: sh.Controls = CONTROLS
) -> sh.Shipment:
    return serial_books.add_scan(s, item(key, serial), TABLE.get(key), controls, NOW).shipment


def approve(s: sh.Shipment, decision: str = "approved", **kw: object) -> sh.Transition:
    request = s.requests[-1]
    approval = Approval(
        request.request_id,
        s.id,
        ApprovalDecision(decision),
        kw.get("lines"),  # type: ignore[arg-type]
        "LIC-9" if decision == "approved" else None,
        NOW + dt.timedelta(days=7) if decision == "approved" else None,
    )
    return sh.apply_approval(s, approval, CONTROLS, NOW)


# --- creation -------------------------------------------------------------------------------


def test_new_shipment_is_open_and_amber() -> None:
    """A new shipment is open, has no lines and shows amber."""
    s = shipment()
    assert (State.OPEN, Signal.AMBER, ()) == (s.state, s.signal, s.lines)


def test_new_shipment_validates_countries() -> None:
    """An unknown destination, transit or consignee country is refused."""
    with pytest.raises(InvalidCountry):
        shipment(destination="UAE")
    with pytest.raises(InvalidCountry):
        sh.new_shipment(
            shipment_id="S",
            door="D1",
            destination="DE",
            consignee=sh.Consignee("A", "DE"),
            now=NOW,
            transit=["XK"],
        )
    with pytest.raises(InvalidCountry):
        sh.Consignee("Acme", "Germany")


@pytest.mark.parametrize(
    "build",
    [
        lambda: sh.ManifestItem("123", 1),
        lambda: sh.ManifestItem(GYRO, 0),
        lambda: sh.ManifestItem(GYRO, 1, frozenset({"a", "b"})),
        lambda: sh.Manifest.from_mapping({"12345": [(GYRO, 1, [])]}),
    ],
    ids=["short-gtin", "zero-quantity", "more-serials-than-units", "short-sscc"],
)
def test_malformed_manifest_is_refused(build: object) -> None:
    """A manifest with impossible contents is refused when built."""
    with pytest.raises(InvalidShipment):
        build()  # type: ignore[operator]


# --- counting ---------------------------------------------------------------------------------


def test_serial_counts_once_however_often_read() -> None:
    """Reading the same serial again does not add a unit; a new serial does."""
    s = scan(scan(scan(shipment(), GYRO, "A"), GYRO, "A"), GYRO, "B")
    (line,) = s.lines
    assert (2, 2) == (line.quantity, line.serialised)
    assert {(GYRO, 0, "A"), (GYRO, 0, "B")} == serial_books.counted(s)


def test_a_scan_returns_only_the_serials_it_counted_first() -> None:
    """The transition names each serial counted for the first time, and none read again:
    what the shell stores, one row each."""
    first = serial_books.add_scan(shipment(), item(GYRO, "A"), TABLE[GYRO], CONTROLS, NOW)
    again = serial_books.add_scan(first.shipment, item(GYRO, "A"), TABLE[GYRO], CONTROLS, NOW)
    assert ((GYRO, 0, "A"),) == tuple((r.key, r.epoch, r.serial) for r in first.serials)
    assert ((), first.shipment) == (again.serials, again.shipment)


def test_a_removed_line_read_again_counts_its_serials_in_a_new_epoch() -> None:
    """Goods unloaded and put back count again: the line starts a new epoch, in which a
    serial read before the removal is new."""
    s = scan(scan(shipment(), GYRO, "A"), GYRO, "B")
    s = sh.remove_line(s, GYRO, CONTROLS, NOW).shipment
    back = serial_books.add_scan(s, item(GYRO, "A"), TABLE[GYRO], CONTROLS, NOW)
    line = back.shipment.line(GYRO)
    assert line is not None
    assert (1, 1, False) == (line.epoch, line.quantity, line.removed)
    assert ((GYRO, 1, "A"),) == tuple((r.key, r.epoch, r.serial) for r in back.serials)


def test_scan_without_serial_adds_a_unit_each_time() -> None:
    """Unserialised reads each count one unit."""
    s = scan(scan(scan(shipment(), BOLT), BOLT), BOLT, "X")
    assert 3 == s.lines[0].quantity


def test_scan_answer_reports_the_touched_line() -> None:
    """add_scan returns the line the scan went to, with its decision."""
    outcome = serial_books.add_scan(shipment(), item(GYRO, "A"), TABLE[GYRO], CONTROLS, NOW)
    (line,) = outcome.lines
    assert (GYRO, Decision.LICENCE_REQUIRED, ("cat2",)) == (line.key, line.decision, line.reasons)


def test_container_in_manifest_expands_into_contents() -> None:
    """An SSCC in the manifest becomes its contents, each classified, counted once."""
    outcome = serial_books.add_scan(shipment(), container(PALLET), None, CONTROLS, NOW)
    assert (GYRO, BOLT) == tuple(line.key for line in outcome.lines)
    gyro, bolt = outcome.shipment.lines
    assert (4, 100) == (gyro.quantity, bolt.quantity)
    assert (2, 0) == (gyro.category, bolt.category)
    again = serial_books.add_scan(outcome.shipment, container(PALLET), None, CONTROLS, NOW).shipment
    assert (4, 100) == tuple(line.quantity for line in again.lines)


def test_serial_in_container_and_scanned_alone_counts_once() -> None:
    """A unit read on its own and again inside its pallet is one unit."""
    s = scan(shipment(), GYRO, "P1")
    s = serial_books.add_scan(s, container(PALLET), None, CONTROLS, NOW).shipment
    assert 4 == s.line(GYRO).quantity  # type: ignore[union-attr]


def test_unknown_container_is_an_unclassified_line_counted_once() -> None:
    """An SSCC missing from the manifest is an unclassified line keyed by the SSCC."""
    s = serial_books.add_scan(shipment(), container(STRAY), None, CONTROLS, NOW).shipment
    s = serial_books.add_scan(s, container(STRAY), None, CONTROLS, NOW).shipment
    (line,) = s.lines
    assert (STRAY, 1, ("unclassified",)) == (line.key, line.quantity, line.reasons)
    assert line.container
    assert "manifest" in line.description


def test_failed_content_lookup_holds_the_line() -> None:
    """A lookup that raises while expanding a container holds the line with reason 'error'."""

    def broken(key: str) -> Classification | None:
        raise OSError("table unmapped")

    controls = dataclasses.replace(CONTROLS, classify=broken)
    s = serial_books.add_scan(shipment(), container(PALLET), None, controls, NOW).shipment
    assert all(line.reasons == ("error",) for line in s.lines)
    assert "table unmapped" in s.lines[0].verdict.detail


def test_classification_for_another_key_is_not_trusted() -> None:
    """A classification whose key differs from the scanned key holds the line."""
    s = serial_books.add_scan(shipment(), item(GYRO), TABLE[BOLT], CONTROLS, NOW).shipment
    assert ("error",) == s.lines[0].reasons


def test_scan_without_key_or_sscc_is_refused() -> None:
    """An identifier naming neither an item nor a container is an InvalidCode."""
    with pytest.raises(InvalidCode):
        serial_books.add_scan(shipment(), Identifier("gs1", "(10)LOT"), None, CONTROLS, NOW)


def test_prohibited_scan_turns_open_door_red() -> None:
    """While loading, one prohibited item turns the signal red at once."""
    s = scan(scan(shipment(), BOLT), TOOLING)
    assert (State.OPEN, Signal.RED) == (s.state, s.signal)


def test_the_signal_after_a_prohibited_scan_is_red_without_reading_every_line() -> None:
    """An amber door with the same facts turns red on a prohibited scan, as every line says
    (the shortcut must never keep it amber); a clear scan keeps it amber."""
    amber = scan(shipment(), BOLT)
    assert Signal.AMBER is amber.signal
    red = serial_books.add_scan(amber, item(TOOLING), TABLE.get(TOOLING), CONTROLS, NOW)
    assert red.shipment.facts is amber.facts
    assert (Signal.RED, Signal.RED) == (
        red.shipment.signal,
        shipment_values.signal_after(amber, Signal.AMBER, red),
    )
    clear = serial_books.add_scan(amber, item(BOLT), TABLE.get(BOLT), CONTROLS, NOW)
    assert Signal.AMBER is shipment_values.signal_after(amber, Signal.AMBER, clear)


def test_a_transition_that_decides_every_line_again_gets_the_signal_of_every_line() -> None:
    """A re-evaluation against a table that now lists a loaded item as prohibited turns the
    door red, even though the lines it reports are none: the signal is read off every line."""
    amber = scan(shipment(), BOLT)
    table = {**TABLE, BOLT: entry(BOLT, 1, "1.B.1", "production")}
    controls = dataclasses.replace(CONTROLS, classify=table.get)
    again = sh.reevaluate(amber, controls, NOW)
    assert None is again.redecided
    assert again.shipment.signal is shipment_values.signal_after(amber, Signal.AMBER, again)


def test_lines_read_in_any_order_are_counted_into_their_own_line() -> None:
    """Three new items, then the first and the last again (new serials): each count lands on
    its own line, found through the index the scans keep."""
    s = shipment()
    for key, serial in ((GYRO, "A"), (MOTOR, "M1"), (BOLT, None), (GYRO, "B"), (BOLT, None)):
        s = scan(s, key, serial)
    assert [(GYRO, 2), (MOTOR, 1), (BOLT, 2)] == [(line.key, line.quantity) for line in s.lines]
    assert {GYRO: 0, MOTOR: 1, BOLT: 2} == dict(s.positions())
    assert s.line_index is not None and s.line_index[0] is s.lines


# --- sealing --------------------------------------------------------------------------------


def test_seal_clears_a_clean_shipment() -> None:
    """Sealing a shipment of clear lines clears it: green, no request."""
    outcome = sh.seal(scan(shipment("DE"), GYRO, "A"), CONTROLS, LATER)
    assert (State.CLEARED, Signal.GREEN, ()) == (
        outcome.shipment.state,
        outcome.shipment.signal,
        outcome.effects,
    )
    assert LATER == outcome.shipment.sealed_at


def test_seal_blocks_on_prohibited_line() -> None:
    """A prohibited line blocks the shipment; no licence request is sent for it."""
    outcome = sh.seal(scan(scan(shipment(), GYRO, "A"), TOOLING), CONTROLS, NOW)
    assert (State.BLOCKED, Signal.RED, ()) == (
        outcome.shipment.state,
        outcome.shipment.signal,
        outcome.effects,
    )


def test_seal_holds_and_requests_only_uncovered_lines() -> None:
    """A held shipment queues one request naming exactly the lines that need a licence."""
    s = scan(scan(scan(shipment(), BOLT), GYRO, "A"), MOTOR, "M1")
    outcome = sh.seal(s, CONTROLS, NOW)
    assert (State.HELD, Signal.AMBER) == (outcome.shipment.state, outcome.shipment.signal)
    (effect,) = outcome.effects
    assert isinstance(effect, sh.LicenceRequestNeeded)
    request = effect.request
    assert ("S-1-r1", "S-1") == (request.request_id, request.shipment_id)
    assert [(GYRO, 1, ("cat2",), 0), (MOTOR, 1, ("cat1",), 0)] == [
        (line.key, line.quantity, line.reasons, line.epoch) for line in request.lines
    ]
    assert (request,) == outcome.shipment.requests


def test_reevaluating_a_held_shipment_does_not_ask_twice() -> None:
    """An unanswered request is not repeated by later evaluations."""
    held = sh.seal(scan(shipment(), GYRO, "A"), CONTROLS, NOW).shipment
    again = sh.reevaluate(held, CONTROLS, LATER)
    assert () == again.effects
    assert held.requests == again.shipment.requests


def test_scan_and_seal_after_seal_are_refused() -> None:
    """A sealed shipment takes no more scans and cannot be sealed again."""
    sealed = sh.seal(scan(shipment(), BOLT), CONTROLS, NOW).shipment
    with pytest.raises(NotOpen, match="sealed"):
        serial_books.add_scan(sealed, item(BOLT), TABLE[BOLT], CONTROLS, NOW)
    with pytest.raises(NotOpen):
        sh.seal(sealed, CONTROLS, NOW)


# --- removal --------------------------------------------------------------------------------


def test_removing_the_prohibited_line_unblocks() -> None:
    """Unloading the prohibited goods re-evaluates the shipment at once."""
    blocked = sh.seal(scan(scan(shipment("DE"), BOLT), TOOLING), CONTROLS, NOW).shipment
    outcome = sh.remove_line(blocked, TOOLING, CONTROLS, LATER)
    assert (State.CLEARED, Signal.GREEN) == (outcome.shipment.state, outcome.shipment.signal)
    assert outcome.shipment.line(TOOLING).removed  # type: ignore[union-attr]
    assert (TOOLING,) == tuple(line.key for line in outcome.lines)


def test_removing_unknown_line_is_refused_and_twice_is_a_no_op() -> None:
    """Removing a key the shipment lacks raises; removing a removed line changes nothing."""
    s = scan(shipment(), BOLT)
    with pytest.raises(UnknownLine):
        sh.remove_line(s, GYRO, CONTROLS, NOW)
    once = sh.remove_line(s, BOLT, CONTROLS, NOW).shipment
    assert once == sh.remove_line(once, BOLT, CONTROLS, LATER).shipment


def test_removed_goods_read_again_count_from_the_new_read() -> None:
    """Goods unloaded and put back are counted again, from the new reads only."""
    s = scan(scan(shipment(), GYRO, "A"), GYRO, "B")
    s = sh.remove_line(s, GYRO, CONTROLS, NOW).shipment
    s = scan(s, GYRO, "A")
    (line,) = s.lines
    assert (False, 1) == (line.removed, line.quantity)


def test_rescanned_container_brings_back_its_removed_contents() -> None:
    """A pallet read again after one of its lines was unloaded counts that line again."""
    s = serial_books.add_scan(shipment(), container(PALLET), None, CONTROLS, NOW).shipment
    s = sh.remove_line(s, GYRO, CONTROLS, NOW).shipment
    s = serial_books.add_scan(s, container(PALLET), None, CONTROLS, NOW).shipment
    assert [(GYRO, False, 4), (BOLT, False, 100)] == [
        (line.key, line.removed, line.quantity) for line in s.lines
    ]


def test_a_gtin_listed_twice_in_a_pallet_counts_both_entries_again_after_a_removal() -> None:
    """Both manifest entries of one GTIN in one pallet count when the pallet is read again
    after the line was unloaded, as they did the first time (the attacker's case (a))."""
    twice = sh.Manifest.from_mapping({PALLET: [(BOLT, 3, []), (BOLT, 2, [])]})
    first = serial_books.add_scan(
        shipment(manifest=twice), container(PALLET), None, CONTROLS, NOW
    ).shipment
    s = sh.remove_line(first, BOLT, CONTROLS, NOW).shipment
    s = serial_books.add_scan(s, container(PALLET), None, CONTROLS, NOW).shipment
    again = serial_books.add_scan(s, container(PALLET), None, CONTROLS, NOW).shipment
    assert [5, 5, 5] == [x.line(BOLT).quantity for x in (first, s, again)]  # type: ignore[union-attr]


def test_every_pallet_of_a_removed_gtin_counts_again_once() -> None:
    """One GTIN on two pallets: after its line is unloaded and both are put back, each
    pallet read again counts its units once more, and a third read of either adds nothing
    (the attacker's case (b): the second pallet counted nothing)."""
    other = "340123450000000031"
    two = sh.Manifest.from_mapping({PALLET: [(BOLT, 2, [])], other: [(BOLT, 2, [])]})
    s = shipment(manifest=two)
    for sscc in (PALLET, other):
        s = serial_books.add_scan(s, container(sscc), None, CONTROLS, NOW).shipment
    assert 4 == s.line(BOLT).quantity  # type: ignore[union-attr]
    s = sh.remove_line(s, BOLT, CONTROLS, NOW).shipment
    quantities = []
    for sscc in (PALLET, other, PALLET, other):
        s = serial_books.add_scan(s, container(sscc), None, CONTROLS, NOW).shipment
        quantities.append(s.line(BOLT).quantity)  # type: ignore[union-attr]
    assert [2, 4, 4, 4] == quantities


# --- approvals and denials ------------------------------------------------------------------


def test_approval_clears_a_held_shipment() -> None:
    """An approval for all requested lines clears the shipment."""
    held = sh.seal(scan(shipment(), GYRO, "A"), CONTROLS, NOW).shipment
    outcome = approve(held)
    assert State.CLEARED == outcome.shipment.state
    cover = outcome.shipment.lines[0].covered_by
    assert cover is not None
    assert ("LIC-9", "S-1-r1") == (cover.licence, cover.request_id)


def test_denial_is_final_for_its_lines() -> None:
    """A denied line is prohibited (rule 3) and no later approval or evaluation lifts it."""
    held = sh.seal(scan(scan(shipment(), GYRO, "A"), BOLT), CONTROLS, NOW).shipment
    denied = approve(held, "denied").shipment
    assert State.BLOCKED == denied.state
    gyro = denied.line(GYRO)
    assert gyro is not None
    assert (Decision.PROHIBITED, 3, True) == (gyro.decision, gyro.verdict.rule, gyro.denied)
    assert State.BLOCKED == approve(denied).shipment.state
    assert State.BLOCKED == sh.reevaluate(denied, CONTROLS, LATER).shipment.state
    assert State.CLEARED == sh.remove_line(denied, GYRO, CONTROLS, LATER).shipment.state


def test_approval_for_another_shipment_or_request_is_refused() -> None:
    """An approval must answer one of this shipment's own requests."""
    held = sh.seal(scan(shipment(), GYRO, "A"), CONTROLS, NOW).shipment
    until = NOW + dt.timedelta(days=1)
    with pytest.raises(InvalidApproval):
        sh.apply_approval(
            held, Approval("S-1-r1", "S-2", APPROVED, None, "L", until), CONTROLS, NOW
        )
    with pytest.raises(InvalidApproval):
        sh.apply_approval(
            held, Approval("S-1-r9", "S-1", APPROVED, None, "L", until), CONTROLS, NOW
        )
    with pytest.raises(InvalidApproval):
        sh.apply_approval(
            shipment(), Approval("S-1-r1", "S-1", APPROVED, None, "L", until), CONTROLS, NOW
        )


def test_malformed_approval_is_refused() -> None:
    """An approval without licence or validity, or with a bad decision, is refused."""
    with pytest.raises(InvalidApproval):
        Approval("R", "S", APPROVED, None, None, NOW)
    with pytest.raises(InvalidApproval):
        Approval("R", "S", APPROVED, None, "L", None)
    with pytest.raises(InvalidApproval):
        Approval("R", "S", "maybe")  # type: ignore[arg-type]
    with pytest.raises(InvalidApproval):
        Approval("R", "S", APPROVED, ((GYRO, 0),), "L", NOW)


# --- dispatch and cancel --------------------------------------------------------------------


def test_dispatch_only_from_cleared() -> None:
    """Dispatching a held shipment is refused with the blocking lines and their reasons."""
    held = sh.seal(scan(scan(shipment(), GYRO, "A"), BOLT), CONTROLS, NOW).shipment
    with pytest.raises(DispatchRefused) as refused:
        sh.dispatch(held, CONTROLS, NOW)
    assert ((GYRO, "licence_required", ("cat2",)),) == refused.value.blocking
    assert GYRO in str(refused.value)
    assert "cat2" in str(refused.value)
    with pytest.raises(DispatchRefused, match="open"):
        sh.dispatch(shipment(), CONTROLS, NOW)


def test_dispatched_shipment_is_final() -> None:
    """After dispatch nothing changes the shipment, and it cannot be cancelled."""
    cleared = sh.seal(scan(shipment("DE"), BOLT), CONTROLS, NOW).shipment
    gone = sh.dispatch(cleared, CONTROLS, LATER).shipment
    assert (State.DISPATCHED, LATER) == (gone.state, gone.closed_at)
    acts: list[Callable[[], object]] = [
        lambda: serial_books.add_scan(gone, item(BOLT), TABLE[BOLT], CONTROLS, NOW),
        lambda: sh.seal(gone, CONTROLS, NOW),
        lambda: sh.remove_line(gone, BOLT, CONTROLS, NOW),
        lambda: sh.dispatch(gone, CONTROLS, NOW),
        lambda: sh.cancel(gone, NOW),
    ]
    for act in acts:
        with pytest.raises(ShipmentFinal, match="dispatched"):
            act()
    assert gone == sh.reevaluate(gone, CONTROLS, LATER).shipment


def test_cancel_from_any_live_state_and_again() -> None:
    """Open and held shipments can be cancelled; cancelling again is a harmless no-op."""
    opened = scan(shipment(), BOLT)
    held = sh.seal(scan(shipment(), GYRO, "A"), CONTROLS, NOW).shipment
    for s in (opened, held):
        gone = sh.cancel(s, LATER).shipment
        assert State.CANCELLED == gone.state
        assert gone == sh.cancel(gone, LATER + dt.timedelta(hours=1)).shipment
        with pytest.raises(ShipmentFinal):
            sh.dispatch(gone, CONTROLS, LATER)


def test_dispatch_draws_down_standing_licences() -> None:
    """A shipment released by a standing licence returns the drawdown, which the licence
    can afford once and not twice."""
    licence = StandingLicence.issued(
        "SL-4",
        consignee_name="GULF AVIONICS L.L.C.",
        consignee_country="AE",
        destination="AE",
        controls=["9.A.3", "2.A.1.a"],
        quantity=3,
        valid_from=NOW - dt.timedelta(days=1),
        valid_until=NOW + dt.timedelta(days=1),
        category_1=True,  # it names 2.A.1.a, a Category I code
    )
    controls = dataclasses.replace(CONTROLS, licences=(licence,))
    s = scan(scan(shipment(), GYRO, "A"), MOTOR, "M")
    cleared = sh.seal(s, controls, NOW).shipment
    assert State.CLEARED == cleared.state
    outcome = sh.dispatch(cleared, controls, LATER)
    (drawdown,) = outcome.drawdowns
    assert ("SL-4", 2, (GYRO, MOTOR)) == (drawdown.licence, drawdown.quantity, drawdown.keys)
    (after,) = draw_down((licence,), outcome.drawdowns)
    assert 1 == after.remaining
    with pytest.raises(Overdraw):
        draw_down((after,), outcome.drawdowns)


def test_table_change_holds_yesterdays_cleared_shipment() -> None:
    """A re-evaluation under a new table can hold a cleared shipment, with a new request."""
    cleared = sh.seal(scan(shipment(), BOLT), CONTROLS, NOW).shipment
    assert State.CLEARED == cleared.state
    relisted = {BOLT: entry(BOLT, 2, "6.C.1")}
    outcome = sh.reevaluate(cleared, dataclasses.replace(CONTROLS, classify=relisted.get), LATER)
    assert State.HELD == outcome.shipment.state
    assert [BOLT] == [line.key for line in outcome.requests[0].lines]


def test_dispatch_after_data_went_stale_is_refused() -> None:
    """Dispatch evaluates once more: data that went stale since sealing stops it."""
    dates = ControlDates(NOW - dt.timedelta(days=89))
    controls = dataclasses.replace(CONTROLS, dates=dates)
    cleared = sh.seal(scan(shipment("DE"), BOLT), controls, NOW).shipment
    assert NOW + dt.timedelta(days=1) == sh.next_review(cleared, controls, NOW)
    with pytest.raises(DispatchRefused) as refused:
        sh.dispatch(cleared, controls, NOW + dt.timedelta(days=1))
    assert ((BOLT, "licence_required", ("stale_data",)),) == refused.value.blocking


def test_unknown_state_accepts_nothing_and_shows_red() -> None:
    """A shipment record in a state gate does not know is red and refuses every event."""
    odd = dataclasses.replace(shipment(), state="loading")  # type: ignore[arg-type]
    assert Signal.RED == odd.signal
    with pytest.raises(UnknownState):
        sh.dispatch(odd, CONTROLS, NOW)
    with pytest.raises(UnknownState):
        serial_books.add_scan(odd, item(BOLT), TABLE[BOLT], CONTROLS, NOW)


def test_naive_now_is_refused() -> None:
    """Transitions take aware datetimes only."""
    with pytest.raises(ValueError, match="timezone"):
        sh.seal(shipment(), CONTROLS, NOW.replace(tzinfo=None))


def test_fast_copy_equals_dataclasses_replace() -> None:
    """The hot-path copy builds what dataclasses.replace would; it may skip __init__ only
    because Line and Shipment have no __post_init__."""
    assert not hasattr(sh.Line, "__post_init__")
    assert not hasattr(sh.Shipment, "__post_init__")
    s = scan(shipment(), GYRO, "A")
    assert dataclasses.replace(s, state=State.HELD) == shipment_values.evolve(s, state=State.HELD)
    line = s.lines[0]
    assert dataclasses.replace(line, removed=True) == shipment_values.evolve(line, removed=True)
    with pytest.raises(TypeError):
        shipment_values.evolve(line, colour="red")
    # Every slot, the ones == skips (facts) too: copied as they are, or set as asked.
    held = shipment_values.evolve(s, state=State.HELD)
    for name in sh.Shipment.__slots__:
        expected = State.HELD if name == "state" else getattr(s, name)
        assert expected is getattr(held, name), name


def test_a_scan_reuses_the_context_its_facts_were_worked_out_from() -> None:
    """A shipment whose context fields are the very values its facts were worked out from
    hands back that context (what lets a scan skip building one); a change to any field the
    context reads gives a new context equal to one built from scratch."""
    s = scan(shipment(), GYRO, "A")
    assert s.facts is not None and s.facts.basis is not None
    assert s.facts.basis.context is s.context
    # Screened as the service screens every shipment (one entry per party, no hits): the
    # facts keep the shipment's own screening, so the next scan still finds its context.
    screened = scan(
        shipment_values.evolve(s, screening=tuple(PartyHits(p) for p in s.context.all_parties)),
        GYRO,
        "B",
    )
    again = scan(screened, GYRO, "C")
    assert screened.facts is again.facts
    assert again.facts is not None and again.facts.basis is not None
    assert again.facts.basis.context is again.context
    party = sh.Party("end_user", "Desert Test Range", "AE")
    consignee = sh.Consignee("Other Avionics LLC", "AE")
    changed = {
        "destination": "SA",
        "consignee_name": shipment_values.evolve(s, consignee=consignee),
        "consignee_country": shipment_values.evolve(
            s, consignee=sh.Consignee(s.consignee.name, "SA")
        ),
        "consignee_ids": shipment_values.evolve(
            s, consignee=sh.Consignee(s.consignee.name, s.consignee.country, (("lei", "X1"),))
        ),
        "transit": ("TR",),
        "end_use": "test range",
        "parties": (party,),
        "end_use_codes": ("missile",),
        "screening": (PartyHits(party, ()),),
    }
    # Each field of the context is changed once below: a new field must be added here too.
    assert {f.name for f in dataclasses.fields(ShipmentContext)} == set(changed)
    for name, change in changed.items():
        other = (
            change
            if isinstance(change, sh.Shipment)
            else shipment_values.evolve(s, **{name: change})
        )
        context = other.context
        assert context is not s.facts.basis.context, name
        assert getattr(context, name) != getattr(s.context, name), name
        assert fresh_context(other) == context, name


def test_repushed_standing_licence_keeps_what_was_drawn() -> None:
    """The same licence number pushed again replaces the terms but not the units already used."""
    first = StandingLicence.issued(
        "SL-5",
        consignee_name="Gulf Avionics",
        consignee_country="AE",
        destination="AE",
        controls=["9.A.3"],
        quantity=10,
        valid_from=NOW,
        valid_until=NOW + dt.timedelta(days=1),
    )
    (used,) = draw_down((first,), [Drawdown("SL-5", 4, (GYRO,))])
    again = dataclasses.replace(first, quantity=12, remaining=12, controls=frozenset({"9.A.1"}))
    (merged,) = upsert((used,), again)
    assert (12, 8, frozenset({"9.A.1"})) == (merged.quantity, merged.remaining, merged.controls)
    assert (first,) == upsert((), first)
    assert (used,) == upsert((used,), first)


def test_a_manifest_refuses_one_unit_in_two_places() -> None:
    """One serial of a GTIN listed twice, in one container or in two, is refused when the
    shipment is made: counted, it would be two units. A GTIN listed twice without serials
    (two lots) is fine."""
    twice = {PALLET: [(GYRO, 1, ["C"]), (GYRO, 1, ["C"])]}
    with pytest.raises(InvalidShipment, match="serial 'C' twice"):
        sh.Manifest.from_mapping(twice)
    apart = {PALLET: [(GYRO, 1, ["C"])], "340123450000000024": [(GYRO, 1, ["C"])]}
    with pytest.raises(InvalidShipment, match="serial 'C' twice"):
        sh.Manifest.from_mapping(apart)
    lots = sh.Manifest.from_mapping({PALLET: [(GYRO, 2, []), (GYRO, 3, ["D"])]})
    assert 2 == len(lots.contents(PALLET) or ())


def test_a_read_counts_each_serial_once_however_often_it_names_it() -> None:
    """Counting is safe against input naming a serial twice in one read: once each."""
    counted: list[sh.SerialRead] = []
    line = count(sh.Line(GYRO), 0, ["A", "A", "B"], serial_books.FrozenBook(frozenset()), counted)
    assert (2, ["A", "B"]) == (line.serialised, [r.serial for r in counted])


def test_added_counts_what_a_read_added_and_nothing_for_a_re_read() -> None:
    """A read adds its new units: a pallet its contents once, a serial once, an unserialised
    read one each time, and a removed line read again its unit (not the units it lost)."""

    def read(s: sh.Shipment, identifier: Identifier) -> tuple[sh.Shipment, int]:
        key = identifier.key
        t = serial_books.add_scan(s, identifier, TABLE.get(key or ""), CONTROLS, NOW)
        return t.shipment, added(s, t.lines)

    s, pallet = read(shipment(), container(PALLET))
    s, pallet_again = read(s, container(PALLET))
    s, inside = read(s, item(GYRO, "P1"))
    s, new_serial = read(s, item(GYRO, "Q1"))
    s, bolt = read(s, item(BOLT))
    s = sh.remove_line(s, GYRO, CONTROLS, NOW).shipment
    s, back = read(s, item(GYRO, "P1"))
    s = serial_books.carry(s, sh.remove_line(s, BOLT, CONTROLS, NOW).shipment)
    # The pallet read again counts its contents into every line it was not counted into
    # since that line started again: its 100 bolts, and the gyros P2-P4 beside P1 (put back
    # and read alone before, so counted once).
    s, reloaded = read(s, container(PALLET))
    assert (104, 0, 0, 1, 1, 1, 103) == (
        pallet,
        pallet_again,
        inside,
        new_serial,
        bolt,
        back,
        reloaded,
    )
    assert [(GYRO, 4), (BOLT, 100)] == [(line.key, line.quantity) for line in s.lines]


def fresh_context(shipment: sh.Shipment) -> ShipmentContext:
    """The shipment's context built field by field (the oracle ``Shipment.context`` keeps)."""
    return ShipmentContext(
        destination=shipment.destination,
        consignee_name=shipment.consignee.name,
        consignee_country=shipment.consignee.country,
        transit=shipment.transit,
        end_use=shipment.end_use,
        parties=shipment.parties,
        end_use_codes=shipment.end_use_codes,
        consignee_ids=shipment.consignee.ids,
        screening=shipment.screening,
    )
