"""The gate's SQLite database: an answer goes out only after its commit.

Every write the gate acknowledges (a scan result, a decision, an approval, an operator action,
and the audit record of each) must survive a crash the moment the caller sees the answer. Two
rules keep that true, and everything in this module serves them:

1. **One connection, one thread.** The store has exactly one connection, owned by one
   dedicated writer thread (the design of omnilib/aiosqlite). The event loop never touches
   SQLite (but for ``side_reads``: lookups on a read-only connection that never waits); it
   hands functions to the thread and awaits futures. The WAL-reset corruption bug of SQLite
   before 3.51.3 needs two connections writing or checkpointing at once, so no ``mmap_size``,
   and the one other writer (the writer process; ``GATE_WRITER=thread`` has none) takes
   turns with this one: each holds ``owner_lock.WriteTurn`` from its ``BEGIN`` to the end of
   its ``COMMIT`` (and the checkpoint that runs in it) or ``ROLLBACK``.
2. **Never acknowledge before COMMIT returns.** The connection runs in WAL mode with
   ``synchronous=FULL``, so a returned COMMIT is on disk. A write's future is resolved (through
   ``loop.call_soon_threadsafe``) only after the COMMIT of its transaction has returned. If the
   COMMIT fails, every request of that transaction gets the error: none was stored.

Group commit makes that affordable. A COMMIT costs an fsync (milliseconds); a scan costs
microseconds. So the writer thread takes every write request that is waiting (up to
``max_group``), runs them in ONE transaction, each inside its own SAVEPOINT, and commits once.
A request that raises rolls back to its savepoint, so it loses only its own changes and gets
its own exception, while the rest of the group commits. Requests queue up while a COMMIT is
in flight, so the groups grow with the load by themselves; no request waits for a timer.

Writes run in the order they were submitted. Reads run on the same thread between groups, so
they see exactly the committed data and never a half-done group.

Usage (the store is opened asynchronously because the connection is made on its thread)::

    async with await Store.open(config.database) as store:
        seq = await store.write(lambda conn: journal.append(conn, ...).seq)
        rows = await store.read(lambda conn: conn.execute("SELECT ...").fetchall())

The schema and the connections live in ``gate.storage.schema``; one open store per database
(``gate.storage.owner_lock``).

**A lock held by another process is not a failure.** An operator's ``sqlite3`` shell or a backup
tool may hold the write lock for a while. A write that cannot get it (after ``busy_timeout``)
fails with ``StorageBusy`` (an ``Unavailable``: answer 503), nothing of it stored; while the lock
is held, later writes fail at once instead of waiting again, and the writer thread retries the
lock itself with a backoff (``RETRY_INITIAL`` doubling to ``RETRY_MAX`` seconds), with or
without traffic. The first retry that gets the lock ends the episode: writes run as before, with
no restart. ``Store.locked_out`` says why writes are refused meanwhile (None when they are not).

**The journal is verified before the store opens.** ``Store.open`` checks the audit chain on
the writer connection before it takes a request, and that it still holds the newest checkpoint
this database recorded, and refuses to open a database whose journal is broken
(``JournalBroken``): fail closed. A gate that kept running on an altered journal would go on
adding records to a history nobody can vouch for; refusing makes a person look at it (``gate
audit verify`` names the first broken record) and restore the database or move it aside. To
keep a start with millions of records fast, it reads only the records after the last verified
mark and leaves the full re-check of the rest to the seconds after the start
(``gate.storage.journal_checks`` explains the trade; ``prefix_unchecked`` says it is owed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from gate.errors import JournalBroken, StorageBusy, StoreError
from gate.storage import journal_checks, owner_lock, schema
from gate.storage.schema import (
    BUSY_TIMEOUT_MS,
    MIGRATIONS,
    SCHEMA_VERSION,
    connect_readonly,
    connect_writer,
    migrate,
    store_error,
)
from gate.storage.write_requests import Kind, Outcome, StoreStats, WriteRequest, settle

# The schema's names stay importable from here, where callers have always found them.
__all__ = [
    "BUSY_TIMEOUT_MS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Store",
    "StoreStats",
    "connect_readonly",
    "migrate",
]

T = TypeVar("T")
log = logging.getLogger("gate.storage")

#: Seconds between attempts to get a lock another process holds: the first wait, doubling ...
RETRY_INITIAL = 0.05
#: ... up to this. A released lock is noticed within this long.
RETRY_MAX = 2.0
#: Milliseconds a retry waits for the lock while it is known to be held (the first attempt
#: waited BUSY_TIMEOUT_MS already).
RETRY_BUSY_TIMEOUT_MS = 20

#: The most write requests committed together; bounds the latency a group adds.
DEFAULT_MAX_GROUP = 512

_SAVEPOINT = "gate_write_request"


class Store:
    """The gate's SQLite database, reached only through its writer thread.

    Open with ``await Store.open(path)``, close with ``await store.close()`` (or use it as an
    async context manager after opening). Raises StoreError when the database cannot be opened
    or migrated, and SchemaTooNew when it was written by a newer gate.
    """

    def __init__(self, path: Path, *, max_group: int, max_delay: float, verify: bool) -> None:
        """Internal: use ``Store.open``."""
        self._owner: owner_lock.OwnerLock | None = None
        if max_group < 1:
            raise ValueError("max_group must be at least 1")
        self.path = path
        self.stats = StoreStats()
        self._max_group = max_group
        self._max_delay = max_delay
        self._verify = verify
        #: Why writes are refused now (another process holds the lock), or None. Written by
        #: the writer thread only; a plain read elsewhere sees the latest value or the one before.
        self.locked_out: str | None = None
        #: True when the start took the journal up to its verified mark as checked: the full
        #: check is owed (``gate.service.journal_watch`` runs it after the start).
        self.prefix_unchecked = False
        #: Why this store writes no more: its file was removed or replaced while it ran (a
        #: commit into the unlinked file would be lost at the next start). None until then.
        self.lost: str | None = None
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the file opened
        self._retry_delay = RETRY_INITIAL
        self._retry_at = 0.0  # time.monotonic() of the next attempt to get the lock
        self._queue: queue.SimpleQueue[WriteRequest[Any]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closing: WriteRequest[None] | None = None
        # Guards _closing and _stopped against the thread's shutdown: once _stopped is set
        # nothing more enters the queue, so the shutdown drain answers every request.
        self._lock = threading.Lock()
        self._stopped = False
        #: The requests submitted and not answered yet, oldest first, with when each was
        #: submitted (``time.monotonic``); guarded by ``_lock``. Their first is the thread's
        #: oldest job in flight: a thread stuck in one (a disk that hangs its fsync, the write
        #: turn held elsewhere) shows as its growing age.
        self._open: dict[WriteRequest[Any], float] = {}

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        max_group: int = DEFAULT_MAX_GROUP,
        max_delay: float = 0.0,
        verify_journal: bool = True,
    ) -> Store:
        """Opens (creating the file and its parent folder if missing) and migrates the database,
        verifies its audit journal, and starts the writer thread.

        ``max_group`` bounds the write requests committed together. ``max_delay`` (seconds,
        default 0) lets a group wait that long for more requests before committing; with 0 the
        groups form from what queues up during the previous COMMIT, adding no latency.
        ``verify_journal=False`` skips the journal check (for tools that report on a broken
        journal themselves). Raises StoreError, SchemaTooNew or JournalBroken.
        """
        owner = owner_lock.take(Path(path))  # one gate per database: before anything is read
        store = cls(Path(path), max_group=max_group, max_delay=max_delay, verify=verify_journal)
        store._owner = owner
        loop = asyncio.get_running_loop()
        opened: WriteRequest[None] = WriteRequest(Kind.STOP, None, loop)
        store._thread = threading.Thread(
            target=store._run, args=(opened,), name=f"gate-store:{store.path.name}", daemon=True
        )
        store._thread.start()
        try:
            await opened.future
        except BaseException:
            await store.close()
            raise
        return store

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def owner_fd(self) -> int | None:
        """The descriptor of the owner lock this store holds (None once released): a writer
        process holds it too, so no other gate opens the database while that process lives."""
        return None if self._owner is None else self._owner.fd

    @property
    def closed(self) -> bool:
        """True once ``close`` was called; the store takes no more requests."""
        return self._closing is not None

    async def write(
        self,
        fn: Callable[[sqlite3.Connection], T],
        *,
        once: Mapping[Hashable, Callable[[sqlite3.Connection], None]] | None = None,
    ) -> T:
        """Runs ``fn(conn)`` on the writer thread inside a transaction and returns its result
        once that transaction has COMMITTED (and is durable).

        ``once`` maps keys to functions run at the end of the group, before COMMIT: of all
        the succeeded requests of one group that name a key, only the last one's function
        runs (e.g. saving a shipment's latest state once, not once per request). If one of
        them raises, the whole group fails: every request of it gets a StoreError.

        ``fn`` must not BEGIN, COMMIT or ROLLBACK itself (SAVEPOINTs of its own are fine), nor
        keep ``conn`` after it returns. If ``fn`` raises, its changes are rolled back and the
        exception is raised here unchanged; other requests of the same group still commit.
        If the COMMIT fails, raises StoreError and nothing ``fn`` did is stored. A request is
        run even if its awaiting task is cancelled after submitting it.
        """
        return await self._submit(Kind.WRITE, fn, once)

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Runs ``fn(conn)`` on the writer thread outside any transaction, after every write
        submitted before it has finished, and returns its result. ``fn`` must only read."""
        return await self._submit(Kind.READ, fn)

    def oldest_write(self) -> float | None:
        """Seconds since the oldest write the thread has not answered yet was submitted
        (queued or running: behind a long read too), None when there is none."""
        with self._lock:
            first = next(iter(self._open.values()), None)
        return None if first is None else time.monotonic() - first

    async def writable(self, timeout: float = 2.0) -> bool:
        """For readiness checks: True when a small write to ``meta`` commits within
        ``timeout`` seconds, False when it fails or takes longer. Never raises StoreError."""
        stamp = datetime.now(UTC).isoformat(timespec="microseconds")

        def probe(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('writable_checked_at', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (stamp,),
            )

        try:
            await asyncio.wait_for(self.write(probe), timeout)
        except (StoreError, StorageBusy, sqlite3.Error, TimeoutError):
            return False
        return True

    async def close(self) -> None:
        """Finishes every request submitted before it, closes the connection and stops the
        thread. Requests submitted afterwards raise StoreError. Safe to call twice."""
        with self._lock:
            if self._closing is None:
                self._closing = WriteRequest(Kind.STOP, None, asyncio.get_running_loop())
                if self._stopped:
                    self._closing.future.set_result(None)
                else:
                    self._queue.put(self._closing)
            closing = self._closing
        try:
            await asyncio.shield(closing.future)
        finally:
            if closing.future.done() and self._owner is not None:
                self._owner.release()

    async def _submit(
        self,
        kind: Kind,
        fn: Callable[[sqlite3.Connection], T],
        once: Mapping[Hashable, Callable[[sqlite3.Connection], None]] | None = None,
    ) -> T:
        request = WriteRequest(kind, fn, asyncio.get_running_loop(), once)
        with self._lock:
            if self._closing is not None or self._stopped:
                raise StoreError(f"database {self.path} is closed")
            if kind is Kind.WRITE:  # a long read (a search, the journal's check) is no stall
                self._open[request] = time.monotonic()
            self._queue.put(request)
        return await request.future

    def _settle(self, outcomes: list[Outcome]) -> None:
        """Hands outcomes to their futures (``settle``), and takes their requests off the
        ones in flight."""
        with self._lock:
            for request, _, _ in outcomes:
                self._open.pop(request, None)
        settle(outcomes)

    # --- the writer thread ---------------------------------------------------------------------

    def _run(self, opened: WriteRequest[None]) -> None:
        try:
            turn = owner_lock.WriteTurn(self.path)
        except BaseException as exc:
            self._settle([(opened, False, exc)])
            self._shut_down()
            return
        try:
            with turn:
                conn = connect_writer(self.path)
        except BaseException as exc:
            turn.close()
            self._settle([(opened, False, exc)])
            self._shut_down()
            return
        try:
            if self._verify:
                self._check_journal(conn)
        except BaseException as exc:
            with turn, contextlib.suppress(sqlite3.Error):
                conn.close()
            turn.close()
            self._settle([(opened, False, exc)])
            self._shut_down()
            return
        self._identity = _identity(self.path)
        self._settle([(opened, True, None)])
        held: WriteRequest[Any] | None = None
        try:
            while True:
                if held is not None:
                    request = held
                elif self.locked_out is None:
                    request = self._queue.get()
                else:
                    # Locked out: retry the lock on time even when no request comes.
                    try:
                        request = self._queue.get(
                            timeout=max(0.0, self._retry_at - time.monotonic())
                        )
                    except queue.Empty:
                        with turn:
                            self._probe_lock(conn)
                        continue
                held = None
                if request.kind is Kind.WRITE:
                    with turn:
                        held = self._run_group(conn, request)
                elif request.kind is Kind.READ:
                    self._settle([self._run_read(conn, request)])
                else:
                    break
        finally:
            with turn, contextlib.suppress(sqlite3.Error):
                conn.close()  # the last connection to close checkpoints
            turn.close()
            self._shut_down()

    def _check_journal(self, conn: sqlite3.Connection) -> None:
        """Raises JournalBroken when the audit chain does not verify (see the module essay)."""
        try:
            checked = journal_checks.at_start(conn)
        except sqlite3.Error as exc:
            raise store_error(self.path, "cannot read the audit journal", exc) from exc
        if checked.problem is not None:
            raise JournalBroken(str(self.path), checked.problem)
        self.prefix_unchecked = checked.partial

    # --- a lock held by another process ------------------------------------------------------

    def _busy(self) -> StorageBusy:
        # A client's 503 says why, not where: the log names the file.
        return StorageBusy(f"the database is locked by another process: {self.locked_out}")

    def _locked(self, conn: sqlite3.Connection, exc: sqlite3.Error) -> StorageBusy:
        """Another process holds the lock: refuse writes until a retry gets it (backoff)."""
        if self.locked_out is None:
            self.locked_out = str(exc)
            self._retry_delay = RETRY_INITIAL
            log.warning("database %s is locked by another process; retrying", self.path)
            # Retries must not stall the thread for the whole busy timeout each.
            with contextlib.suppress(sqlite3.Error):
                conn.execute(f"PRAGMA busy_timeout={RETRY_BUSY_TIMEOUT_MS}")
        else:
            self._retry_delay = min(RETRY_MAX, self._retry_delay * 2)
        self._retry_at = time.monotonic() + self._retry_delay
        return self._busy()

    def _unlocked(self, conn: sqlite3.Connection) -> None:
        """A retry got the lock: writes run again, with the normal busy timeout."""
        if self.locked_out is None:
            return
        log.warning("database %s is writable again (the other process released it)", self.path)
        self.locked_out = None
        with contextlib.suppress(sqlite3.Error):
            conn.execute(f"PRAGMA busy_timeout={schema.BUSY_TIMEOUT_MS}")

    def _probe_lock(self, conn: sqlite3.Connection) -> None:
        """Tries to take the write lock and lets go at once (no request waiting for it)."""
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if _is_busy(exc):
                self._locked(conn, exc)
                return
        self._unlocked(conn)

    def _shut_down(self) -> None:
        """Ends the thread's service (open failed, or close): refuses new requests, answers
        every request still queued with StoreError, and resolves a pending close."""
        with self._lock:
            self._stopped = True
        closed = StoreError(f"database {self.path} is closed")
        outcomes: list[Outcome] = []
        while True:
            try:
                request = self._queue.get_nowait()
            except queue.Empty:
                break
            if request is not self._closing:
                outcomes.append((request, False, closed))
        if self._closing is not None:
            outcomes.append((self._closing, True, None))
        self._settle(outcomes)

    def _run_read(self, conn: sqlite3.Connection, request: WriteRequest[Any]) -> Outcome:
        assert request.fn is not None
        self.stats.reads += 1
        try:
            value = request.fn(conn)
        except BaseException as exc:
            return (request, False, exc)
        finally:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
        return (request, True, value)

    def _next_write(self, deadline: float) -> WriteRequest[Any] | None:
        """The next queued request, waiting until ``deadline`` at most; None if there is none."""
        try:
            remaining = deadline - time.monotonic()
            if remaining > 0:
                return self._queue.get(timeout=remaining)
            return self._queue.get_nowait()
        except queue.Empty:
            return None

    def _run_group(
        self, conn: sqlite3.Connection, first: WriteRequest[Any]
    ) -> WriteRequest[Any] | None:
        """Runs ``first`` and every write queued behind it (up to ``max_group``) in one
        transaction, commits, then answers them. Returns a read or stop request it dequeued and
        did not run, for the main loop to run next."""
        if self.lost is not None:
            self.stats.failed_writes += 1
            self._settle([(first, False, StoreError(self.lost))])
            return None
        if self.locked_out is not None and time.monotonic() < self._retry_at:
            # Known to be locked and not yet time to retry: answer at once, do not wait again.
            self.stats.failed_writes += 1
            self._settle([(first, False, self._busy())])
            return None
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self.stats.failed_writes += 1
            if _is_busy(exc):
                self._settle([(first, False, self._locked(conn, exc))])
            else:
                error = store_error(self.path, "cannot begin a transaction", exc)
                self._settle([(first, False, error)])
            return None
        self._unlocked(conn)
        done: list[Outcome] = []
        held: WriteRequest[Any] | None = None
        deadline = time.monotonic() + self._max_delay
        request: WriteRequest[Any] | None = first
        finals: dict[Hashable, Callable[[sqlite3.Connection], None]] = {}
        while request is not None:
            outcome = self._run_in_savepoint(conn, request)
            if not conn.in_transaction:
                # SQLite (or a misbehaving fn) ended the whole transaction: nothing of this group
                # is stored. The requests that had succeeded get an error, never an answer.
                self._abandon(done, outcome)
                return None
            done.append(outcome)
            if outcome[1] and request.once:
                finals.update(request.once)  # a later request's function replaces an earlier
            if len(done) >= self._max_group:
                break
            request = self._next_write(deadline)
            if request is not None and request.kind is not Kind.WRITE:
                held, request = request, None
        try:
            for final in finals.values():
                final(conn)
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            error = store_error(self.path, "a group's final step failed, nothing was stored", exc)
            self.stats.failed_commits += 1
            self.stats.failed_writes += len(done)
            self._settle([(req, False, error) for req, _, _ in done])
            return held
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            lost: StoreError | StorageBusy = (
                self._locked(conn, exc)
                if _is_busy(exc)
                else store_error(self.path, "commit failed, nothing of this group was stored", exc)
            )
            self.stats.failed_commits += 1
            self.stats.failed_writes += len(done)
            self._settle([(req, False, lost) for req, _, _ in done])
            return held
        if _identity(self.path) != self._identity:
            # Committed into a file the path no longer names (removed, or another put in its
            # place): nothing of it would be there after a restart, so none of it is answered
            # as stored, and nothing more is written.
            self.lost = (
                f"database {self.path} was removed or replaced while the gate ran: writes"
                " since then are not in it (restore the file, then restart)"
            )
            log.error("%s", self.lost)
            self.stats.failed_commits += 1
            self.stats.failed_writes += len(done)
            self._settle([(req, False, StoreError(self.lost)) for req, _, _ in done])
            return held
        succeeded = sum(1 for _, ok, _ in done if ok)
        self.stats.commits += 1
        self.stats.writes += succeeded
        self.stats.failed_writes += len(done) - succeeded
        self.stats.largest_group = max(self.stats.largest_group, len(done))
        self._settle(done)
        return held

    def _run_in_savepoint(self, conn: sqlite3.Connection, request: WriteRequest[Any]) -> Outcome:
        assert request.fn is not None
        try:
            conn.execute(f"SAVEPOINT {_SAVEPOINT}")
        except sqlite3.Error as exc:
            return (request, False, store_error(self.path, "cannot start a savepoint", exc))
        try:
            value = request.fn(conn)
        except BaseException as exc:
            if conn.in_transaction:
                try:
                    conn.execute(f"ROLLBACK TO {_SAVEPOINT}")
                    conn.execute(f"RELEASE {_SAVEPOINT}")
                except sqlite3.Error:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
            return (request, False, exc)
        if not conn.in_transaction:
            error = StoreError("a write function ended the transaction itself (COMMIT/ROLLBACK)")
            return (request, False, error)
        try:
            conn.execute(f"RELEASE {_SAVEPOINT}")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            return (request, False, store_error(self.path, "cannot release a savepoint", exc))
        return (request, True, value)

    def _abandon(self, done: list[Outcome], last: Outcome) -> None:
        """Answers a group whose transaction SQLite ended before COMMIT: all failed."""
        cause = last[2] if not last[1] else None
        lost = StoreError(f"database {self.path}: the transaction was rolled back ({cause})")
        outcomes: list[Outcome] = [(req, False, lost) for req, _, _ in done]
        outcomes.append(last if not last[1] else (last[0], False, lost))
        self.stats.failed_writes += len(outcomes)
        self._settle(outcomes)


_identity = schema.file_identity
_is_busy = schema.is_busy
