"""A sensor portal down holds its door (attack14): while the LLRP reader whose sensor opens
the read windows has no session, goods pass unread and unseen, so its door is held ("portal
reader down: goods may have passed unread") at once, once per outage, a shipment at it or not
(an idle door: tests/readers/test_portal_down_idle.py); the reader coming back does not
release it, an operator does, once the reader is back; the hold is journaled and survives a
restart. A portal that answers (at the start too), or a reader with no sensor, holds
nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llrpkit.emulator import LLRPEmulator

from gate.service.door_holds import PORTAL_DOWN
from tests.readers.support import (
    acknowledge,
    dispatched_once_acknowledged,
    door_hold,
    guarded_hold,
    journal,
    north,
)
from tests.readers.test_cross_reads import portal
from tests.service.harness import Gate, Gates, until

_US = {"destination": "US", "consignee": {"name": "Kinetic Parts Inc", "country": "US"}}


async def _start(gates: Gates, emu: LLRPEmulator, *, sensor: bool = True) -> Gate:
    options: dict[str, Any] = {"gpi_port": 1, "window_tail": 0.3} if sensor else {}
    gate = await gates.start(readers=portal("north", "D1", emu.port, **options))
    await until(lambda: north(gate, "connected"), "reader connected")
    return gate


async def _down(gate: Gate) -> bool:
    return not await north(gate, "connected")


async def test_a_portal_down_holds_until_it_is_back_and_an_operator_acknowledges(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """The portal drops while S1 is open: held at once (one window however many attempts
    fail), journaled; the acknowledgement is refused while it is down; back, the door stays
    held, across a restart too, until the operator acknowledges; then S1 dispatches."""
    gate = await _start(gates, emu)
    await gate.create("S1", "D1", **_US)
    assert None is await door_hold(gate)
    await emu.stop()
    await until(lambda: _down(gate), "the reader down")
    hold = await door_hold(gate)
    assert hold is not None
    assert (PORTAL_DOWN, "north", ["north"]) == (
        hold["reason"],
        hold["reader"],
        hold["readers_down"],
    )
    await until(lambda: _failures(gate, 3), "more attempts failed")
    assert 1 == (await door_hold(gate))["windows"]  # type: ignore[index]
    status, problem = await acknowledge(gate, 1)
    assert 409 == status and "portal reader north is down" in problem["detail"], problem
    status, doc = await gate.call("GET", "/metrics")
    assert 'gate_door_held{door="D1"} 1.0' in doc

    await emu.start()  # the same port: back
    await until(lambda: north(gate, "connected"), "the reader back")
    assert PORTAL_DOWN == (await door_hold(gate))["reason"]  # type: ignore[index]
    await gates.stop(gate)
    gate = await gates.start()
    await until(lambda: north(gate, "connected"), "the reader connected again")
    # Up once it follows its sensor again, a moment after it connects (attack20 saw the
    # hold still name it right after "connected").
    hold = await until(lambda: guarded_hold(gate), "D1 held, its portal guarding it")
    assert PORTAL_DOWN == hold["reason"]
    records = [data for kind, data in journal(gate, "reader:north") if kind == "door.held"]
    assert [(PORTAL_DOWN, "S1")] == [(r["reason"], r["shipment"]) for r in records]

    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"]), doc
    await dispatched_once_acknowledged(gate, 1)


async def test_a_shipment_opened_while_the_portal_is_down_finds_its_door_held(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """Down with no shipment at the door: held at once (the window journaled with no
    shipment); a shipment created there meanwhile finds it held, the outage's one window
    (not a second), and does not dispatch until acknowledged once the reader is back."""
    gate = await _start(gates, emu)
    await emu.stop()
    await until(lambda: _down(gate), "the reader down")
    await until(lambda: _failures(gate, 2), "an attempt more failed")
    await gate.create("S1", "D1", **_US)
    hold = await door_hold(gate)
    assert hold is not None and (PORTAL_DOWN, 1) == (hold["reason"], hold["windows"])
    await until(lambda: _stored(gate), "the hold stored")
    records = [data for kind, data in journal(gate, "reader:north") if kind == "door.held"]
    assert [None] == [r["shipment"] for r in records]
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"]), doc
    status, problem = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status, problem
    await emu.start()
    await until(lambda: guarded_hold(gate), "the reader back, following its sensor")
    status, doc = await acknowledge(gate, 1)
    assert (200, None) == (status, doc["hold"]), doc
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"]), doc


async def test_a_portal_unreachable_at_the_start_holds_the_door_of_an_open_shipment(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """The gate restarts while its portal is off: once the reader's first attempt fails,
    the door with S1 open is held."""
    gate = await _start(gates, emu)
    await gate.create("S1", "D1", **_US)
    await gates.stop(gate)
    await emu.stop()
    gate = await gates.start()
    await until(lambda: door_hold(gate), "the door held")
    assert PORTAL_DOWN == (await door_hold(gate))["reason"]  # type: ignore[index]


async def test_a_portal_that_answers_at_the_start_holds_nothing(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """A restart with S1 open and the portal up: the gate's own stop and start is no outage
    of the portal's."""
    gate = await _start(gates, emu)
    await gate.create("S1", "D1", **_US)
    await gates.stop(gate)
    gate = await gates.start()
    await until(lambda: north(gate, "connected"), "the reader connected")
    assert None is await door_hold(gate)


async def test_a_reader_with_no_sensor_going_down_holds_nothing(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """A reader with no sensor opens no windows, so its outage holds nothing (its health
    shows it down, as before)."""
    gate = await _start(gates, emu, sensor=False)
    await gate.create("S1", "D1", **_US)
    await emu.stop()
    await until(lambda: _down(gate), "the reader down")
    await until(lambda: _failures(gate, 2), "an attempt more failed")
    assert None is await door_hold(gate)


async def _failures(gate: Gate, n: int) -> bool:
    return int(await north(gate, "failures")) >= n


async def _stored(gate: Gate) -> bool:
    hold = await door_hold(gate)
    return hold is not None and bool(hold["stored"])
