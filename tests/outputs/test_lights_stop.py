"""Stopping the stack lights while a door's change is still being written: the stop returns
(run as a task of its own and waited on with a deadline, not cancelled: a stop that swallows
cancels would defeat ``asyncio.timeout``), the device's task ends, and a device that answers
is left red. The device is pymodbus's own server, reached directly or through a
relay on loopback that holds its answers (a device slow to answer, or gone mute mid-write).
Re-asserting is set to a minute, so a task that lives on after its cancel shows as a hang."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.ingest.outputs.lights import DoorLights
from gate.service.events import Events
from tests.outputs.support import Plc, lit, modbus_output, wire
from tests.outputs.test_modbus_lights import plc
from tests.service.harness import Gates, gtin_with, until

__all__ = ["plc"]  # the real Modbus device, the fixture of the stack-light tests

#: Far longer than a stop takes (a device's timeout at most), far shorter than re-asserting.
STOP_DEADLINE = 10.0
STOPPED = lit(red=True)


class Relay:
    """A TCP link on 127.0.0.1 in front of a device: requests go on at once, each answer is
    held ``delay`` seconds (None: dropped, a device that went mute). ``delay`` may change
    while it runs. ``requests`` and ``answers`` count the chunks passed each way."""

    def __init__(self, target: int, delay: float | None = 0.0) -> None:
        self.target = target
        self.delay = delay
        self.port = 0
        self.requests = 0
        self.answers = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.Task[None]] = set()

    @property
    def unanswered(self) -> int:
        return self.requests - self.answers

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for link in tuple(self._links):
            link.cancel()
        await asyncio.gather(*self._links, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = asyncio.create_task(self._link(reader, writer))
        self._links.add(link)
        link.add_done_callback(self._links.discard)

    async def _link(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            device_r, device_w = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(
            self._pump(client_r, device_w, answers=False),
            self._pump(device_r, client_w, answers=True),
        )

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, answers: bool
    ) -> None:
        try:
            while data := await reader.read(4096):
                if not answers:
                    self.requests += 1
                else:
                    if self.delay is None:
                        continue
                    await asyncio.sleep(self.delay)  # the device thinking, not a test's wait
                    self.answers += 1
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()


@pytest.fixture
async def relay(plc: Plc) -> AsyncIterator[Relay]:
    link = Relay(plc.port)
    await link.start()
    yield link
    await link.stop()


def door_lights(
    config: Path, port: int, signal: dict[str, str | None], **timing: float
) -> DoorLights:
    """D1's light on the Modbus device at ``port``, following ``signal`` (loaded already)."""
    wire(config, "D1", modbus_output("D1", port, reassert_seconds=60.0, **timing))
    lights = DoorLights(load_config(config).outputs, Events(), lambda reader: None)
    lights.signal_of = signal.get
    lights.loaded = True
    return lights


async def in_time(stop: Coroutine[object, object, None]) -> None:
    """Runs ``stop`` and fails unless it returns within STOP_DEADLINE (waited on from outside,
    so a stop that swallows cancels still fails here; one still running is then cancelled)."""
    task = asyncio.create_task(stop)
    await asyncio.wait([task], timeout=STOP_DEADLINE)
    if not task.done():
        task.cancel()
    assert task.done() and not task.cancelled(), f"stop hung: {task.get_stack()}"
    task.result()


async def stop_in_time(lights: DoorLights) -> None:
    await in_time(lights.stop())


async def test_stop_while_a_slow_device_answers_a_change_ends_and_leaves_red(
    demo_config: Path, plc: Plc, relay: Relay
) -> None:
    """A stop that lands while the device is still answering a door's change returns, ends
    the device's task, and writes red/off once the device answers."""
    relay.delay = 0.3
    signal: dict[str, str | None] = {"D1": None}
    lights = door_lights(demo_config, relay.port, signal, timeout_seconds=2.0)
    await lights.start()
    try:
        await until(lambda: plc.lamps("D1") == lit(amber=True), "the idle door amber")
        await until(lambda: relay.unanswered == 0, "the write answered")
        signal["D1"] = "green"
        lights.wake()
        await until(lambda: relay.unanswered > 0, "the change on its way to the device")
        await stop_in_time(lights)
    finally:
        await lights.stop()
    (output,) = lights.outputs
    assert ("stopped", 0, 0) == (
        output.health.state,
        output.health.failures,
        output.health.failures_total,
    )  # the stop's cancel was not taken for a failed write
    assert STOPPED == plc.lamps("D1")
    assert {"D1": "red"} == output.health.shown


async def test_stop_while_a_mute_device_has_a_change_in_hand_returns(
    demo_config: Path, plc: Plc, relay: Relay
) -> None:
    """A device that stops answering mid-write costs a stop no more than its timeout: the
    stop returns, the device shows as stopped, and no lamp as shown on it (none is known)."""
    signal: dict[str, str | None] = {"D1": None}
    lights = door_lights(demo_config, relay.port, signal, timeout_seconds=0.5)
    await lights.start()
    try:
        await until(lambda: plc.lamps("D1") == lit(amber=True), "the idle door amber")
        relay.delay = None
        signal["D1"] = "green"
        lights.wake()
        await until(lambda: relay.unanswered > 0, "the change on its way to the device")
        await stop_in_time(lights)
    finally:
        await lights.stop()
    (output,) = lights.outputs
    assert ("stopped", 0, {}) == (
        output.health.state,
        output.health.failures,
        output.health.shown,
    )
    # The requests got there, no answer came back: the "off" half of each write, and
    # nothing after it.
    await until(lambda: plc.lamps("D1") == lit(), "every lamp off")


async def test_stop_at_once_after_a_change_returns_and_leaves_red_every_time(
    demo_config: Path, plc: Plc
) -> None:
    """Changing the door's signal and stopping at once, at each of the first few points of
    the write (0 to 7 turns of the event loop in), the stop returns and the device is red."""
    signals = ("green", "amber", "red")
    signal: dict[str, str | None] = {"D1": None}
    wire(demo_config, "D1", modbus_output("D1", plc.port, reassert_seconds=60.0))
    outputs = load_config(demo_config).outputs
    for attempt in range(24):
        lights = DoorLights(outputs, Events(), lambda reader: None)
        lights.signal_of, lights.loaded = signal.get, True
        signal["D1"] = signals[attempt % 3]
        try:
            await change_and_stop(lights, signal, signals[(attempt + 1) % 3], attempt % 8)
        finally:
            await lights.stop()
        assert (attempt, STOPPED) == (attempt, plc.lamps("D1"))
        assert (attempt, "stopped") == (attempt, lights.outputs[0].health.state)


async def change_and_stop(
    lights: DoorLights, signal: dict[str, str | None], to: str, turns: int
) -> None:
    """Starts ``lights``, waits for its first write, changes D1 to ``to`` and stops the
    lights ``turns`` turns of the event loop later."""
    await lights.start()
    health = lights.outputs[0].health
    await until(lambda: health.writes > 0, "the first write")
    signal["D1"] = to
    lights.wake()
    for _ in range(turns):
        await asyncio.sleep(0)  # one turn of the loop: the write a step further on
    await stop_in_time(lights)


async def test_a_stop_cancelled_by_its_caller_is_cancelled(
    demo_config: Path, plc: Plc, relay: Relay
) -> None:
    """A stop cancelled by its caller while a device has a change in hand and has gone mute
    ends cancelled at once: the caller's cancel is neither swallowed while the device's task
    ends nor taken for a failed red/off write (the device's timeout is 30 s)."""
    signal: dict[str, str | None] = {"D1": None}
    lights = door_lights(demo_config, relay.port, signal, timeout_seconds=30.0)
    await lights.start()
    await until(lambda: plc.lamps("D1") == lit(amber=True), "the idle door amber")
    relay.delay = None
    signal["D1"] = "green"
    lights.wake()
    await until(lambda: relay.unanswered > 0, "the change on its way to the device")
    asked = relay.requests
    stopping = asyncio.create_task(lights.stop())
    await until(lambda: relay.requests > asked, "a write after the stop began")
    stopping.cancel()
    await asyncio.wait([stopping], timeout=STOP_DEADLINE)
    assert (True, True) == (stopping.done(), stopping.cancelled())
    task = lights.outputs[0].task
    assert task is None or task.done()


async def test_a_stop_cancelled_before_its_tasks_have_ended_is_cancelled(
    demo_config: Path, plc: Plc
) -> None:
    """A stop cancelled by its caller while it waits for the devices' tasks to end ends
    cancelled: the caller's cancel is not taken for the cancelled task's, and swallowed."""
    signal: dict[str, str | None] = {"D1": "green"}
    lights = door_lights(demo_config, plc.port, signal)
    await lights.start()
    await until(lambda: plc.lamps("D1") == lit(green=True), "the door green")
    stopping = asyncio.create_task(lights.stop())
    await asyncio.sleep(0)  # one turn of the loop: the stop has cancelled the tasks
    stopping.cancel()
    await asyncio.wait([stopping], timeout=STOP_DEADLINE)
    assert (True, True) == (stopping.done(), stopping.cancelled())
    task = lights.outputs[0].task
    assert task is not None and task.done()


async def test_gate_stopped_while_a_change_is_written_exits_and_leaves_red(
    demo_config: Path, plc: Plc, relay: Relay, gates: Gates
) -> None:
    """A gate stopped while its device is still answering a door's change to green stops
    within the deadline and leaves the door red."""
    relay.delay = 0.3
    wire(demo_config, "D2", modbus_output("D2", relay.port, reassert_seconds=60.0))
    gate = await gates.start()
    await until(lambda: plc.lamps("D2") == lit(amber=True), "the idle door amber")
    await gate.create(
        "S2", "D2", destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"}
    )
    await gate.scan(gtin_with(demo_config, "9.A.4"), door="D2")
    await until(lambda: relay.unanswered == 0, "the writes answered")
    asked = relay.requests
    status, doc = await gate.call("POST", "/api/v1/shipments/S2/seal")
    assert (200, "green") == (status, doc["signal"])
    await until(lambda: relay.requests > asked and relay.unanswered > 0, "green on its way")
    await in_time(gates.stop(gate))
    assert STOPPED == plc.lamps("D2")
