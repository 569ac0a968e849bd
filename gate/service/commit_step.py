"""Decide, write, then publish: the one step every change of the docks goes through.

An operation (a scan batch, create, seal, remove, cancel, dispatch, an approval, a licence
push, a re-evaluation, an operator's action) first decides with the core, without awaiting,
and describes the result as a ``Change``: the new shipment and licence values (each with the
value it was decided from), door assignments, the SQL that stores them with their audit
records, and the events that announce them. ``Committer.apply`` then

1. stages the new values as pending (``LiveState``), so the next decision builds on them;
2. writes everything in one transaction, durable when it returns (``Store.write``, or the
   writer process for a scan batch: ``gate.storage.writer_process``);
3. only if that committed: takes the values into memory and publishes the events.

On any failure memory keeps what the database holds and nothing is published; the error is
raised to the caller (a storage failure as ``Unavailable``, after latching ``failed``: the
gate then refuses changes until it is restarted). The step runs to its end even if the
caller is cancelled while it waits, so memory cannot miss a commit that happened.

**A stalled writer.** A writer that stops (the process SIGSTOPped, a disk that hangs its
fsync) answers nothing: no error reaches this step. So the step watches the age of each
writer's oldest write in flight (``oldest_write``): past ``stall_bound`` (``STALL_SECONDS``)
``/readyz`` fails, one alert says which writer and how long (``check_writers``; one more
when writes flow again), and a scan batch's caller stops waiting with ``WriteStalled`` (a
503). The write itself is not cancelled: it ends in its turn, and the changes after it
still wait for it, so a batch answered 503 may be stored later (its retry answers
``duplicate``) but none is answered stored that was not, and the order holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from gate.core.licences import StandingLicence
from gate.core.shipment_values import Shipment
from gate.errors import StoreError, Unavailable, WriteStalled
from gate.service.event_shapes import storage_alert
from gate.service.events import Events, check_event
from gate.service.live_state import LiveState
from gate.storage import mqtt_rows, scan_batch, shipment_rows
from gate.storage.scan_batch import ScanBatch
from gate.storage.shipment_codec import ShipmentEncoder
from gate.storage.store import Store
from gate.storage.writer_process import WriterProcess

log = logging.getLogger("gate.service.commit_step")

T = TypeVar("T")
Step = Callable[[sqlite3.Connection], None]
#: Whether a change goes to the writer process, the future resolved when it was handed to its
#: writer and the one resolved when its write ended.
Turn = tuple[bool, "asyncio.Future[None]", "asyncio.Future[None]"]
#: The turn of the change begun before (None for the first) and the change's own.
Order = tuple[Turn | None, Turn]
#: Which writer a write waits for (the ``GATE_WRITER`` names) and for how many seconds.
Stall = tuple[str, float]

#: Seconds a writer's oldest write may stay in flight before the gate calls it stalled: far
#: above a healthy group commit (milliseconds; a send of the most full batches, about 1.5 s), far
#: below a scanner's patience. ``Committer.stall_bound`` starts at this.
STALL_SECONDS = 10.0
#: Seconds between two looks at the writers' ages (``Committer.watch_writers``).
WATCH_SECONDS = 1.0


@dataclass(slots=True)
class Change:
    """What one operation decided, ready to be written and then published.

    ``shipments`` pairs each new value with the value it was decided from (``None`` for a new
    shipment). ``sql`` runs in order in the write. The shipments themselves are saved once per group
    commit, each in the value of the group's last change of it. ``committed`` runs after the
    commit, with memory (before the events); ``rolled_back`` runs instead when the write
    failed, in the same step that drops the pending values (before any other decision).
    ``done`` is resolved with whether the change was stored.
    """

    shipments: list[tuple[Shipment | None, Shipment]] = field(default_factory=list)
    doors: dict[str, str | None] = field(default_factory=dict)
    licences: list[StandingLicence] = field(default_factory=list)
    sql: list[Step] = field(default_factory=list)
    #: A scan batch's rows, serials and audit records, written after ``sql``: by the writer
    #: process when the gate runs one (and the change has no other step), else as a step.
    batch: ScanBatch | None = None
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    committed: list[Callable[[], None]] = field(default_factory=list)
    rolled_back: list[Callable[[], None]] = field(default_factory=list)
    outbox: bool = False
    epcis: bool = False  # an EPCIS document was queued (gate.service.epcis_out)
    done: asyncio.Future[bool] | None = None
    #: Resolved once the change is taken by its writer (sent to the writer process, or
    #: handed to the store's thread) or has failed: a batch decided slice by slice decides
    #: its next slice only then (``gate.service.scan_path``).
    taken: asyncio.Future[None] | None = None

    def add(self, base: Shipment | None, after: Shipment) -> None:
        """Adds a shipment value; a later value of the same shipment replaces an earlier one
        (its base stays the first one's)."""
        for i, (first, earlier) in enumerate(self.shipments):
            if earlier.id == after.id:
                self.shipments[i] = (first, after)
                return
        self.shipments.append((base, after))


#: Called with every change inside its write transaction (after its ``sql``): what a link
#: must send about a change is stored with it, or not at all. A tap must not await or keep
#: ``conn``; if it raises, the change is not stored.
Tap = Callable[[sqlite3.Connection, Change], None]
#: Called with every change as it is handed to its writer (on the loop, in the order
#: decided): the MQTT messages a link must queue about it, stored in the change's transaction
#: by whichever writer writes it (``gate.links.mqtt``). If it raises, the change is not
#: stored.
MessageTap = Callable[[Change], list[mqtt_rows.Message]]


class Committer:
    """Runs changes through decide-write-publish and keeps the storage-failure latch."""

    def __init__(self, store: Store, state: LiveState, events: Events) -> None:
        self.store = store
        self.state = state
        self.events = events
        self.failed: str | None = None
        self.changed = asyncio.Event()
        self.outbox_changed = asyncio.Event()
        self.epcis_changed = asyncio.Event()
        self._encoder = ShipmentEncoder()  # used on the writer thread only
        self.taps: list[Tap] = []
        self.message_taps: list[MessageTap] = []
        self._writer: WriterProcess | None = None
        #: Seconds a write may stay in flight before its writer counts as stalled.
        self.stall_bound = STALL_SECONDS
        #: The stall the last alert announced (None: none, or writes flow again).
        self.stalled: Stall | None = None
        #: The last change begun: whether it goes to the writer process, a future resolved
        #: once it was handed to its writer and one resolved once its write ended.
        self._last: Turn | None = None
        #: Changes waiting for the other writer to end the change begun before them.
        self.crossing = 0
        #: The tasks writing changes (``begin``).
        self._running: set[asyncio.Task[None]] = set()
        #: A ``door`` event as it is published: its signal as the door's hold shows it
        #: (gate.service.door_holds); None until wired.
        self.door_shown: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @property
    def writer(self) -> WriterProcess | None:
        """The writer process the scan batches go to; None (``GATE_WRITER=thread``): every
        change is written on the store's thread."""
        return self._writer

    @writer.setter
    def writer(self, writer: WriterProcess | None) -> None:
        self._writer = writer
        if writer is not None:
            writer.on_refused = self.state.unwritten

    def oldest_write(self) -> Stall | None:
        """The writer whose oldest write in flight is oldest (``process`` or ``thread``)
        and that write's age in seconds; None when neither has one out."""
        ages: list[Stall] = []
        if self._writer is not None and (age := self._writer.oldest_write()) is not None:
            ages.append(("process", age))
        if (age := self.store.oldest_write()) is not None:
            ages.append(("thread", age))
        return max(ages, key=lambda stall: stall[1], default=None)

    def check_writers(self) -> Stall | None:
        """The stall now (a writer whose oldest write is older than ``stall_bound``), or
        None. Alerts once when a stall begins and once when writes flow again."""
        oldest = self.oldest_write()
        stall = oldest if oldest is not None and oldest[1] >= self.stall_bound else None
        if stall is not None and self.stalled is None:
            self.stalled = stall
            text = (
                f"The gate's writer ({_WRITERS[stall[0]]}) has not finished a write for"
                f" {stall[1]:.0f} s: scans wait for it and are answered 503 after"
                f" {self.stall_bound:g} s (a stopped process, or a disk that does not answer)"
            )
            log.error("%s", text)
            self.events.publish("alert", {**storage_alert(text), "kind": "writer_stalled"})
        elif stall is None and self.stalled is not None:
            kind, age = self.stalled
            self.stalled = None
            text = f"The gate's writer ({_WRITERS[kind]}) writes again"
            log.warning("%s (it had stalled for %.0f s or more)", text, age)
            alert = {"level": "info", "kind": "writer_flowing", "text": text}
            self.events.publish("alert", alert)
        return stall

    async def watch_writers(self, every: float = WATCH_SECONDS) -> None:
        """Checks the writers every ``every`` seconds until cancelled (``check_writers``):
        a stall answers nothing, so only a look at the clock finds it."""
        while True:
            try:
                self.check_writers()
            except Exception:  # the next look may work; a dead watch would never look again
                log.exception("writers' check")
            await asyncio.sleep(every)

    async def waited(self, future: asyncio.Future[T]) -> T:
        """The result of ``future`` (a change's ``done``, which others may wait for too, or
        ``begin``'s future where its error is wanted as raised: never cancelled here), awaited
        ``stall_bound`` seconds at most. Raises WriteStalled then: the write goes on and may
        still be stored."""
        ended = await self.ended([future], shared=True)
        if ended[0] is not None:
            raise ended[0]
        return future.result()

    async def ended(
        self,
        futures: Sequence[asyncio.Future[Any]],
        *,
        shared: bool = False,
        since: float | None = None,
    ) -> list[BaseException | None]:
        """Waits for ``futures`` (``begin``'s: each the caller's own, ended in the step that
        ends its write, so awaited directly) for ``stall_bound`` seconds in all, counted from
        ``since`` (``time.monotonic``; None: now), and gives each one's error (None: it ended
        well). Raises WriteStalled when the bound passes first: the writes go on and may
        still be stored. Either way out early (that, or the caller cancelled) leaves each
        future's error to be taken as it ends. ``shared``: others may wait for the futures
        too (they are shielded: a timeout here cancels none of them)."""
        started = time.monotonic() if since is None else since
        try:
            async with asyncio.timeout(max(0.0, started + self.stall_bound - time.monotonic())):
                for future in futures:
                    # Awaited for its end only: its error is taken below.
                    if future.done():
                        continue
                    if shared:
                        await asyncio.wait([future])
                    else:
                        await _quietly(future)
        except BaseException as exc:
            for future in futures:
                # Nobody awaits it now (the bound passed, or the caller went away: a client
                # that hung up): its error, if it fails later, is taken here, not logged as
                # never retrieved (the write's own failure is handled where it is written).
                future.add_done_callback(_taken)
            if not isinstance(exc, TimeoutError):
                raise
            stall = self.check_writers() or self.oldest_write()
            which = "" if stall is None else f" ({_WRITERS[stall[0]]})"
            raise WriteStalled(
                f"the gate's writer{which} has not stored this change within"
                f" {time.monotonic() - started:.0f} s: it may still be stored; send it again"
                " shortly (a scan's retry answers duplicate once it is)"
            ) from None
        return [_error(future) for future in futures]

    def latch(self, reason: str) -> None:
        """Refuses every change from now until a restart (a failed write; a broken journal
        found after the start), and alerts. The first reason stays."""
        if self.failed is None:
            self.failed = reason
        log.error("refusing changes until restart: %s", reason)
        self.events.publish("alert", storage_alert(reason))

    def require_ok(self) -> None:
        """Raises Unavailable once a write has failed, saying why (a client's 503 problem
        document) but not where: the database's folder is left out of the reason, which the
        log, the alert and the status page give whole to the people who run the gate."""
        if self.failed is not None:
            raise Unavailable(f"the gate is not taking changes: {self.public(self.failed)}")

    def public(self, text: str) -> str:
        """``text`` without the database's path or folder, for a client's eyes."""
        path = self.store.path
        text = text.replace(str(path), "<database>")
        return text.replace(str(path.parent), "<database folder>") if path.is_absolute() else text

    async def apply(self, change: Change) -> None:
        """Writes ``change``, then takes it into memory and publishes it. Raises what the
        write raised (storage failures as Unavailable); memory is then untouched. A scan
        batch's caller waits ``stall_bound`` at most (``ended``: WriteStalled); every other
        change's caller waits for its write, whose retry nothing would recognise."""
        ending = self.begin(change)
        if change.batch is None:
            await ending
            return
        for error in await self.ended([ending]):
            if error is not None:
                raise error

    async def apply_all(self, changes: Sequence[Change]) -> None:
        """Applies changes decided together (of different shipments), each as ``apply``
        does: all staged now, in order, and written in the same group commits (one fsync
        for hundreds, not one each). Once every one has ended, raises the first error."""
        results = await asyncio.gather(
            *[self.begin(change) for change in changes], return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    def begin(self, change: Change) -> asyncio.Future[None]:
        """Stages ``change`` and starts its write in its turn: ``apply`` without the wait. The
        future ends as ``apply`` returns or raises; the caller may decide its next change on
        this one's values before then.

        The future is the caller's own, ended by the write's task in the step that ends the
        write: its waiter resumes one turn of the loop later. (A shielded task, awaited with
        ``wait_for`` in a ``gather``, took six turns; under a truck's batches each turn can
        take milliseconds, and a single scan's answer waited 20-50 ms after its commit in
        the loaded latency row of ``python -m tests.bench service``.) Cancelling it, as a
        caller that goes away does, cancels nothing else: the write goes on. A change with an
        event that publishing would refuse (``check_event``) is refused here, as a failed write
        is (what its caller staged taken back, ``rolled_back`` run): its future raises
        ValueError."""
        if change.done is None:
            change.done = asyncio.get_running_loop().create_future()
        loop = asyncio.get_running_loop()
        try:
            for kind, data in change.events:
                check_event(kind, data)  # refused now, not once stored (review15)
        except ValueError as exc:
            # As a write that failed: what its caller staged while deciding (a scan batch's
            # values, its serials) is taken back before any other decision runs.
            afters = [after for _, after in change.shipments]
            self.state.unstage(afters, change.doors, change.licences)
            for step in change.rolled_back:
                step()
            if not change.done.done():
                change.done.set_result(False)
            _resolve(change.taken)
            refused: asyncio.Future[None] = loop.create_future()
            refused.set_exception(exc)
            return refused
        # Staged before the first await: a decision made from here on builds on this change,
        # and its write is submitted after this one (tasks start in the order made).
        afters = [after for _, after in change.shipments]
        self.state.stage(afters, change.doors, change.licences)
        turn = (self._by_process(change), loop.create_future(), loop.create_future())
        before, self._last = self._last, turn
        ending: asyncio.Future[None] = loop.create_future()
        task = loop.create_task(self._run(change, afters, (before, turn), ending))
        self._running.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._running.discard)
        return ending

    async def _run(
        self, change: Change, afters: list[Shipment], order: Order, ending: asyncio.Future[None]
    ) -> None:
        try:
            await self._apply(change, afters, order)
        except asyncio.CancelledError:
            ending.cancel()  # the loop is closing
            raise
        except Exception as exc:
            if not ending.done():
                ending.set_exception(exc)
        except BaseException:
            ending.cancel()
            raise  # KeyboardInterrupt, SystemExit: the loop's to handle
        else:
            if not ending.done():
                ending.set_result(None)

    def _by_process(self, change: Change) -> bool:
        """Whether ``change`` goes to the writer process: a scan batch and nothing else
        (a tap needs the transaction's connection, so with taps every change stays here; a
        message tap's messages go with the batch)."""
        if self.writer is None or change.batch is None:
            return False
        return not change.sql and not self.taps

    async def _apply(self, change: Change, afters: list[Shipment], order: Order) -> None:
        try:
            await self._write(change, afters, order)
        except BaseException:
            self.state.unstage(afters, change.doors, change.licences)
            for step in change.rolled_back:
                step()
            if change.done is not None and not change.done.done():
                change.done.set_result(False)
            raise
        self.state.unstage(afters, change.doors, change.licences)
        self.state.commit(afters, change.doors, change.licences)
        for step in change.committed:
            step()
        if change.done is not None and not change.done.done():
            change.done.set_result(True)
        # Woken before the events go out: the change is stored whatever publishing raises.
        if change.shipments:
            self.changed.set()
        if change.outbox:
            self.outbox_changed.set()
        if change.epcis:
            self.epcis_changed.set()
        if change.events:
            events, shown = change.events, self.door_shown
            if shown is not None:
                events = [(kind, shown(d) if kind == "door" else d) for kind, d in events]
            self.events.publish_all(events)

    async def _write(self, change: Change, afters: list[Shipment], order: Order) -> None:
        """Writes ``change`` in its turn: after the change begun before it was handed to its
        writer, and, when that one went to the other writer, after its write ended (the
        thread and the process never write at once, and commit in the order decided)."""
        before, (by_process, handed, ended) = order
        try:
            if before is not None:
                before_by_process, before_handed, before_ended = before
                await before_handed
                if before_by_process is not by_process and not before_ended.done():
                    self.crossing += 1
                    try:
                        await asyncio.wait([before_ended])
                    finally:
                        self.crossing -= 1
            if self.failed is not None:
                # Latched while this change waited: a change decided on a failed one's values
                # must not be stored after it.
                raise Unavailable(f"the gate is not taking changes: {self.public(self.failed)}")
            messages = [message for tap in self.message_taps for message in tap(change)]
            if by_process:
                await self._send(change, afters, handed, messages)
            else:
                await self._write_here(change, afters, handed, messages)
        finally:
            if not handed.done():
                handed.set_result(None)
            _resolve(change.taken)
            ended.set_result(None)

    async def _send(
        self,
        change: Change,
        afters: list[Shipment],
        handed: asyncio.Future[None],
        messages: list[mqtt_rows.Message],
    ) -> None:
        writer, batch = self.writer, change.batch
        assert writer is not None and batch is not None  # _by_process said so
        if messages:
            batch = replace(batch, messages=messages)
        try:
            # Checked and noted here, in the order the changes are handed over: the process
            # writes them in that order, and its first failure latches the gate.
            self.state.guard(change.shipments)
            self.state.written(afters)
            done = writer.write(batch, afters, change.taken)
            handed.set_result(None)
            await done
        except StoreError as exc:
            # Not StorageBusy (nothing stored, nothing failed): the writer refused every batch
            # handed over after this one too and took their values back as it refused them
            # (``on_refused``), so the next change is decided from what the database holds.
            if self.failed is None:  # the writer's own report may have latched it already
                self.latch(f"storage failed: {exc}")
            raise Unavailable(self.public(f"storage failed: {exc}")) from exc

    async def _write_here(
        self,
        change: Change,
        afters: list[Shipment],
        handed: asyncio.Future[None],
        messages: list[mqtt_rows.Message],
    ) -> None:
        state, encoder, taps = self.state, self._encoder, tuple(self.taps)
        pairs = list(change.shipments)
        batch = change.batch

        def write(conn: sqlite3.Connection) -> None:
            state.guard(pairs)
            for step in change.sql:
                step(conn)
            if batch is not None:
                scan_batch.write(conn, batch)
            mqtt_rows.queue_many(conn, messages)
            for tap in taps:
                tap(conn, change)
            state.written(afters)

        # Every change saves its shipments at the end of its group, keyed by shipment: of the
        # changes of one group, the last one's value is saved, whichever path made it (a seal
        # saved inside its own change would be overwritten by an earlier scan's group save).
        once: dict[Hashable, Step] = {
            ("shipment", after.id): _saver(encoder, after) for after in afters
        }
        try:
            written = self.store.write(write, once=once)
            # The next change resumes only once this task yields, inside ``written`` after
            # its request is queued: handed over in order.
            handed.set_result(None)
            _resolve(change.taken)
            await written
        except (StoreError, sqlite3.Error) as exc:
            self.latch(f"storage failed: {exc}")
            raise Unavailable(self.public(f"storage failed: {exc}")) from exc


#: The writers as an operator knows them (``GATE_WRITER``'s two values).
_WRITERS = {"process": "the writer process", "thread": "the store's thread"}


async def _quietly(future: asyncio.Future[Any]) -> None:
    """Awaits ``future`` for its end, whatever it is (``ended`` takes its error)."""
    with contextlib.suppress(Exception):
        await future


def _resolve(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


def _taken(future: asyncio.Future[Any]) -> None:
    """Takes ``future``'s error, if any, so that the loop does not report it as never
    retrieved."""
    if not future.cancelled():
        future.exception()


def _error(future: asyncio.Future[Any]) -> BaseException | None:
    """The error ``future`` ended with (None if none)."""
    return asyncio.CancelledError() if future.cancelled() else future.exception()


def _saver(encoder: ShipmentEncoder, shipment: Shipment) -> Step:
    def save(conn: sqlite3.Connection) -> None:
        shipment_rows.save(conn, shipment, encoder.text(shipment))

    return save
