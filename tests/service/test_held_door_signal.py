"""A held door is never green to anyone reading it: ``GET /api/v1/doors`` and the door's
document say amber while goods that passed without a readable tag hold it (red while an item
the rules prohibit holds it), over a cleared shipment, and green again once an operator
acknowledges the hold, as its stack light does (DESIGN 4: the door's signal drives the
light). The MQTT door topic says the same: tests/mqtt/test_mqtt_held_door.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gate.web import app_keys
from tests.attack.test_attack_findings import sealed_and_cleared
from tests.service.harness import Gate, gtin_with
from tests.service.test_late_prohibited import acknowledge


async def signals(gate: Gate) -> tuple[Any, Any, Any]:
    """D1's signal in its own document and in the list of doors, and whether it is held."""
    status, one = await gate.call("GET", "/api/v1/doors/D1")
    assert 200 == status, one
    status, every = await gate.call("GET", "/api/v1/doors")
    assert 200 == status, every
    listed = next(d for d in every["doors"] if d["id"] == "D1")
    return one["signal"], listed["signal"], one["hold"] is not None


async def test_a_held_door_with_a_cleared_shipment_says_amber_until_acknowledged(
    gate: Gate, demo_config: Path
) -> None:
    """A cleared door says green; held, amber in its document and the list; acknowledged,
    green again."""
    await sealed_and_cleared(gate, demo_config)
    assert ("green", "green", False) == await signals(gate)
    await gate.app[app_keys.HOLDS].hold("D1", "north")
    assert ("amber", "amber", True) == await signals(gate)
    status, _ = await acknowledge(gate, 1)
    assert (200, ("green", "green", False)) == (status, await signals(gate))


async def test_a_door_held_for_a_prohibited_item_says_red(gate: Gate, demo_config: Path) -> None:
    """A cleared door held for a prohibited item says red."""
    await sealed_and_cleared(gate, demo_config)
    await gate.app[app_keys.HOLDS].hold("D1", "north", prohibited=True)
    assert ("red", "red", True) == await signals(gate)


async def test_an_idle_door_held_says_amber(gate: Gate) -> None:
    """Goods passed a door with no shipment: held, so amber, not idle."""
    assert ("idle", "idle", False) == await signals(gate)
    await gate.app[app_keys.HOLDS].hold("D1", "north")
    assert ("amber", "amber", True) == await signals(gate)


async def test_a_scan_answer_at_a_held_door_says_its_held_signal(
    gate: Gate, demo_config: Path
) -> None:
    """Goods read at a cleared door after its seal hold it; the answer to that read, and to
    a later one, say the door amber as its light does, not the shipment's green."""
    await sealed_and_cleared(gate, demo_config)
    late = await gate.scan(gtin_with(demo_config, "", 1))
    again = await gate.scan(gtin_with(demo_config, "", 2))
    assert [("rejected", "amber")] * 2 == [
        (a["status"], a["door"]["signal"]) for a in (late, again)
    ]
    assert ("amber", "amber", True) == await signals(gate)


async def test_the_door_event_of_a_held_door_is_never_green(gate: Gate, demo_config: Path) -> None:
    """Sealing a clear shipment at a held door publishes its door event amber, not green
    (what the event stream and the page follow)."""
    await gate.create()
    await gate.scan(gtin_with(demo_config, ""))
    await gate.app[app_keys.HOLDS].hold("D1", "north")
    async with gate.app[app_keys.EVENTS].subscribe() as sub:
        status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
        seen = []
        while not sub.queue.empty():
            event = sub.queue.get_nowait()
            if event is not None and event.kind == "door":
                seen.append(event.data["signal"])
    assert (200, "cleared", ["amber"]) == (status, sealed["state"], seen)
