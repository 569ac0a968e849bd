"""``gate simulate --sensor``: the simulator plays a door's RFID portal and motion sensor over
real LLRP (llrpkit's emulator, where the config's reader points), against a gate app serving
on the config's own address; a pallet with no readable tag holds the door until the
simulated operator acknowledges it."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from gate.cli.simulate import Options, SimulationFailed, simulate
from gate.config.settings import load_config
from gate.web.app import create_app
from tests.conftest import free_port
from tests.readers.support import journal
from tests.readers.test_cross_reads import portal
from tests.service.harness import WMS_TOKEN, add_readers, lists_loaded


@pytest.fixture
async def served_here(demo_config: Path) -> AsyncIterator[str]:
    """A gate app on the config's own http.listen address (as ``gate serve`` binds it),
    with D1's portal configured with a motion sensor on GPI 1; yields the base URL."""
    add_readers(demo_config, portal("d1-portal", "D1", free_port(), gpi_port=1, window_tail=0.2))
    config = load_config(demo_config)
    app = create_app(config)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await lists_loaded(app)
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
    the door is left free and unheld. A shipment the simulator cancels with controlled goods
    loaded holds its door too, and the simulated operator acknowledges the unloading."""
    out = io.StringIO()
    options = Options(
        demo_config, ("D1",), shipments=2, rate=500.0, seed=7, sensor=True, close_all=True
    )
    report = await simulate(options, out)
    text = out.getvalue()
    assert 2 == len(report.outcomes)
    assert "door held: goods passed without a readable tag" in text, text
    assert "acknowledged door D1" in text, text
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {WMS_TOKEN}"}
        async with session.get(served_here + "/api/v1/doors/D1", headers=headers) as r:
            status, door = r.status, await r.json()
    assert (200, None, None) == (status, door["hold"], door["shipment"])
    portal_records = [k for k, _ in journal_of(demo_config, "reader:d1-portal")]
    assert ["door.held"] == [k for k in portal_records if k.startswith("door.")]
    # The sensor's hold, and each hold of a shipment the simulator cancelled with controlled
    # goods loaded (the dock unloads them, the operator confirms it).
    unloaded = text.count("unloaded; the operator acknowledged door D1")
    assert unloaded > 0, text  # seed 7 blocks and cancels the first shipment
    assert ["door.hold_acknowledged"] * (1 + unloaded) == [
        k for k, _ in journal_of(demo_config, "ops") if k.startswith("door.")
    ]


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
