"""``gate simulate --sensor``: the simulator plays a door's RFID portal and motion sensor over
real LLRP (llrpkit's emulator, where the config's reader points), against a gate app serving
on the config's own address; a pallet with no readable tag holds the door until the
simulated operator acknowledges it. The simulator's portal is not there before the run nor
after it: to the gate an outage, which holds the door (the operator acknowledges it once the
portal is back, and the run leaves it so held)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from gate.cli.simulate import Options, SimulationFailed, simulate
from gate.config.settings import load_config
from gate.service.door_holds import EMPTY_WINDOW, PORTAL_DOWN
from gate.web import app_keys
from gate.web.app import create_app
from tests.conftest import free_port
from tests.readers.support import journal
from tests.readers.test_cross_reads import portal
from tests.service.harness import WMS_TOKEN, add_readers, lists_loaded, until


@pytest.fixture
async def served_here(demo_config: Path) -> AsyncIterator[str]:
    """A gate app on the config's own http.listen address (as ``gate serve`` binds it),
    with D1's portal configured with a motion sensor on GPI 1, its first attempt failed (the
    simulator not playing it yet: D1 held); yields the base URL."""
    add_readers(demo_config, portal("d1-portal", "D1", free_port(), gpi_port=1, window_tail=0.2))
    config = load_config(demo_config)
    app = create_app(config)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await lists_loaded(app)
    await until(lambda: app[app_keys.HOLDS].is_held("D1"), "D1 held: its portal not there")
    await web.TCPSite(runner, config.http.host, config.http.port).start()
    try:
        yield f"http://{config.http}"
    finally:
        await runner.cleanup()


async def test_simulated_sensor_holds_the_door_and_the_operator_releases_it(
    demo_config: Path, served_here: str
) -> None:
    """Two shipments at D1: the second's pallet passes the sensor with no readable tag, the
    door is held (journaled by the reader) and acknowledged by the operator (journaled), and
    the door is left free. A shipment the simulator cancels with controlled goods loaded holds
    its door too, and the simulated operator acknowledges the unloading. The portal's absence
    before the run held D1, acknowledged once the portal is back; its absence after the run
    holds D1 again."""
    out = io.StringIO()
    options = Options(
        demo_config, ("D1",), shipments=2, rate=500.0, seed=7, sensor=True, close_all=True
    )
    report = await simulate(options, out)
    text = out.getvalue()
    assert 2 == len(report.outcomes)
    assert f"door D1 was held: {PORTAL_DOWN} (the simulator's portal was not there)" in text
    assert "door held: goods passed without a readable tag" in text, text
    assert "acknowledged door D1" in text, text
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {WMS_TOKEN}"}

        async def stored_hold() -> object:
            async with session.get(served_here + "/api/v1/doors/D1", headers=headers) as r:
                door = await r.json()
            hold = door["hold"] or {}
            return hold.get("stored") and (r.status, door["shipment"], hold["reason"])

        ended = await until(stored_hold, "D1 held again: the run stopped its portal")
    assert (200, None, PORTAL_DOWN) == ended
    portal_records = [d for k, d in journal_of(demo_config, "reader:d1-portal") if k == "door.held"]
    assert [PORTAL_DOWN, EMPTY_WINDOW, PORTAL_DOWN] == [d["reason"] for d in portal_records]
    # The outage before the run, the sensor's hold, and each hold of a shipment the simulator
    # cancelled with controlled goods loaded (the dock unloads them, the operator confirms it).
    unloaded = text.count("unloaded; the operator acknowledged door D1")
    assert unloaded > 0, text  # seed 7 blocks and cancels the first shipment
    assert ["door.hold_acknowledged"] * (2 + unloaded) == [
        k for k, _ in journal_of(demo_config, "ops") if k.startswith("door.")
    ]


async def test_a_run_after_one_that_left_a_shipment_standing(
    demo_config: Path, served_here: str
) -> None:
    """A run that left a blocked shipment at D1 for the operator (D1 held again once its
    portal stopped) is followed by one that acknowledges the outage once its portal is back
    and then cancels the shipment and acknowledges its unloading, rather than failing on the
    outage's hold (the acknowledgement refused while the portal is not there)."""
    first = Options(demo_config, ("D1",), shipments=1, rate=500.0, seed=7, sensor=True)
    report = await simulate(first, io.StringIO())
    assert [True] == [o.left for o in report.outcomes]  # seed 7 blocks its first shipment
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {WMS_TOKEN}"}

        async def portal_down() -> object:
            async with session.get(served_here + "/api/v1/doors/D1", headers=headers) as r:
                hold = (await r.json())["hold"] or {}
            return hold.get("stored") and hold.get("readers_down")

        await until(portal_down, "D1 held for its portal's outage: the run stopped it")
    out = io.StringIO()
    second = Options(demo_config, ("D1",), shipments=1, rate=500.0, seed=8, sensor=True)
    await simulate(second, out)
    text = out.getvalue()
    assert f"door D1 was held: {PORTAL_DOWN}" in text, text
    assert "(left by an earlier run)" in text, text
    assert "unloaded; the operator acknowledged door D1" in text, text


async def test_a_run_leaves_a_door_with_someone_elses_shipment_held(
    demo_config: Path, served_here: str
) -> None:
    """D1 held for its portal's outage with a shipment of the WMS's own standing there: the
    run skips D1 as busy and leaves its hold to that shipment's operator (newuser6: it
    acknowledged the hold, releasing their shipment, and then skipped the door)."""
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {WMS_TOKEN}"}
        body = {"id": "OWN-1", "door": "D1", "destination": "DE"}
        body["consignee"] = {"name": "Acme Precision GmbH", "country": "DE"}
        async with session.post(served_here + "/api/v1/shipments", json=body, headers=headers) as r:
            assert 201 == r.status, await r.text()
        report = await simulate(
            Options(demo_config, ("D1",), shipments=1, rate=500.0, seed=7, sensor=True),
            io.StringIO(),
        )
        assert ["D1"] == report.busy_doors
        async with session.get(served_here + "/api/v1/doors/D1", headers=headers) as r:
            hold = (await r.json())["hold"]
    assert hold is not None and PORTAL_DOWN == hold["reason"], hold
    acknowledged = [k for k, _ in journal_of(demo_config, "ops") if k == "door.hold_acknowledged"]
    assert [] == acknowledged


def journal_of(config: Path, actor: str) -> list[tuple[str, object]]:
    class _Gate:  # what tests.readers.support.journal reads of a gate
        def __init__(self) -> None:
            self.config = load_config(config)

    return journal(_Gate(), actor)  # type: ignore[arg-type]


def test_sensor_needs_a_reader_with_a_sensor(demo_config: Path) -> None:
    """Without an LLRP reader with a gpi_port at the door, --sensor stops with one line."""
    with pytest.raises(SimulationFailed, match="door D1 has no \\[\\[readers\\]\\] entry"):
        import asyncio

        asyncio.run(simulate(Options(demo_config, ("D1",), sensor=True), io.StringIO()))
