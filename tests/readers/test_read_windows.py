"""Read windows from a sensor on the reader's GPI port (llrpkit's emulator drives the line):
goods that pass with a readable tag are counted; goods that pass with none hold the door
(amber, "goods passed without a readable tag", dispatch refused) until an operator
acknowledges it on the page, journaled."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from llrpkit.emulator import EmulatedTag, LLRPEmulator

from gate.errors import Conflict
from gate.ingest.readers.read_window import ReadWindow
from gate.web import app_keys
from tests.readers.support import epc, journal, lines_of, readers_doc
from tests.readers.test_cross_reads import portal
from tests.service.harness import OPERATOR, SCANNER_TOKEN, Gate, Gates, gtin_with, until

# --- the window, as values ------------------------------------------------------------------


def test_window_counts_reads_between_the_edges_and_the_tail() -> None:
    window = ReadWindow(tail=0.5)
    assert not window.read(0.0)  # nothing passing: not a scan
    window.open(1.0)
    assert window.read(1.2)
    window.close(2.0)
    assert window.read(2.4)  # in the tail
    assert not window.settle(2.4)  # not due yet
    assert not window.settle(2.5)  # due, and not empty
    assert not window.read(2.6)
    assert (1, 0, 2) == (window.windows, window.empty, window.outside)


def test_an_empty_window_settles_empty_and_a_second_pallet_does_not_cover_it() -> None:
    window = ReadWindow(tail=0.5)
    window.open(0.0)
    window.close(1.0)
    assert window.settle(1.5)
    window.open(2.0)
    window.close(3.0)
    # The next pallet trips the sensor during the tail: the first window settles now, empty.
    assert window.open(3.1)
    assert window.read(3.2)
    window.close(4.0)
    assert not window.settle(4.6)
    assert (3, 2) == (window.windows, window.empty)


# --- end to end -------------------------------------------------------------------------------


async def door(gate: Gate, door_id: str = "D1") -> dict[str, object]:
    status, doc = await gate.call("GET", f"/api/v1/doors/{door_id}")
    assert 200 == status, doc
    return dict(doc)


async def test_empty_window_holds_the_door_until_an_operator_acknowledges(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """A pallet whose tag is read passes; then goods pass with no readable tag: the door is
    held (amber), dispatch is refused, a scanner may not acknowledge, an operator does
    (journaled), and then the shipment dispatches."""
    gyro = gtin_with(demo_config, "9.A.4")
    gate = await gates.start(readers=portal("north", "D1", emu.port, gpi_port=1, window_tail=0.3))
    await gate.create(
        "S1", "D1", destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"}
    )
    await until(lambda: _connected(gate), "reader connected")

    # A tag in the field while nothing passes the sensor is not loaded.
    emu.tags = [EmulatedTag(epc(gyro, 1), rssi_dbm=-45.0)]
    await until(lambda: _outside(gate), "reads outside a window dropped")
    assert {} == await lines_of(gate)

    # A pallet passes with its tag read: counted, no hold.
    await emu.set_gpi(1, True)
    await until(lambda: _quantity(gate, gyro, 1), "the unit counted")
    emu.tags = []
    await emu.set_gpi(1, False)
    await until(lambda: _windows(gate, 1), "the window settled")
    assert None is (await door(gate))["hold"]

    # Goods pass and no tag is read.
    await emu.set_gpi(1, True)
    await emu.set_gpi(1, False)
    held = await until(lambda: _held(gate), "the door held")
    assert ("goods passed without a readable tag", "north") == (
        held["hold"]["reason"],
        held["hold"]["reader"],
    )
    assert "amber" == held["light"]
    status, metrics = await gate.call("GET", "/metrics")
    assert 'gate_door_held{door="D1"} 1.0' in metrics

    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared", "green") == (status, doc["state"], doc["signal"])
    assert "amber" == (await door(gate))["light"]  # held over the cleared shipment
    status, problem = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status, problem
    assert "door D1 is held" in problem["detail"]

    status, _ = await gate.call("POST", "/api/v1/doors/D1/acknowledge", token=SCANNER_TOKEN)
    assert 403 == status
    status, problem = await gate.call("POST", "/api/v1/doors/D1/acknowledge", {}, auth=OPERATOR)
    # An acknowledgement names the count of windows it saw.
    assert (400, "windows") == (status, problem["errors"][0]["field"]), problem
    status, doc = await gate.call(
        "POST", "/api/v1/doors/D1/acknowledge", {"windows": 1}, auth=OPERATOR
    )
    assert (200, None, "green") == (status, doc["hold"], doc["light"])
    status, _ = await gate.call(
        "POST", "/api/v1/doors/D1/acknowledge", {"windows": 1}, auth=OPERATOR
    )
    assert 409 == status  # not held any more

    kinds = [kind for kind, _ in journal(gate, "reader:north")] + [
        kind for kind, _ in journal(gate, "ops")
    ]
    assert {"door.held", "door.hold_acknowledged"} <= set(kinds)
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"])


async def test_a_hold_survives_a_restart(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """A held door is still held after the gate restarts (never lost to a restart)."""
    gate = await gates.start(readers=portal("north", "D1", emu.port, gpi_port=1, window_tail=0.1))
    await until(lambda: _connected(gate), "reader connected")
    await emu.set_gpi(1, True)
    await emu.set_gpi(1, False)
    await until(lambda: _held(gate), "the door held")
    await gates.stop(gate)
    gate = await gates.start()
    assert "goods passed without a readable tag" == (await door(gate))["hold"]["reason"]  # type: ignore[index]


async def test_a_hold_that_cannot_be_stored_holds_the_door_at_once_and_is_stored_later(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """Another connection holds the database's write lock while goods pass with no tag,
    twice: the door is held at once all the same (light amber, the hold not yet stored),
    counts both windows, and both are stored (journaled) once the lock is released; the
    shipment then seals but does not dispatch until an operator acknowledges both."""
    gate = await gates.start(readers=portal("north", "D1", emu.port, gpi_port=1, window_tail=0.1))
    await gate.create(
        "S1", "D1", destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"}
    )
    await until(lambda: _connected(gate), "reader connected")
    lock = sqlite3.connect(gate.config.database, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        for n in (1, 2):
            await emu.set_gpi(1, True)
            await emu.set_gpi(1, False)
            await until(lambda n=n: _windows(gate, n), f"window {n} settled")
        held = await until(lambda: _held(gate, windows=2), "the door held for two windows")
        assert ("amber", False) == (held["light"], held["hold"]["stored"])  # type: ignore[index]
        assert [] == [k for k, _ in journal(gate, "reader:north")]
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    await until(
        lambda: 2 == [k for k, _ in journal(gate, "reader:north")].count("door.held"),
        "both windows stored",
    )
    # The records are in the journal a moment before the loop marks the hold stored.
    await until(lambda: _stored(gate), "the hold marked stored")
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert 200 == status, doc
    status, problem = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status and "door D1 is held" in problem["detail"], problem
    status, problem = await gate.call(
        "POST", "/api/v1/doors/D1/acknowledge", {"windows": 1}, auth=OPERATOR
    )
    assert 409 == status and "2 empty window(s)" in problem["detail"], problem
    status, doc = await gate.call(
        "POST", "/api/v1/doors/D1/acknowledge", {"windows": 2}, auth=OPERATOR
    )
    assert (200, None) == (status, doc["hold"])
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"])


async def test_a_dispatch_decided_while_a_hold_is_being_written_is_refused(gates: Gates) -> None:
    """A hold and a dispatch at the same moment: the hold's write is still pending when the
    dispatch decides, and the dispatch sees it (409), not only committed holds."""
    gate = await gates.start()
    await gate.create(
        "S1", "D1", destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"}
    )
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"]), doc
    holds, docks = gate.app[app_keys.HOLDS], gate.app[app_keys.DOCKS]
    held, dispatched = await asyncio.gather(
        holds.hold("D1", "north"), docks.dispatch("S1", "wms"), return_exceptions=True
    )
    assert isinstance(dispatched, Conflict), dispatched
    assert not isinstance(held, BaseException) and holds.is_held("D1")
    status, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert (200, "cleared") == (status, doc["state"])


async def test_a_hold_whose_caller_is_cancelled_mid_write_is_still_stored(gates: Gates) -> None:
    """The reader's session ends (its task cancelled) while the hold waits for a locked
    database, and the write then fails: the door stays held and the hold is retried and
    stored once the lock is released."""
    gate = await gates.start()
    holds = gate.app[app_keys.HOLDS]
    lock = sqlite3.connect(gate.config.database, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        task = asyncio.create_task(holds.hold("D1", "north"))
        await until(lambda: holds.is_held("D1"), "held in memory")
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert holds.is_held("D1") and 1 == holds.unwritten("D1")
        # The write that was under way fails (busy) after the cancellation: none retried it.
        await until(lambda: gate.app[app_keys.DOCKS].store.locked_out, "the write refused")
        assert holds.is_held("D1") and 1 == holds.unwritten("D1")
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    await until(lambda: ["door.held"] == [k for k, _ in journal(gate, "reader:north")], "stored")
    # Memory learns it once the commit's answer reaches the loop, a moment after the journal
    # shows it to another connection.
    await until(lambda: 0 == holds.unwritten("D1"), "the hold known as stored")
    assert holds.is_held("D1")


async def _connected(gate: Gate) -> bool:
    return bool((await readers_doc(gate))["north"]["connected"])


async def _outside(gate: Gate) -> bool:
    return (await readers_doc(gate))["north"]["read_window"]["outside_window"] > 10


async def _windows(gate: Gate, n: int) -> bool:
    return (await readers_doc(gate))["north"]["read_window"]["windows"] >= n


async def _quantity(gate: Gate, key: str, n: int) -> bool:
    line = (await lines_of(gate)).get(key)
    return line is not None and n == line["quantity"]


async def _stored(gate: Gate) -> bool:
    hold = (await door(gate))["hold"]
    return isinstance(hold, dict) and bool(hold["stored"])


async def _held(gate: Gate, windows: int = 1) -> dict[str, object] | None:
    doc = await door(gate)
    hold = doc["hold"]
    return doc if hold and hold["windows"] >= windows else None  # type: ignore[index]
