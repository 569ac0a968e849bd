"""Door stack lights on a real Modbus TCP device: pymodbus's own server on loopback, written
by the real gate (HTTP API, SQLite) and read back from the device's coils."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.ingest.outputs.lights import DoorLights
from gate.service.events import Events
from gate.web import app_keys
from gate.web.page.render.side import render_side
from tests.conftest import free_port
from tests.outputs.support import Plc, lit, modbus_output, wire
from tests.service.harness import Gate, Gates, gtin_with, until

RED = lit(red=True, buzzer=True)
AMBER = lit(amber=True)
GREEN = lit(green=True)


@pytest.fixture
async def plc() -> AsyncIterator[Plc]:
    device = Plc(free_port())
    await device.start()
    yield device
    await device.stop()


def wired(config: Path, port: int, *doors: str) -> None:
    for door in doors:
        wire(config, door, modbus_output(door, port))


async def outputs_doc(gate: Gate) -> list[dict[str, object]]:
    status, body = await gate.call("GET", "/api/v1/readers")
    assert 200 == status, body
    outputs: list[dict[str, object]] = body["outputs"]
    return outputs


async def test_prohibited_scan_turns_red_and_cleared_shipment_green(
    demo_config: Path, plc: Plc, gates: Gates
) -> None:
    """Two doors on one device: a prohibited scan at D1 turns its red coil (and buzzer) on
    and green off; a cleared shipment at D2 turns its green on and red off."""
    wired(demo_config, plc.port, "D1", "D2")
    gate = await gates.start()
    await until(lambda: plc.lamps("D1") == AMBER and plc.lamps("D2") == AMBER, "idle doors amber")

    await gate.create("S1", "D1")
    result = await gate.scan(gtin_with(demo_config, "1.E.1"))
    assert "red" == result["door"]["signal"]
    await until(lambda: plc.lamps("D1") == RED, "D1 red")
    assert AMBER == plc.lamps("D2")

    await gate.create(
        "S2", "D2", destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"}
    )
    await gate.scan(gtin_with(demo_config, "9.A.4"), door="D2")
    status, doc = await gate.call("POST", "/api/v1/shipments/S2/seal")
    assert (200, "green") == (status, doc["signal"])
    await until(lambda: plc.lamps("D2") == GREEN, "D2 green")
    assert RED == plc.lamps("D1")

    (device,) = await outputs_doc(gate)
    assert ("ok", True, ["D1", "D2"]) == (device["state"], device["reachable"], device["doors"])
    assert {"D1": "red", "D2": "green"} == device["shown"]

    status, _ = await gate.call("POST", "/api/v1/shipments/S2/dispatch")
    assert 200 == status
    await until(lambda: plc.lamps("D2") == AMBER, "D2 back to amber once the truck left")


async def test_stopped_gate_leaves_red_and_everything_else_off(
    demo_config: Path, plc: Plc, gates: Gates
) -> None:
    """A clean stop writes red on, amber, green and buzzer off on every door it drives."""
    wired(demo_config, plc.port, "D1", "D2")
    gate = await gates.start()
    await gate.create(
        "S2", "D2", destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"}
    )
    await gate.scan(gtin_with(demo_config, "9.A.4"), door="D2")
    await gate.call("POST", "/api/v1/shipments/S2/seal")
    await until(lambda: plc.lamps("D2") == GREEN, "D2 green")

    await gates.stop(gate)
    assert lit(red=True) == plc.lamps("D1")
    assert lit(red=True) == plc.lamps("D2")


async def test_restarted_device_is_reasserted(demo_config: Path, plc: Plc, gates: Gates) -> None:
    """A device that restarts with every coil off shows the doors' lamps again, unasked."""
    wired(demo_config, plc.port, "D1")
    gate = await gates.start()
    await gate.create("S1", "D1")
    await gate.scan(gtin_with(demo_config, "1.E.1"))
    await until(lambda: plc.lamps("D1") == RED, "D1 red")

    await plc.stop()
    await plc.start()
    assert lit() == plc.lamps("D1")  # a fresh device: all off
    await until(lambda: plc.lamps("D1") == RED, "D1 red again on the restarted device")
    (device,) = await outputs_doc(gate)
    assert "ok" == device["state"]


async def test_unreachable_device_is_shown_alerted_retried_and_never_blocks_scans(
    demo_config: Path, gates: Gates
) -> None:
    """With nothing listening at the device's address, scans are still decided and stored;
    the device shows unreachable on the API and /metrics and is alerted; once the device
    appears, the retries reach it and it shows the door's signal."""
    port = free_port()
    wired(demo_config, port, "D1")
    gate = await gates.start()
    await gate.create("S1", "D1")
    result = await gate.scan(gtin_with(demo_config, "1.E.1"))
    assert ("accepted", "red") == (result["status"], result["door"]["signal"])

    device = (await until(lambda: _failing(gate, 3), "three failed tries"))[0]
    assert ("unreachable", False) == (device["state"], device["reachable"])
    assert device["last_error"] and device["retry_at"]
    status, metrics = await gate.call("GET", "/metrics")
    assert 200 == status
    assert (
        f'gate_output_reachable{{device="modbus:127.0.0.1:{port}/1",kind="modbus"}} 0.0' in metrics
    )
    # The page's bulletin takes events on its own task, behind any alert it is storing.
    bulletin = gate.app[app_keys.BULLETIN]
    await until(
        lambda: any(
            a.get("kind") == "output_unreachable" and a.get("door") == "D1"
            for a in bulletin.recent_alerts()
        ),
        "the outage on the page's alerts",
    )
    status, doc = await gate.call("GET", "/api/v1/status")
    assert "Stack light of D1 unreachable since" in render_side(doc)  # on the page, now

    plc = Plc(port)
    await plc.start()
    try:
        await until(lambda: plc.lamps("D1") == RED, "D1 red once the device is there")
        (device,) = await outputs_doc(gate)
        assert ("ok", 0) == (device["state"], device["failures"])
        status, doc = await gate.call("GET", "/api/v1/status")
        assert "Stack light of D1 unreachable since" not in render_side(doc)
        status, metrics = await gate.call("GET", "/metrics")
        assert (
            f'gate_output_reachable{{device="modbus:127.0.0.1:{port}/1",kind="modbus"}} 1.0'
            in metrics
        )
    finally:
        await plc.stop()


async def _failing(gate: Gate, tries: int) -> list[dict[str, object]] | None:
    outputs = await outputs_doc(gate)
    failures = outputs[0]["failures"]
    assert isinstance(failures, int)
    return outputs if failures >= tries else None


async def test_light_is_red_until_the_gate_has_loaded_its_state(
    demo_config: Path, plc: Plc
) -> None:
    """Started before the docks have loaded, the lights show red on every door they drive,
    whatever the doors' shipments say, and only follow the doors once told the state is in."""
    wired(demo_config, plc.port, "D1", "D2")
    config = load_config(demo_config)
    lights = DoorLights(config.outputs, Events(), lambda reader: None)
    lights.signal_of = lambda door: "green"  # what a cleared shipment would say
    await lights.start()
    try:
        await until(lambda: plc.lamps("D1") == lit(red=True), "D1 red before the load")
        await until(lambda: plc.lamps("D2") == lit(red=True), "D2 red before the load")
        # Re-asserted several times over, and still red.
        writes = lights.outputs[0].health.writes
        await until(lambda: lights.outputs[0].health.writes >= writes + 2, "re-asserted")
        assert lit(red=True) == plc.lamps("D1")
        lights.loaded = True
        lights.wake()
        await until(lambda: plc.lamps("D1") == GREEN, "green once loaded")
    finally:
        await lights.stop()
    assert lit(red=True) == plc.lamps("D1") == plc.lamps("D2")


async def test_cleared_door_is_green_again_after_a_restart(
    demo_config: Path, plc: Plc, gates: Gates
) -> None:
    """A door cleared before a restart is red while the gate is down and green once the
    restarted gate has loaded its state."""
    wired(demo_config, plc.port, "D2")
    gate = await gates.start()
    await gate.create(
        "S2", "D2", destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"}
    )
    await gate.scan(gtin_with(demo_config, "9.A.4"), door="D2")
    await gate.call("POST", "/api/v1/shipments/S2/seal")
    await until(lambda: plc.lamps("D2") == GREEN, "D2 green")
    await gates.stop(gate)
    assert lit(red=True) == plc.lamps("D2")
    await gates.start()
    await until(lambda: plc.lamps("D2") == GREEN, "D2 green after the restart")
