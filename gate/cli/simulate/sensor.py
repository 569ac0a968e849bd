"""``gate simulate --sensor``: each door's RFID portal with a motion sensor, played for real.

For every simulated door, the config must name an LLRP reader of that door with a sensor
(``[[readers]]`` of kind ``llrp`` with ``options.gpi_port``, at a local address). The
simulator becomes that reader: an llrpkit reader emulator listening where the gate expects
it, speaking LLRP to the gate's reader adapter. Before each shipment is sealed a pallet
passes the door: its tags come into the field while the sensor's GPI line is active, and
leave as it clears. Every second shipment (2, 4, ...) carries a pallet whose tag cannot be
read: the sensor trips with nothing in the field, the gate holds the door (amber, "goods
passed without a readable tag", dispatch refused), and the simulator, playing the operator
who checked the goods by hand, acknowledges the hold with the config's first operator.

To the gate the simulator's portals are readers like any other, so their absence is an
outage: before a run (the gate's first attempt found nothing there) and after one (the run
stops its emulators), the gate holds each door "portal reader down" (fail closed: goods could
have been loaded unread). Once the gate's readers follow the portals again, the simulated
operator, having checked the trailers by hand, acknowledges those holds (``back``); a run
leaves its doors so held when it stops, for the next run (or a person) to acknowledge.

Everything goes through what a dock has: LLRP frames to the gate's reader adapter, and the
gate's HTTP API for what the page shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
from llrpkit.emulator import EmulatedTag, LLRPEmulator

from gate.cli.simulate.clients import API, GateApi, api_error
from gate.cli.simulate.errors import SimulationFailed
from gate.config.readers import LlrpOptions, ReaderConfig
from gate.config.settings import Config
from gate.service.door_holds import PORTAL_DOWN

#: How each acknowledgement of the simulated operator's note begins: the journal records it
#: as the config's first operator's, and must say no person checked anything (review22).
NOTE = "gate simulate: "

#: How long a pallet takes through the sensor's beam.
PASS_SECONDS = 0.6
CONNECT_TIMEOUT = 90.0  # the gate's reader may be in a long backoff when the simulator starts
SETTLE_TIMEOUT = 15.0
POLL = 0.1


class Portals:
    """The doors' emulated portals and sensors."""

    def __init__(self, config: Config, doors: Sequence[str], wms: str) -> None:
        self.wms = wms
        self.readers: dict[str, ReaderConfig] = {}
        for door in doors:
            found = [
                r
                for r in config.readers
                if r.door == door
                and isinstance(r.options, LlrpOptions)
                and r.options.gpi_port is not None
            ]
            if not found:
                raise SimulationFailed(
                    f"--sensor: door {door} has no [[readers]] entry of kind llrp with"
                    " options.gpi_port (a motion sensor) in the config"
                )
            self.readers[door] = found[0]
        if not config.operators:
            raise SimulationFailed("--sensor: the config has no [[operators]] entry to acknowledge")
        operator = config.operators[0]
        self.operator = aiohttp.encode_basic_auth(operator.name, operator.password)
        self.emulators: dict[str, LLRPEmulator] = {}

    async def start(self) -> None:
        for door, reader in self.readers.items():
            emu = LLRPEmulator(host=reader.host or "127.0.0.1", port=reader.port or 5084, tags=[])
            try:
                await emu.start()
            except OSError as exc:
                raise SimulationFailed(
                    f"--sensor: cannot play reader {reader.name} at {reader.address}: {exc}"
                ) from exc
            self.emulators[door] = emu

    async def stop(self) -> None:
        for emu in self.emulators.values():
            await emu.stop()

    async def connected(self, api: GateApi) -> None:
        """Waits until the gate's reader adapters are connected to every portal."""
        names = {r.name for r in self.readers.values()}

        async def up() -> bool:
            docs = await self._readers(api)
            return all(docs.get(name, {}).get("connected") for name in names)

        await _until(up, CONNECT_TIMEOUT, f"the gate's readers {', '.join(sorted(names))}")

    async def back(self, api: GateApi) -> dict[str, Mapping[str, Any]]:
        """Acknowledges each door held only for its simulated portal's outage (the
        simulator was not there), once the portal guards the door again (the gate refuses
        the acknowledgement before); a door held for anything else, or where someone else's
        shipment stands, is left alone. Returns the holds acknowledged, by door."""
        acknowledged: dict[str, Mapping[str, Any]] = {}
        for door, reader in self.readers.items():
            path = f"{API}/doors/{door}"
            doc = await api.expect("GET", path, self.wms)
            hold, shipment = doc.get("hold"), doc.get("shipment")
            if not hold or (hold["reason"], hold["reader"]) != (PORTAL_DOWN, reader.name):
                continue
            if shipment and not str(shipment.get("id", "")).startswith("SIM-"):
                # Someone else's shipment stands there: the run leaves that door alone, and
                # its hold to that shipment's own operator (newuser6: the run acknowledged it,
                # releasing their shipment, then skipped the door as busy).
                continue

            async def guarded(path: str = path) -> bool:
                now = (await api.expect("GET", path, self.wms)).get("hold") or {}
                return not now.get("readers_down")

            await _until(guarded, CONNECT_TIMEOUT, f"the gate's reader {reader.name} to guard")
            await self.acknowledge(api, door, "the simulator's portal was not there")
            acknowledged[door] = hold
        return acknowledged

    async def pass_goods(self, api: GateApi, door: str, epcs: Sequence[str]) -> dict[str, Any]:
        """A pallet passes ``door``'s sensor with ``epcs`` readable (none: its tag cannot be
        read). Returns the door's document once the gate has closed the window."""
        reader = self.readers[door]
        options = reader.options
        assert isinstance(options, LlrpOptions) and options.gpi_port is not None
        emu = self.emulators[door]
        before, empty_before = await self._windows(api, reader.name)
        emu.tags = [EmulatedTag(bytes.fromhex(epc), rssi_dbm=-50.0) for epc in epcs]
        await emu.set_gpi(options.gpi_port, options.gpi_active_high)
        await asyncio.sleep(PASS_SECONDS)  # the pallet in the beam: pacing, as a forklift does
        await emu.set_gpi(options.gpi_port, not options.gpi_active_high)
        emu.tags = []

        async def settled() -> bool:
            return (await self._windows(api, reader.name))[0] > before

        await _until(settled, SETTLE_TIMEOUT, f"the read window of {reader.name} to close")
        empty = (await self._windows(api, reader.name))[1] > empty_before
        path = f"{API}/doors/{door}"

        async def shown() -> bool:
            # The reader counts an empty window as it holds the door: wait for the hold.
            return not empty or bool((await api.expect("GET", path, self.wms)).get("hold"))

        await _until(shown, SETTLE_TIMEOUT, f"door {door}'s hold")
        doc: dict[str, Any] = await api.expect("GET", path, self.wms)
        return doc

    async def acknowledge(
        self, api: GateApi, door: str, why: str = "the simulated operator checked the goods"
    ) -> None:
        """The operator, having checked the goods by hand, releases the door (naming the
        count of empty windows seen, as the page's button does; the note says the simulator
        did, and ``why``)."""
        hold = (await api.expect("GET", f"{API}/doors/{door}", self.wms)).get("hold") or {}
        path = f"{API}/doors/{door}/acknowledge"
        headers = {"Authorization": self.operator}
        body = {"windows": hold.get("windows", 0), "note": NOTE + why}
        async with api.session.post(api.url + path, headers=headers, json=body) as response:
            if response.status != 200:
                raise api_error("POST", path, response.status, await response.text())

    async def _readers(self, api: GateApi) -> Mapping[str, Mapping[str, Any]]:
        doc = await api.expect("GET", f"{API}/readers", self.wms)
        return {r["name"]: r for r in doc["readers"]}

    async def _windows(self, api: GateApi, name: str) -> tuple[int, int]:
        """The reader's settled windows and empty ones."""
        window = (await self._readers(api))[name].get("read_window") or {}
        return int(window.get("windows", 0)), int(window.get("empty", 0))


async def _until(check: Any, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        if loop.time() >= deadline:
            raise SimulationFailed(f"--sensor: timed out waiting for {what}")
        await asyncio.sleep(POLL)
