"""The reader interface of our own, and the one way an adapter reaches the gate.

Every adapter is a :class:`Reader`: ``start()`` returns at once and the adapter runs in
the background; ``stop()`` ends it; ``health`` says how it is doing. Hardware that is
absent or goes away is never fatal: the adapter retries with exponential backoff and jitter
(:meth:`Reader.retry_forever`) and shows ``disconnected`` with the reason meanwhile.

Every scan an adapter makes goes through a :class:`ScanSink`, a thin wrapper of
``Docks.scans``: the same checks, decisions, durability, journal and events as
``POST /api/v1/scans``, with results returned only once they are durable. Scans are plain
dicts of the ``POST /scans`` shape (``scan_id``, ``reader``, ``door``, ``code``, optional
``kind`` and ``ts``). The ``reader`` is the configured reader name and the journal's actor
(the client) is ``reader:<name>``, so the gate's dedupe by ``(client, reader, scan_id)``
makes retries idempotent.

A :class:`Forwarder` sends an adapter's scans in the background for adapters that need no
answer per read (LLRP): what arrives while one commit is under way goes into the next (a
group commit), and while the gate refuses changes the scans wait, bounded, and are sent
again under the same ids.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gate.config.readers import ReaderConfig
from gate.core.text import escape_refused
from gate.errors import GateError
from gate.ingest.readers.health import Backoff, ReaderHealth
from gate.service.clock import utc_now

if TYPE_CHECKING:
    from gate.service.docks import Docks
    from gate.service.door_holds import DoorHolds

log = logging.getLogger("gate.ingest.readers")

MAX_BATCH = 500
#: A session that stayed up this long resets the backoff: the next failure retries quickly.
STABLE_SECONDS = 10.0
STOP_TIMEOUT = 5.0

Scan = dict[str, Any]
Result = dict[str, Any]


#: The most of an error's text kept: a reader's own error text (an LLRP status's
#: description, up to 64 KiB) is logged at each failed attempt and shown on the API.
MAX_ERROR_TEXT = 300


def describe(exc: BaseException) -> str:
    """One line for an error: the first leaf of a group, its type when it has no text, at
    most ``MAX_ERROR_TEXT`` characters of the text, with line breaks, control characters and
    bidirectional or invisible marks written as ``\\uXXXX`` (``escape_refused``): it is the
    reader's ``last_error`` on the API (``curl`` in a terminal), MQTT and the log, and an
    LLRP reader's error text is its own (attack20)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip()
    if len(text) > MAX_ERROR_TEXT:
        text = f"{text[:MAX_ERROR_TEXT]}... ({len(text) - MAX_ERROR_TEXT} more characters)"
    text = escape_refused(text)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class ScanSink:
    """The adapters' one way into the gate: ``Docks.scans`` in bounded batches (counted
    there, like the HTTP API's and the scanner socket's)."""

    def __init__(self, docks: Docks, holds: DoorHolds | None = None) -> None:
        self.docks = docks
        self.holds = holds

    async def empty_window(self, door: str, reader: str) -> None:
        """Goods passed ``reader``'s sensor and no tag was read: ``door`` is held until an
        operator acknowledges it (gate.service.door_holds): held in memory at once, the
        write retried there until it is stored."""
        if self.holds is not None:
            await self.holds.hold(door, reader)

    async def portal_down(self, door: str, reader: str) -> None:
        """``reader``, whose sensor guards ``door``, is down: the door is held, a shipment at
        it or not (gate.service.door_holds), once per outage."""
        if self.holds is not None:
            await self.holds.portal_down(door, reader)

    def portal_starting(self, door: str, reader: str) -> None:
        """``reader`` makes its first attempt: no acknowledgement at ``door`` until it ends."""
        if self.holds is not None:
            self.holds.portal_starting(door, reader)

    def portal_up(self, door: str, reader: str) -> None:
        """``reader`` is up again (a hold it caused stays until an operator acknowledges)."""
        if self.holds is not None:
            self.holds.portal_up(door, reader)

    async def submit(self, scans: Sequence[Scan], actor: str) -> list[Result]:
        """One result per scan, in order, each durable on return.

        Raises ``Unavailable`` (a GateError) when the gate takes no changes or a part of
        the batch was not stored; sending it again under the same ids is safe (what was
        stored answers ``duplicate``, counted once).
        """
        results: list[Result] = []
        for start in range(0, len(scans), MAX_BATCH):
            results += await self.docks.scans(list(scans[start : start + MAX_BATCH]), actor)
        return results

    def alert(self, data: Mapping[str, Any]) -> None:
        """Publishes an ``alert`` event (the page, the event streams, MQTT)."""
        self.docks.events.publish("alert", dict(data))

    async def refuse(self, info: Mapping[str, Any]) -> None:
        """Journals input that never became a scan (the docks bound how many per second)."""
        with contextlib.suppress(GateError):
            await self.docks.record_rejection(info)


class Reader(abc.ABC):
    """One configured reader. Subclasses implement :meth:`run`, which never returns by
    itself: it retries whatever fails, with backoff.

    A reader that ``guards_door`` (its sensor's read windows hold the door for goods passing
    unread) reports its outages to the sink: a session that ends, or a first attempt that
    fails, holds its door, a shipment at it or not (gate.service.door_holds)."""

    #: Whether the reader's read windows guard its door (set by an adapter with a sensor).
    guards_door: bool = False

    def __init__(self, config: ReaderConfig, sink: ScanSink) -> None:
        self.config = config
        self.sink = sink
        self.health = ReaderHealth(config.name, config.kind, config.door, config.address)
        self._task: asyncio.Task[None] | None = None
        self._connected_at: float | None = None

    @property
    def name(self) -> str:
        return self.config.name

    async def start(self) -> None:
        """Starts the adapter in the background; returns at once, whatever the hardware."""
        if self._task is None:
            if self.guards_door:
                self.sink.portal_starting(self.config.door, self.name)
            self._task = asyncio.create_task(self._main(), name=f"reader:{self.name}")

    async def stop(self) -> None:
        """Stops the adapter: its session ends, its last scans are sent if the gate takes
        them (within STOP_TIMEOUT), then its resources are released."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=STOP_TIMEOUT)
            if not done:
                log.warning("reader %s did not stop within %g s", self.name, STOP_TIMEOUT)
            elif not task.cancelled() and (error := task.exception()) is not None:
                log.error("reader %s ended with %s", self.name, describe(error))
        await self.close()
        self.health.set_state("stopped", utc_now())

    async def close(self) -> None:  # noqa: B027 (a hook: most adapters have nothing to close)
        """Releases what outlives the session (a pending queue, a listener). Default: none."""

    def doc(self, mono: float) -> dict[str, Any]:
        """The reader's entry of ``GET /api/v1/readers``: its health and what only its kind
        has (``extra``)."""
        return {**self.health.doc(mono), **self.extra()}

    def extra(self) -> dict[str, Any]:
        return {}

    async def _main(self) -> None:
        try:
            await self.run()
        except asyncio.CancelledError:
            pass  # stop(): ending normally keeps a cancelled task from being logged twice
        except Exception:
            log.exception("reader %s failed", self.name)
            self.health.set_state("disconnected", utc_now(), "internal error: see the log")
            await self._went_down()  # for good: its door is unguarded until a restart

    @abc.abstractmethod
    async def run(self) -> None:
        """The adapter's life, until cancelled."""

    # --- for subclasses ---------------------------------------------------------------------

    def connected(self, info: str | None = None) -> None:
        """A session is up (called by the session once the hardware answered)."""
        self._connected_at = time.monotonic()
        self.health.info = info
        self.health.set_state("connected", utc_now())
        log.info(
            "reader %s connected to %s%s",
            self.name,
            self.config.address,
            f" ({info})" if info else "",
        )

    def guarding(self) -> None:
        """The session of a reader that ``guards_door`` follows its sensor now: the portal is
        up again (called by the adapter once it does, not at the connect: a reader that
        answers and then refuses its sensor never guarded the door, and each attempt was
        an outage of its own, a window each: review20)."""
        if self.guards_door:
            self.sink.portal_up(self.config.door, self.name)

    async def _went_down(self) -> None:
        """Reports the outage of a reader that guards its door (the hold is in memory before
        any await: the door's dispatch is refused at once)."""
        if self.guards_door:
            try:
                await self.sink.portal_down(self.config.door, self.name)
            except Exception as exc:
                log.error("reader %s: its door's hold failed: %s", self.name, describe(exc))

    async def retry_forever(self, session: Callable[[], Awaitable[None]], backoff: Backoff) -> None:
        """Runs ``session`` again and again: a session ends when its connection does (by an
        exception, or by returning when the peer closed); the next attempt waits a backoff."""
        while True:
            self._connected_at = None
            self.health.set_state("connecting", utc_now())
            try:
                await session()
                error = "the connection was closed by the other end"
            except Exception as exc:
                error = describe(exc)
            up = self._connected_at
            if up is not None and time.monotonic() - up >= STABLE_SECONDS:
                backoff.reset()
            wait = backoff.next()
            self.health.failed(error, utc_now(), wait)
            await self._went_down()
            # Loud for the first failures, then a reminder now and then: the API shows it all.
            failures = self.health.failures
            level = logging.WARNING if failures <= 3 or failures % 20 == 0 else logging.DEBUG
            log.log(level, "reader %s: %s; retrying in %.1f s", self.name, error, wait)
            await asyncio.sleep(wait)


class Forwarder:
    """Sends scans in the background, in group commits, retrying (bounded) while refused.

    ``on_results(batch, results)`` sees each stored batch with its results;
    ``on_dropped(tag)`` each read given up because more than ``max_pending`` waited.
    """

    def __init__(
        self,
        sink: ScanSink,
        actor: str,
        health: ReaderHealth,
        *,
        max_pending: int,
        backoff: Backoff,
        on_results: Callable[[list[tuple[str, Scan]], list[Result]], None],
        on_dropped: Callable[[str], None],
    ) -> None:
        self.sink = sink
        self.actor = actor
        self.health = health
        self.max_pending = max_pending
        self.backoff = backoff
        self.on_results = on_results
        self.on_dropped = on_dropped
        self.pending: deque[tuple[str, Scan]] = deque()
        self.sent = 0
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"forward:{self.actor}")

    def put(self, tag: str, scan: Scan) -> None:
        if len(self.pending) >= self.max_pending:
            old, _ = self.pending.popleft()
            self.health.dropped += 1
            self.on_dropped(old)
        self.pending.append((tag, scan))
        self._wake.set()

    async def close(self, timeout: float = STOP_TIMEOUT) -> None:
        """Sends what is pending (one try, within ``timeout``), then stops."""
        task, self._task = self._task, None
        if task is None:
            return
        self._closing = True
        self._wake.set()
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.pending:
            log.warning("%s: %d reads not stored at stop", self.actor, len(self.pending))

    async def _run(self) -> None:
        while True:
            if not self.pending:
                if self._closing:
                    return
                await self._wake.wait()
                self._wake.clear()
                continue
            if await self._send_some():
                self.backoff.reset()
                continue
            if self._closing:
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.backoff.next()):
                    await self._wake_on_close()

    async def _wake_on_close(self) -> None:
        while not self._closing:
            self._wake.clear()
            await self._wake.wait()

    async def _send_some(self) -> bool:
        batch = [self.pending.popleft() for _ in range(min(MAX_BATCH, len(self.pending)))]
        try:
            results = await self.sink.submit([scan for _, scan in batch], self.actor)
        except BaseException as exc:
            # Not stored (or not known to be): keep the reads, in order, to send again under
            # the same ids; the gate answers "duplicate" for any it did store.
            self.pending.extendleft(reversed(batch))
            if not isinstance(exc, Exception):
                raise
            self.health.last_error = f"the gate refused scans: {describe(exc)}"
            log.warning("%s: scans not stored, will retry: %s", self.actor, describe(exc))
            return False
        self.sent += len(batch)
        self.health.counted(results)
        self.on_results(batch, results)
        return True
