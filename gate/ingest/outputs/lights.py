"""The doors' stack lights: each door's signal written to its output devices, and kept there.

One task per device (doors that share a device share its task and its connection). A task
writes the full state of its device's outputs whenever a door it serves changes, and again
every ``reassert_seconds`` whatever happened, so a device that restarted (and came back with
every coil off) shows the truth again within that time. What a door shows comes from the
core's table (``gate.core.stack_light``): red until the docks have loaded, green only for a
cleared shipment.

A device that cannot be written is retried with exponential backoff and jitter; it is shown
as ``unreachable`` with the reason (``GET /api/v1/readers`` under ``outputs``, and
``/metrics``), and alerted once per outage (from its third failed try on, so one lost
packet, or a reader whose session is still coming up at start, is not an alarm). Nothing
here is on the scan path: the tasks wake on the event bus after a change is committed, and a
device that hangs costs its own task a timeout, never a scan.

On a clean stop every device is written red on, everything else off (``STOPPED``), bounded
by the device's timeout: a light that was green must not stay green over a gate that is no
longer deciding.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gate.config.outputs import OutputConfig
from gate.core.stack_light import STOPPED, Lamps, lamps
from gate.ingest.outputs.devices import Device, LlrpGpo, ModbusCoils
from gate.ingest.readers.base import describe
from gate.ingest.readers.health import Backoff
from gate.service.clock import utc_now
from gate.service.events import Events

if TYPE_CHECKING:
    from gate.service.docks import Docks

log = logging.getLogger("gate.ingest.outputs")

#: Events after which a door's lamps may differ (``door_hold``: gate.service.door_holds).
WAKE_ON = frozenset({"door", "shipment", "door_hold"})
#: Failed tries in a row before an outage is alerted (a few seconds with the default
#: backoff: an LLRP reader whose session is still coming up at start is not an alarm).
ALERT_AFTER = 3
#: How long ``stop`` waits for a cancelled task before asking it again.
RECANCEL_SECONDS = 1.0


@dataclass(slots=True)
class OutputHealth:
    """One device as shown on the API and in metrics. ``state``: ``starting``, ``ok``,
    ``unreachable`` (``last_error`` says why, ``retry_at`` when it is tried again),
    ``stopped``."""

    device: str
    kind: str
    doors: tuple[str, ...]
    state: str = "starting"
    since: dt.datetime | None = None
    last_error: str | None = None
    last_write: dt.datetime | None = None
    writes: int = 0
    failures: int = 0  # failed tries since the last good write
    failures_total: int = 0
    retry_at: dt.datetime | None = None
    shown: dict[str, str] = field(default_factory=dict)  # door -> the lamp written

    def set_state(self, state: str, now: dt.datetime) -> None:
        if state != self.state:
            self.state, self.since = state, now

    def doc(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "kind": self.kind,
            "doors": list(self.doors),
            "state": self.state,
            "reachable": self.state == "ok",
            "since": _iso(self.since),
            "last_error": self.last_error,
            "last_write": _iso(self.last_write),
            "writes": self.writes,
            "failures": self.failures,
            "failures_total": self.failures_total,
            "retry_at": _iso(self.retry_at),
            "shown": dict(sorted(self.shown.items())),
        }


class _Output:
    """One device, the doors wired to it and its task."""

    def __init__(self, configs: Sequence[OutputConfig], device: Device) -> None:
        first = configs[0]
        self.name = first.device
        self.configs = tuple(configs)
        self.device = device
        self.reassert = first.reassert_seconds
        self.timeout = first.timeout_seconds
        self.backoff = Backoff(first.retry_initial, first.retry_max)
        doors = tuple(dict.fromkeys(c.door for c in configs))
        self.health = OutputHealth(first.device, first.kind, doors)
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def states(self, shown: Callable[[str], Lamps]) -> tuple[dict[int, bool], dict[str, str]]:
        """Every output of the device (number -> on) and each door's lamp, as ``shown``."""
        states: dict[int, bool] = {}
        names: dict[str, str] = {}
        for config in self.configs:
            door_lamps = shown(config.door)
            names[config.door] = door_lamps.shown
            on = dict(door_lamps.items())
            for lamp, number in config.ports:
                states[number] = on[lamp]
        return states, names


class DoorLights:
    """Every configured door output. ``start`` before the docks load (the lights show red),
    ``follow`` once they have, ``stop`` before the readers stop (GPO writes need them)."""

    def __init__(
        self,
        configs: Sequence[OutputConfig],
        events: Events,
        session_of: Callable[[str], object | None],
    ) -> None:
        self.events = events
        self.loaded = False
        #: door -> its signal (``green``, ``amber``, ``red``; None = idle)
        self.signal_of: Callable[[str], str | None] = lambda door: None
        #: door -> held (goods passed without a readable tag, not yet acknowledged)
        self.held: Callable[[str], bool] = lambda door: False
        #: door -> its hold is for a prohibited item read after the seal (shown red)
        self.prohibited_hold: Callable[[str], bool] = lambda door: False
        by_device: dict[str, list[OutputConfig]] = {}
        for config in configs:
            by_device.setdefault(config.device, []).append(config)
        self.outputs: list[_Output] = []
        for name, group in by_device.items():
            first = group[0]
            device: Device
            if first.kind == "modbus":
                device = ModbusCoils(first.host, first.port, first.unit, first.timeout_seconds)
            else:
                device = LlrpGpo(
                    first.reader, _bind(session_of, first.reader), first.timeout_seconds
                )
            self.outputs.append(_Output(group, device))
            log.debug("door output %s for %s", name, ", ".join(c.door for c in group))
        self._watcher: asyncio.Task[None] | None = None
        self._stopped_once = False
        self._stopping = False  # set by ``stop``: a device's loop writes nothing more

    def __len__(self) -> int:
        return len(self.outputs)

    def lamps(self, door: str) -> Lamps:
        """What ``door`` shows now (the core's table over the gate's state)."""
        return lamps(
            self.signal_of(door),
            loaded=self.loaded,
            held=self.held(door),
            prohibited_hold=self.prohibited_hold(door),
        )

    async def start(self) -> None:
        """Starts one task per device; they write red (not loaded) at once."""
        for output in self.outputs:
            if output.task is None:
                output.task = asyncio.create_task(self._run(output), name=f"output:{output.name}")

    def follow(self, docks: Docks) -> None:
        """The docks have loaded: the lights follow their doors' signals from now on."""
        self.signal_of = lambda door: door_signal(docks, door)
        self.loaded = True
        if self.outputs and self._watcher is None:
            self._watcher = asyncio.create_task(self._watch(), name="outputs-watch")
        self.wake()

    def wake(self) -> None:
        for output in self.outputs:
            output.wake.set()

    async def stop(self) -> None:
        """Ends the tasks, then writes red/off to every device (bounded by its timeout).
        Once: a second call does nothing. A cancel of the caller is the caller's: it goes
        on (the devices are then left as they are)."""
        if self._stopped_once:
            return
        self._stopped_once = True
        self._stopping = True
        tasks = [t for t in (self._watcher, *(o.task for o in self.outputs)) if t is not None]
        self._watcher = None
        for task in tasks:
            task.cancel()
        # Waited on, not awaited: awaiting a cancelled task raises CancelledError, and
        # suppressing that would swallow a cancel of the caller as well. A task still running
        # after a while lost its cancel somewhere below (``devices`` guards pymodbus, which
        # is known to): it is asked again, and ``_stopping`` ends its loop at its next turn.
        pending = set(tasks)
        while pending:
            _, pending = await asyncio.wait(pending, timeout=RECANCEL_SECONDS)
            for task in pending:
                log.warning("%s still running after its cancel; cancelled again", task.get_name())
                task.cancel()
        for task in tasks:
            if not task.cancelled() and (exc := task.exception()) is not None:
                log.error("%s had failed: %s", task.get_name(), describe(exc), exc_info=exc)
        await asyncio.gather(*(self._stopped(o) for o in self.outputs))

    async def _stopped(self, output: _Output) -> None:
        output.task = None
        states, _ = output.states(lambda door: STOPPED)
        try:
            async with asyncio.timeout(output.timeout):
                await output.device.write(states)
            output.health.shown = dict.fromkeys(output.health.doors, STOPPED.shown)
        except Exception as exc:
            output.health.shown = {}  # as after any failed write: what it shows is unknown
            log.warning("output %s: red/off not written at stop: %s", output.name, describe(exc))
        finally:
            with contextlib.suppress(Exception):
                await output.device.close()
            output.health.set_state("stopped", utc_now())

    def docs(self) -> list[dict[str, Any]]:
        return [output.health.doc() for output in self.outputs]

    # --- the tasks ------------------------------------------------------------------------------

    async def _watch(self) -> None:
        """Wakes the devices after every change that may move a door's lamps; a subscription
        the bus dropped (too slow) is taken again, and everything rewritten."""
        while not self.events.closed.is_set():
            async with self.events.subscribe() as sub:
                self.wake()
                while True:
                    event = await sub.queue.get()
                    if event is None:
                        break
                    if event.kind in WAKE_ON:
                        self.wake()

    async def _run(self, output: _Output) -> None:
        written: dict[int, bool] | None = None
        last = 0.0
        while not self._stopping:
            output.wake.clear()
            states, shown = output.states(self.lamps)
            due = time.monotonic() - last >= output.reassert
            if states != written or due:
                try:
                    async with asyncio.timeout(output.timeout):
                        await output.device.write(states)
                except Exception as exc:
                    written = None
                    await self._failed(output, describe(exc))
                    continue
                written, last = states, time.monotonic()
                self._written(output, shown)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, output.reassert - (time.monotonic() - last))):
                    await output.wake.wait()

    def _written(self, output: _Output, shown: Mapping[str, str]) -> None:
        health = output.health
        now = utc_now()
        if health.state == "unreachable" and health.failures >= ALERT_AFTER:
            self._alert(output, "info", f"Stack light {output.name} reachable again")
            log.info("output %s reachable again", output.name)
        health.set_state("ok", now)
        health.writes += 1
        health.failures = 0
        health.last_error = None
        health.retry_at = None
        health.last_write = now
        health.shown = dict(shown)
        output.backoff.reset()

    async def _failed(self, output: _Output, error: str) -> None:
        health = output.health
        now = utc_now()
        health.failures += 1
        health.failures_total += 1
        health.last_error = error[:500]
        health.set_state("unreachable", now)
        health.shown = {}
        wait = output.backoff.next()
        health.retry_at = now + dt.timedelta(seconds=wait)
        if health.failures == ALERT_AFTER:
            doors = ", ".join(health.doors)
            self._alert(
                output,
                "critical",
                f"Stack light of {doors} unreachable ({output.name}: {error}); the light may"
                " not show the door's signal",
            )
        level = logging.WARNING if health.failures <= 3 or health.failures % 20 == 0 else 10
        log.log(level, "output %s: %s; retrying in %.1f s", output.name, error, wait)
        await asyncio.sleep(wait)

    def _alert(self, output: _Output, level: str, text: str) -> None:
        doors = output.health.doors
        self.events.publish(
            "alert",
            {
                "level": level,
                "kind": "output_unreachable" if level == "critical" else "output_reachable",
                "door": doors[0] if len(doors) == 1 else None,
                "device": output.name,
                "text": text,
            },
        )


def _bind(session_of: Callable[[str], object | None], reader: str) -> Callable[[], object | None]:
    return lambda: session_of(reader)


def door_signal(docks: Docks, door: str) -> str | None:
    """The door's committed signal (None: idle); red while the gate refuses changes."""
    if docks.failed is not None:
        return "red"
    shipment = docks.door_shipment(door)
    return None if shipment is None else shipment.signal.value


def _iso(at: dt.datetime | None) -> str | None:
    return None if at is None else at.isoformat()
