"""The scan batches' writer in a process of its own (the default; ``GATE_WRITER=thread``
leaves every write on the store's thread).

The store's writer thread shares the interpreter lock with the event loop: whatever Python
the writer runs (binding rows, the journal's canonical JSON and hashes), the loop waits for,
and every statement hands the lock back and forth. Together the two never use more than one
of the box's two cores. This process takes the hot path's writes off that lock: it owns a
second write connection to the same database and stores the scan batches the loop sends it
(``gate.storage.scan_batch``), with the shipment rows they changed, in group commits of its
own. Every other write stays on the store's thread; the commit step keeps the two in order
(``gate.service.commit_step``), and the two connections take turns at each transaction
(``owner_lock.WriteTurn``: two connections writing or checkpointing at once can corrupt a
WAL database on SQLite before 3.51.3).

The protocol is a msgpack stream on a socket pair. The loop sends, once per turn of its loop,
``["batch", id, batch]`` for each batch decided in it, then ``["end", shipment rows]`` with
the last row of each shipment they changed. The process answers ``["ready", pid]`` once its
connection is open (``["refused", reason]`` if it cannot be), then ``[ids, error]`` per
group after its COMMIT returned (``error`` None) or failed, or ``["busy", ids, reason]``
when another process held the database's lock past the busy timeout (nothing stored; the
batches are refused as ``StorageBusy`` and the gate goes on, as the store's thread does). It
fails closed: the first failure rolls its whole group back, and every later batch gets the
same error without touching the database, as the gate latches and refuses changes until a
restart. It holds the gate's owner lock (``owner_lock``) as long as it lives, so no other gate
opens the database while it may still write. When the loop's end of the socket closes (the
gate stopped or died), the process stores what it already received and exits; it ignores
SIGINT, SIGTERM and SIGHUP, which a terminal or systemd send to the whole group at a stop or
a hang-up, so the gate's own stop decides when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import msgpack

from gate.core.shipment_values import Shipment
from gate.errors import ConfigError, StorageBusy, StoreError
from gate.storage import scan_batch, shipment_rows
from gate.storage.owner_lock import WriteTurn, note_writer
from gate.storage.scan_batch import ScanBatch
from gate.storage.schema import file_identity, is_busy
from gate.storage.shipment_codec import ShipmentEncoder
from gate.storage.store import DEFAULT_MAX_GROUP

log = logging.getLogger("gate.storage.writer_process")

#: Batches one send, and so one transaction, carries at most (as many as a group of the
#: store's thread: ``store.DEFAULT_MAX_GROUP``).
MAX_GROUP = DEFAULT_MAX_GROUP
#: Bytes one message may take on the wire: a batch of the largest request the API takes,
#: with room (the loop is the only sender; this bounds a bug, not an attacker).
MAX_MESSAGE = 64 * 1024 * 1024
#: Seconds the process may take to open its connection, and to exit once told to.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def wanted() -> bool:
    """Whether the scan batches go to the writer process: ``GATE_WRITER=process`` (the
    default) or ``thread`` (every write on the store's thread, as before 2026-11-30). Raises
    ConfigError for anything else."""
    choice = os.environ.get("GATE_WRITER", "process")
    if choice not in ("thread", "process"):
        raise ConfigError(f"GATE_WRITER: {choice!r} is not a writer; thread or process")
    return choice == "process"


class _Link(asyncio.Protocol):
    """The loop's end of the socket: resolves each batch's future from the answers."""

    def __init__(self, writer: WriterProcess) -> None:
        self.writer = writer
        self.unpacker = msgpack.Unpacker(raw=False, max_buffer_size=MAX_MESSAGE)

    def data_received(self, data: bytes) -> None:
        self.unpacker.feed(data)
        for message in self.unpacker:
            self.writer._answered(message)

    def connection_lost(self, exc: Exception | None) -> None:
        self.writer._ended(exc)


class WriterProcess:
    """The loop's handle on the writer process: ``write`` sends a batch and returns the
    future its commit resolves; ``close`` lets the process finish and waits for it."""

    def __init__(self, path: Path, process: subprocess.Popen[bytes]) -> None:
        self.path = path
        self.process = process
        #: Why this writer stores nothing more (its first failure); None while it works.
        self.failed: str | None = None
        #: Called once with the reason when the process fails or ends while the gate runs.
        self.on_failure: Callable[[str], None] | None = None
        #: Called with the shipment values of the batches refused because another process
        #: held the database, as they are refused: before any other batch is handed over,
        #: so none decided on them is taken (``LiveState.unwritten``).
        self.on_refused: Callable[[Sequence[Shipment]], None] | None = None
        self.commits = 0
        self.writes = 0
        self._ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending: dict[int, asyncio.Future[None]] = {}
        self._next = 0
        self._transport: asyncio.Transport | None = None
        self._closing = False
        self._gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        #: Batches not sent yet: id, packed batch, the shipment values its change saves.
        self._unsent: list[tuple[int, bytes, Sequence[Shipment]]] = []
        #: The ``sent`` futures of batches not sent yet (``write``).
        self._on_sent: dict[int, asyncio.Future[None]] = {}
        #: The batches of the send the process has not answered yet, with the shipment
        #: values each saves, and when that send went (``time.monotonic``; None: none out).
        self._sent: dict[int, Sequence[Shipment]] = {}
        self._sent_at: float | None = None
        self._encoder = ShipmentEncoder()

    @property
    def pending(self) -> int:
        """Batches written and not yet answered."""
        return len(self._pending)

    def oldest_write(self) -> float | None:
        """Seconds since the send the process has not answered yet went out (its oldest
        write in flight: the batches not sent wait behind it), None when none is out. A
        process that stopped (SIGSTOP, a disk that hangs its fsync) shows here as a growing
        age, while it still looks alive."""
        if self._sent_at is None:
            return None
        return time.monotonic() - self._sent_at

    @classmethod
    async def start(
        cls, path: Path, *, lock: int | None = None, timeout: float = START_TIMEOUT
    ) -> WriterProcess:
        """Starts the process on database ``path`` (already opened and migrated by the
        store), handing it the owner lock's descriptor ``lock`` to hold, and waits until its
        connection is open. Raises StoreError if it cannot."""
        ours, theirs = socket.socketpair()
        passed = [theirs.fileno()] + ([] if lock is None else [lock])
        try:
            command = [sys.executable, "-m", "gate.storage.writer_process"]
            held = [] if lock is None else [str(lock)]
            process = subprocess.Popen(
                [*command, str(theirs.fileno()), str(path), *held],
                pass_fds=passed,
                stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            ours.close()
            raise StoreError(f"cannot start the writer process: {exc}") from exc
        finally:
            theirs.close()
        writer = cls(path, process)
        try:
            loop = asyncio.get_running_loop()
            transport, _ = await loop.create_connection(lambda: _Link(writer), sock=ours)
            writer._transport = transport
            pid = await asyncio.wait_for(asyncio.shield(writer._ready), timeout)
        except BaseException as exc:
            ours.close()
            await writer.close()
            if isinstance(exc, TimeoutError):
                raise StoreError(
                    f"the writer process did not start within {timeout:.0f} s"
                ) from exc
            raise
        log.info("writer process %d stores the scan batches of %s", pid, path)
        return writer

    def write(
        self,
        batch: ScanBatch,
        shipments: Sequence[Shipment],
        sent: asyncio.Future[None] | None = None,
    ) -> asyncio.Future[None]:
        """Sends ``batch`` with the shipments its change saves; the future resolves once they
        are committed, or fails with StoreError (nothing of them stored; StorageBusy when
        another process held the database). Raises StoreError at once when the writer
        failed, ended or is stopping. ``sent``, if given, is resolved once the batch is on
        its way to the process (or refused: it never waits longer than the batch does).

        Batches go in one send while the process commits the send before (``_flush``), with
        each shipment's last value encoded once: on the two-core box waking the process
        costs more than writing its data, and most of a shipment's text is its head. So
        the process commits one send while the loop decides the next, and is woken once per
        commit, not once per batch."""
        if self.failed is not None:
            raise StoreError(self.failed)
        if self._closing or self._transport is None or self._transport.is_closing():
            raise StoreError("the writer process is stopping")
        try:
            packed = msgpack.packb(["batch", self._next, batch.to_wire()])
        except (TypeError, ValueError, OverflowError) as exc:
            # Data msgpack cannot carry is data the journal could not hold either.
            raise StoreError(f"a scan batch could not be sent to the writer: {exc}") from exc
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending[self._next] = future
        self._unsent.append((self._next, packed, shipments))
        if sent is not None:
            self._on_sent[self._next] = sent
        self._next += 1
        if not self._sent and len(self._unsent) == 1:
            loop.call_soon(self._flush)  # at the end of this turn: its other batches join
        return future

    def _flush(self) -> None:
        """Sends the oldest batches not sent (``MAX_GROUP`` at most), then the rows of the
        shipments they changed, each at its last value among them; unless the last send is
        still being committed (its answer flushes again)."""
        if self._sent or not self._unsent or self._transport is None:
            return
        unsent, self._unsent = self._unsent[:MAX_GROUP], self._unsent[MAX_GROUP:]
        latest = {shipment.id: shipment for _, _, changed in unsent for shipment in changed}
        try:
            rows = [shipment_rows.row_of(s, self._encoder.text(s)) for s in latest.values()]
            end = msgpack.packb(["end", rows])
        except Exception as exc:
            # Sent without their shipments the batches would leave the documents behind.
            self._fail(f"the shipments of scan batches could not be sent: {exc}")
            return
        self._sent.update((ident, changed) for ident, _, changed in unsent)
        self._sent_at = time.monotonic()
        self._transport.write(b"".join([packed for _, packed, _ in unsent]) + end)
        self._went([ident for ident, _, _ in unsent])

    def _went(self, ids: Sequence[int]) -> None:
        """Resolves the ``sent`` futures of the batches ``ids`` (sent, refused or failed)."""
        for ident in ids:
            sent = self._on_sent.pop(ident, None)
            if sent is not None and not sent.done():
                sent.set_result(None)

    async def close(self) -> None:
        """Takes no more batches, waits for the answers to those written (up to
        ``STOP_TIMEOUT``), then ends the socket and waits for the process to exit (killed if
        it does not). A batch still unanswered then is failed; it may have been stored."""
        self._closing = True
        if self._pending:
            await asyncio.wait(list(self._pending.values()), timeout=STOP_TIMEOUT)
        if self._transport is not None and not self._transport.is_closing():
            # Half-closed: the process reads the end, answers what it has, and exits.
            self._transport.write_eof()
            await asyncio.wait([self._gone], timeout=STOP_TIMEOUT)
            self._transport.close()
        try:
            await asyncio.to_thread(self.process.wait, STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            log.error("writer process %d did not stop: killed", self.process.pid)
            self.process.kill()
            await asyncio.to_thread(self.process.wait)
        self._fail("the writer process was stopped")

    def _answered(self, message: Any) -> None:
        kind = message[0] if isinstance(message, list) and message else None
        if kind == "ready":
            if not self._ready.done():
                self._ready.set_result(int(message[1]))
            return
        if kind == "refused":
            self._fail(f"the writer process could not open the database: {message[1]}")
            return
        if kind == "busy":
            self._busy(message[1], str(message[2]))
            return
        ids, error = message
        if error is not None:
            self._fail(str(error))
        else:
            self.commits += 1
            self.writes += len(ids)
        self._answered_sent(ids)
        for ident in ids:
            future = self._pending.pop(ident, None)
            if future is None or future.done():
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(StoreError(str(error)))
        self._flush()  # what the loop decided while the process committed

    def _busy(self, ids: list[int], reason: str) -> None:
        """Another process held the database: the send is refused, and so is every batch
        written after it (decided on its values); the writer goes on with the next."""
        values = [shipment for ident in ids for shipment in self._sent.get(ident, ())]
        values += [shipment for _, _, changed in self._unsent for shipment in changed]
        self._answered_sent(ids)
        refused = [*ids, *(ident for ident, _, _ in self._unsent)]
        self._unsent = []
        self._went(refused)
        if self.on_refused is not None:
            # Now, in this callback: a batch decided on these values and handed over before
            # the refused batches' own tasks resume must meet the guard, not the database.
            self.on_refused(values)
        for ident in refused:
            future = self._pending.pop(ident, None)
            if future is not None and not future.done():
                future.set_exception(
                    StorageBusy(f"the database is locked by another process: {reason}")
                )

    def _answered_sent(self, ids: Sequence[int]) -> None:
        for ident in ids:
            self._sent.pop(ident, None)
        if not self._sent:
            self._sent_at = None

    def _ended(self, exc: Exception | None) -> None:
        if not self._gone.done():
            self._gone.set_result(None)
        # Reaped once it has exited (its socket closes first), so it is no zombie meanwhile.
        with contextlib.suppress(RuntimeError):  # the loop's executor already shut down
            asyncio.get_running_loop().run_in_executor(None, self.process.wait)
        code = self.process.poll()
        why = "the writer process ended" + ("" if code is None else f" (exit status {code})")
        self._fail(why if exc is None else f"{why}: {exc}")

    def _fail(self, reason: str) -> None:
        first = self.failed is None
        if first:
            self.failed = reason
            if not self._closing:
                log.error("writer process: %s", reason)
        if not self._ready.done():
            self._ready.set_exception(StoreError(reason))
        pending, self._pending = self._pending, {}
        self._unsent, self._sent, self._sent_at = [], {}, None
        self._went(list(self._on_sent))
        for future in pending.values():
            if not future.done():
                future.set_exception(StoreError(self.failed or reason))
        if first and not self._closing and self.on_failure is not None:
            self.on_failure(reason)


# --- the process ----------------------------------------------------------------------------


def _commit(
    conn: Any, group: list[Any], path: Path, identity: tuple[int, int] | None
) -> tuple[str, str] | None:
    """Stores ``group`` (sends of the loop: their batches, then their shipments' rows) in one
    transaction. None when it committed; else ``("busy", why)`` when another process held
    the database's lock (nothing begun), ``("failed", why)`` otherwise (nothing stored)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        if is_busy(exc):
            return ("busy", str(exc))
        return ("failed", f"database {path}: cannot begin a transaction: {exc}")
    try:
        rows: dict[str, Sequence[Any]] = {}
        for batches, shipments in group:
            for _, wire in batches:
                scan_batch.write(conn, ScanBatch.from_wire(wire))
            for row in shipments:
                rows[row[0]] = row  # a later send's value of a shipment replaces an earlier
        for row in rows.values():
            shipment_rows.save_row(conn, row)
        conn.execute("COMMIT")
    except Exception as exc:
        with contextlib.suppress(Exception):
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        return ("failed", f"database {path}: a scan batch was not stored: {exc}")
    if file_identity(path) != identity:
        return (
            "failed",
            f"database {path} was removed or replaced while the gate ran: writes since then"
            " are not in it (restore the file, then restart)",
        )
    return None


def _receive(
    sock: socket.socket, unpacker: Any, queue: deque[Any], unit: list[Any], *, wait: bool
) -> bool:
    """Reads what the socket holds, and queues each whole send of the loop (its batches and
    their shipments' rows) as ``(batches, rows)``; ``unit`` holds the batches of a send read
    in part. Waits for a send if ``wait``; False once the loop's end is closed."""
    sock.setblocking(wait)
    while True:
        try:
            data = sock.recv(1 << 20)
        except BlockingIOError:
            return True
        except ConnectionError:  # the gate ended with answers unread (killed): as closed
            data = b""
        if not data:
            return False
        unpacker.feed(data)
        for message in unpacker:
            if message[0] == "batch":
                unit.append((message[1], message[2]))
            else:
                queue.append((list(unit), message[1]))
                unit.clear()
        if wait and queue:
            sock.setblocking(False)
            wait = False


def main(argv: Sequence[str]) -> int:
    """The process: ``writer_process FD DATABASE [LOCK_FD]``."""
    from gate.storage.schema import connect_writer

    # A stop or a hang-up signals the whole group; the gate ends this process itself (EOF,
    # then a kill), so what it was handed is stored or answered first.
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_IGN)
    sock = socket.socket(fileno=int(argv[0]))
    path = Path(argv[1])
    if len(argv) > 2:
        note_writer(int(argv[2]))  # the gate's owner lock, held until this process ends
    try:
        turn = WriteTurn(path)
        with turn:
            conn = connect_writer(path)
    except StoreError as exc:
        sock.sendall(msgpack.packb(["refused", str(exc)]))
        return 1
    identity = file_identity(path)
    sock.sendall(msgpack.packb(["ready", os.getpid()]))
    unpacker = msgpack.Unpacker(raw=False, max_buffer_size=MAX_MESSAGE)
    queue: deque[Any] = deque()
    unit: list[Any] = []
    failed: str | None = None
    open_ = True
    while open_ or queue:
        if open_:
            open_ = _receive(sock, unpacker, queue, unit, wait=not queue)
        if not queue:
            continue
        group = [queue.popleft()]  # one send of the loop: at most MAX_GROUP batches
        ids = [ident for batches, _ in group for ident, _ in batches]
        answer: list[Any] = [ids, failed]
        if failed is None:
            with turn:
                outcome = _commit(conn, group, path, identity)
            if outcome is not None and outcome[0] == "busy":
                answer = ["busy", ids, outcome[1]]
            elif outcome is not None:
                failed = outcome[1]
                answer = [ids, failed]
        with contextlib.suppress(OSError):
            sock.setblocking(True)
            sock.sendall(msgpack.packb(answer))
    with turn:
        conn.close()
    turn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
