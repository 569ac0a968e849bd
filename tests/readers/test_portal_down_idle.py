"""A sensor portal down at an idle door holds the door (door16, fail closed): goods loaded into
the trailer while nothing was read would otherwise leave with the next shipment created there.
The hold is the busy door's: at once, journaled (``door.held`` with no shipment), alerted,
stored over a restart, amber, the acknowledgement refused while the portal is down, the
portal's return not releasing it, one window per outage. A reader with no sensor guards
nothing, so its outage holds nothing; a gate whose portals answer at its start holds nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llrpkit.emulator import LLRPEmulator

from gate.service.door_holds import PORTAL_DOWN
from gate.web import app_keys
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


async def _door(gate: Gate) -> dict[str, Any]:
    status, doc = await gate.call("GET", "/api/v1/doors/D1")
    assert 200 == status, doc
    return doc  # type: ignore[no-any-return]


async def _stored(gate: Gate) -> bool:
    hold = await door_hold(gate)
    return hold is not None and bool(hold["stored"])


async def _failures(gate: Gate, n: int) -> bool:
    return int(await north(gate, "failures")) >= n


def _held_records(gate: Gate) -> list[dict[str, Any]]:
    return [data for kind, data in journal(gate, "reader:north") if kind == "door.held"]


async def test_an_outage_at_an_idle_door_holds_it_until_acknowledged_once_back(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """The portal drops with no shipment at D1: held at once, amber with no shipment, one
    window however many attempts fail, journaled with no shipment and alerted; the
    acknowledgement is refused while the portal is down and taken once it is back."""
    gate = await _start(gates, emu)
    events = gate.app[app_keys.DOCKS].events
    before = len(events.kept())
    await emu.stop()
    await until(lambda: door_hold(gate), "D1 held")
    await until(lambda: _failures(gate, 3), "more attempts failed")
    door = await _door(gate)
    hold = door["hold"]
    assert (None, "amber", "amber") == (door["shipment"], door["signal"], door["light"]), door
    assert (PORTAL_DOWN, "north", 1, ["north"]) == (
        hold["reason"],
        hold["reader"],
        hold["windows"],
        hold["readers_down"],
    )
    alerts = [e.data for e in events.kept()[before:] if e.kind == "alert"]
    assert [("door_held", "D1")] == [(a["kind"], a["door"]) for a in alerts], alerts
    assert PORTAL_DOWN in alerts[0]["text"]
    await until(lambda: _stored(gate), "the hold stored")
    assert [(PORTAL_DOWN, None)] == [(r["reason"], r["shipment"]) for r in _held_records(gate)]
    status, problem = await acknowledge(gate, 1)
    assert 409 == status and "portal reader north is down" in problem["detail"], problem

    await emu.start()  # the same port: back
    await until(lambda: north(gate, "connected"), "the reader back")
    hold = await until(
        lambda: guarded_hold(gate), "the reader following its sensor, the door still held"
    )
    assert (PORTAL_DOWN, 1) == (hold["reason"], hold["windows"])
    status, doc = await acknowledge(gate, 1)
    assert (200, None) == (status, doc["hold"]), doc
    acked = [d for k, d in journal(gate, "ops") if k == "door.hold_acknowledged"]
    assert [(PORTAL_DOWN, 1)] == [(d["reason"], d["windows"]) for d in acked]


async def test_a_second_outage_after_the_acknowledgement_holds_the_door_again(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """An outage at idle D1 acknowledged once the portal is back; the portal drops again: a
    hold of its own (one window), journaled again, refused while down."""
    gate = await _start(gates, emu)
    await emu.stop()
    await until(lambda: door_hold(gate), "D1 held")
    await emu.start()
    await until(lambda: guarded_hold(gate), "the portal back")
    status, doc = await acknowledge(gate, 1)
    assert (200, None) == (status, doc["hold"]), doc

    await emu.stop()
    hold = await until(lambda: door_hold(gate), "D1 held again")
    assert (PORTAL_DOWN, 1, ["north"]) == (hold["reason"], hold["windows"], hold["readers_down"])
    await until(lambda: _stored(gate), "the second hold stored")
    assert [PORTAL_DOWN] * 2 == [r["reason"] for r in _held_records(gate)]
    status, problem = await acknowledge(gate, 1)
    assert 409 == status, problem


async def test_a_held_idle_door_stays_held_over_a_restart(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """Idle D1 held for its portal down, the gate restarted with the portal back: still held
    (read back at the start: the portal answering is no release); a shipment created there
    finds it held, the outage's one window, and does not dispatch until an operator
    acknowledges."""
    gate = await _start(gates, emu)
    await emu.stop()
    await until(lambda: _stored(gate), "D1 held and stored")
    await gates.stop(gate)
    await emu.start()
    gate = await gates.start()
    await until(lambda: north(gate, "connected"), "the reader connected again")
    hold = await until(lambda: guarded_hold(gate), "D1 held, its portal guarding it")
    assert (PORTAL_DOWN, 1) == (hold["reason"], hold["windows"])

    await gate.create("S1", "D1", **_US)
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"]), doc
    door = await _door(gate)
    assert ("S1", "amber", 1) == (door["shipment"]["id"], door["signal"], door["hold"]["windows"])
    await dispatched_once_acknowledged(gate, 1)


async def test_an_idle_door_with_no_sensor_portal_is_never_held_by_an_outage(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """A reader with no sensor at idle D1 goes down, and the gate restarts while it is
    still down (its first attempt fails): nothing is held, and a shipment created there
    dispatches."""
    gate = await _start(gates, emu, sensor=False)
    await emu.stop()
    await until(lambda: _failures(gate, 2), "the reader down, an attempt more failed")
    assert None is await door_hold(gate)
    await gates.stop(gate)
    gate = await gates.start()
    await until(lambda: _failures(gate, 2), "the first attempts after the start failed")
    assert None is await door_hold(gate)
    await gate.create("S1", "D1", **_US)
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"]), doc
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"]), doc
