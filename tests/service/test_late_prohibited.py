"""Goods the rules prohibit, read at a door after its shipment was sealed, hold the door as
*prohibited*: the answer is a rejection as for any late read, but the hold is red (door
documents, the page, the stack light on a real Modbus device), a prohibited alert goes out,
and it stays so until an operator acknowledges it, over later ordinary reads and restarts.
An ordinary late read stays the amber hold."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from gate.cli.simulate import sscc18
from gate.core.stack_light import HELD, RED, lamps
from gate.service import late_reads
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.attack.test_attack_findings import sealed_and_cleared
from tests.outputs import test_modbus_lights as modbus
from tests.outputs.support import Plc
from tests.readers.support import journal
from tests.service.harness import OPERATOR, Gate, Gates, gtin_with, until
from tests.service.test_scan_id_reuse import post, scan

plc = modbus.plc  # a real Modbus TCP device (pymodbus's server) wired to D1's stack light

PRODUCTION = "1.E.1"  # Category I production technology: rule 1 prohibits it everywhere


async def door_hold(gate: Gate, door: str = "D1") -> Any:
    """The ``hold`` of ``GET /api/v1/doors/{door}``."""
    status, doc = await gate.call("GET", f"/api/v1/doors/{door}")
    assert 200 == status, doc
    return doc["hold"]


def stored_prohibited(gate: Gate, door: str = "D1") -> int | None:
    """The ``prohibited`` column of the door's stored hold (None: no hold stored)."""
    conn = connect_readonly(gate.config.database)
    try:
        row = conn.execute("SELECT prohibited FROM door_holds WHERE door = ?", (door,)).fetchone()
    finally:
        conn.close()
    return None if row is None else int(row[0])


@asynccontextmanager
async def alerts(gate: Gate) -> AsyncIterator[list[dict[str, Any]]]:
    """Collects the alerts published while the block runs (their data), in order."""
    seen: list[dict[str, Any]] = []
    async with gate.app[app_keys.EVENTS].subscribe() as sub:
        yield seen
        while not sub.queue.empty():
            event = sub.queue.get_nowait()
            if event is not None and event.kind == "alert":
                seen.append(event.data)


async def acknowledge(gate: Gate, windows: int) -> tuple[int, Any]:
    holds = gate.app[app_keys.HOLDS]
    await until(lambda: holds.unwritten("D1") == 0, "the hold to be stored")
    return await gate.call(
        "POST", "/api/v1/doors/D1/acknowledge", {"windows": windows}, auth=OPERATOR
    )


async def test_a_prohibited_late_read_holds_the_door_red_and_alerts(
    demo_config: Path, plc: Plc, gates: Gates
) -> None:
    """A Category I production item read at a door whose shipment is sealed and cleared is
    rejected, and the door is held as prohibited: the hold says so and why, the stack light
    turns red with its buzzer, a prohibited alert goes out, the journal's ``door.held`` record
    says prohibited, and the shipment cannot be dispatched."""
    modbus.wired(demo_config, plc.port, "D1")
    gate = await gates.start()
    await sealed_and_cleared(gate, demo_config)
    await until(lambda: plc.lamps("D1") == modbus.GREEN, "D1 green once cleared")
    key = gtin_with(demo_config, PRODUCTION)
    async with alerts(gate) as seen:
        late = await gate.scan(key)
    assert "rejected" == late["status"]
    assert "the item is prohibited" in late["error"], late["error"]
    assert "door D1 is held until an operator has checked the goods" in late["error"]
    hold = await door_hold(gate)
    assert (True, 1) == (hold["prohibited"], hold["windows"]), hold
    assert f"prohibited item {key} read after S1 was sealed" in hold["reason"]
    assert "rule 1, cat1_production" in hold["reason"], hold["reason"]
    assert RED == gate.app[app_keys.LIGHTS].lamps("D1")
    await until(lambda: plc.lamps("D1") == modbus.RED, "D1's light red with its buzzer")
    prohibited = [a for a in seen if a["kind"] == "prohibited_scan"]
    assert [("D1", key, "S1")] == [(a["door"], a["key"], a["shipment"]) for a in prohibited]
    assert [True] == [d["prohibited"] for k, d in journal(gate, "reader:r1") if k == "door.held"]
    assert 1 == stored_prohibited(gate)
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status


async def test_a_later_ordinary_read_or_window_keeps_the_hold_prohibited(
    gate: Gate, demo_config: Path
) -> None:
    """After a prohibited late read, an ordinary late read (an unlisted unit) and an empty
    read window each count at the held door, and the hold stays prohibited with the
    prohibited item's reason, in memory and stored."""
    await sealed_and_cleared(gate, demo_config)
    await gate.scan(gtin_with(demo_config, PRODUCTION))
    ordinary = await gate.scan(gtin_with(demo_config, ""))
    assert "prohibited" not in ordinary["error"]
    assert "door D1 is held" in ordinary["error"]
    await gate.app[app_keys.HOLDS].hold("D1", "north")
    hold = await door_hold(gate)
    assert (True, 3) == (hold["prohibited"], hold["windows"]), hold
    assert hold["reason"].startswith("prohibited item"), hold["reason"]
    assert RED == gate.app[app_keys.LIGHTS].lamps("D1")
    assert 1 == stored_prohibited(gate)


async def test_a_prohibited_window_at_a_held_door_makes_its_hold_prohibited(
    gate: Gate, demo_config: Path
) -> None:
    """A door already held (an empty window, amber) turns prohibited when a prohibited item
    is read late there: the hold keeps its count and takes the prohibited reason."""
    await sealed_and_cleared(gate, demo_config)
    holds = gate.app[app_keys.HOLDS]
    await holds.hold("D1", "north")
    assert HELD == gate.app[app_keys.LIGHTS].lamps("D1")
    await gate.scan(gtin_with(demo_config, PRODUCTION))
    hold = await door_hold(gate)
    assert (True, 2) == (hold["prohibited"], hold["windows"]), hold
    assert hold["reason"].startswith("prohibited item"), hold["reason"]
    assert RED == gate.app[app_keys.LIGHTS].lamps("D1")
    assert 1 == stored_prohibited(gate)


async def test_a_restart_keeps_the_door_red_until_acknowledged(
    demo_config: Path, gates: Gates
) -> None:
    """A prohibited hold is read back at start: the restarted gate shows the door red (door
    document, lights) until an operator acknowledges it; then the cleared door is green and
    its shipment may leave."""
    gate = await gates.start()
    await sealed_and_cleared(gate, demo_config)
    await gate.scan(gtin_with(demo_config, PRODUCTION))
    await gates.stop(gate)
    gate = await gates.start()
    hold = await door_hold(gate)
    assert (True, 1) == (hold["prohibited"], hold["windows"]), hold
    assert RED == gate.app[app_keys.LIGHTS].lamps("D1")
    status, doc = await acknowledge(gate, 1)
    assert (200, None) == (status, doc["hold"]), doc
    assert None is await door_hold(gate)
    assert lamps("green", loaded=True) == gate.app[app_keys.LIGHTS].lamps("D1")
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"]), doc


async def test_an_ordinary_late_read_stays_the_amber_hold(gate: Gate, demo_config: Path) -> None:
    """An unlisted unit read after the seal holds the door amber as before: not prohibited,
    no prohibited alert, the light amber with its buzzer; acknowledged, the door is green."""
    await sealed_and_cleared(gate, demo_config)
    async with alerts(gate) as seen:
        late = await gate.scan(gtin_with(demo_config, ""))
    assert "door D1 is held until an operator has checked the goods" in late["error"]
    assert "prohibited" not in late["error"]
    hold = await door_hold(gate)
    assert (False, 1) == (hold["prohibited"], hold["windows"]), hold
    assert HELD == gate.app[app_keys.LIGHTS].lamps("D1")
    assert [] == [a for a in seen if a["kind"] == "prohibited_scan"]
    assert ["door_held"] == [a["kind"] for a in seen]
    assert 0 == stored_prohibited(gate)
    status, _ = await acknowledge(gate, 1)
    assert 200 == status
    assert lamps("green", loaded=True) == gate.app[app_keys.LIGHTS].lamps("D1")


async def test_an_item_an_embargo_prohibits_is_a_prohibited_late_read(
    gate: Gate, demo_config: Path
) -> None:
    """The shipment's facts decide too: to an embargoed destination (rule 2) a listed
    Category II item read after the seal holds the door as prohibited for the embargo."""
    await gate.create(destination="IR", consignee={"name": "Tehran Trading Co", "country": "IR"})
    await gate.scan(gtin_with(demo_config, ""))
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, sealed["state"]), sealed
    late = await gate.scan(gtin_with(demo_config, "9.A.4"))
    assert "the item is prohibited" in late["error"], late["error"]
    hold = await door_hold(gate)
    assert True is hold["prohibited"]
    assert "rule 2, embargo" in hold["reason"], hold["reason"]
    assert RED == gate.app[app_keys.LIGHTS].lamps("D1")


async def test_a_late_pallet_is_decided_by_its_manifest_contents(
    gate: Gate, demo_config: Path
) -> None:
    """A pallet of the manifest read after the seal is decided as its contents: one holding
    a prohibited item holds the door as prohibited; one of plain goods only holds it amber."""
    plain, banned = gtin_with(demo_config, ""), gtin_with(demo_config, PRODUCTION)
    safe_pallet, bad_pallet = sscc18(3, "4012345", 1), sscc18(3, "4012345", 2)
    manifest = [
        {"sscc": safe_pallet, "contents": [{"gtin": plain, "quantity": 2}]},
        {
            "sscc": bad_pallet,
            "contents": [{"gtin": plain, "quantity": 1}, {"gtin": banned, "quantity": 1}],
        },
    ]
    await gate.create(manifest=manifest)
    await gate.scan(plain)
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, sealed["state"]), sealed
    _, (safe,) = await post(gate, scan("p1", safe_pallet, kind="sscc"))
    assert "door D1 is held" in safe["error"]
    assert False is (await door_hold(gate))["prohibited"]
    _, (bad,) = await post(gate, scan("p2", bad_pallet, kind="sscc"))
    assert f"{banned}: rule 1, cat1_production" in bad["error"], bad["error"]
    assert True is (await door_hold(gate))["prohibited"]


async def test_a_late_read_nobody_could_decide_still_holds_the_door(
    gate: Gate, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while deciding goods read after the seal (a fault injected into the
    deciding) fails closed: the scan is still rejected and the door held, its reason saying
    the goods were not decided; the batch is not lost (a review found the failure lost both
    the rejection and the hold)."""
    await sealed_and_cleared(gate, demo_config)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("deciding failed")

    monkeypatch.setattr(late_reads, "late_lines", broken)
    late = await gate.scan(gtin_with(demo_config, "9.A.4"))
    assert "rejected" == late["status"], late
    assert "door D1 is held until an operator has checked the goods" in late["error"]
    hold = await door_hold(gate)
    assert False is hold["prohibited"]
    assert "(not decided: RuntimeError)" in hold["reason"], hold["reason"]
    assert HELD == gate.app[app_keys.LIGHTS].lamps("D1")
