"""The audit journal's checks while the gate runs: the full check the start left for later,
and the verified mark moved on now and then (``gate.storage.journal_checks`` has the essay).

Each check runs in a process of its own (``python -m gate.storage.journal_checks``) on a
read-only connection: never on the event loop, the writer thread or under this interpreter's
lock, so scans go on at full speed while a million records are read on the other core. (Its
snapshot keeps SQLite from starting the WAL over while it reads: the WAL file grows by what
the gate writes in those seconds, and is reused from its start afterwards.)

A check that finds the journal broken latches the gate (``Committer.latch``: every change
refused, an alert, and ``/readyz`` not ready) until a person restores the database and
restarts it. A full check that cannot run, or gives no answer in time (CHECK_SECONDS plus
CHECK_SECONDS_PER_RECORD a record), latches it too: the journal is then not vouched for. A
later check that fails to run only leaves the mark where it was (the next start reads more).

The mark moves every ADVANCE_SECONDS once ADVANCE_RECORDS have followed it, and at a clean
stop: a start after a clean stop reads almost nothing, and one after a kill -9 at full ingest
(10,000 scans/s) about ADVANCE_SECONDS' worth of records, plus the last check's own
seconds: about 60,000 records, a third of a second of checking.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import sys

from gate.errors import StorageBusy, StoreError
from gate.service.commit_step import Committer
from gate.storage import journal_checks
from gate.storage.store import Store

log = logging.getLogger("gate.service.journal_watch")

#: Seconds between moves of the verified mark: a start reads at most this long's records.
ADVANCE_SECONDS = 5.0
#: Records after the mark worth a check of their own (fewer cost a start milliseconds).
ADVANCE_RECORDS = 10_000
#: How long a check may take before it counts as failed: this, plus ...
CHECK_SECONDS = 60.0
#: ... this per record of the journal (about ten times what a record costs a loaded box).
CHECK_SECONDS_PER_RECORD = 50e-6


class JournalWatch:
    """Runs the journal's checks beside the gate (``run`` as a task) and at its stop."""

    def __init__(self, store: Store, committer: Committer) -> None:
        self.store = store
        self.committer = committer
        #: Why the journal failed a check while running, or None.
        self.broken: str | None = None
        #: Set once the check owed by the start (if any) has ended, whatever its outcome.
        self.settled = asyncio.Event()
        self._proc: asyncio.subprocess.Process | None = None

    async def run(self) -> None:
        """The full check owed by the start (if the start read only the records after the
        mark), then a move of the mark every ADVANCE_SECONDS until cancelled or broken."""
        try:
            if self.store.prefix_unchecked:
                await self.check(full=True)
        except Exception as exc:  # fail closed: a journal not checked is not vouched for
            log.exception("the audit journal's full check failed")
            self._broken(f"the audit journal could not be checked after the start: {exc}")
        finally:
            self.settled.set()
        while self.broken is None:
            await asyncio.sleep(ADVANCE_SECONDS)
            try:
                await self.advance()
            except Exception:  # the mark stays; the next round tries again
                log.exception("moving the audit journal's verified mark")

    async def advance(self) -> None:
        """Checks the records after the mark and moves it, if there are ADVANCE_RECORDS."""
        try:
            behind = await self.store.read(journal_checks.unmarked)
        except (StoreError, sqlite3.Error) as exc:
            log.warning("could not read the audit journal's head: %s", exc)
            return
        if behind >= ADVANCE_RECORDS:
            await self.check(full=False)

    async def check(self, *, full: bool) -> bool:
        """One check (every record, or those after the mark) in a process of its own; moves
        the mark to the head it verified. Returns whether the journal verified."""
        try:
            checked = await self._run_check(full)
        except _CheckFailed as exc:
            if full:
                self._broken(f"the audit journal could not be checked after the start: {exc}")
            else:
                log.warning("could not check the audit journal's newest records: %s", exc)
            return False
        if checked.problem is not None:
            self._broken(checked.problem)
            return False
        if checked.head is not None:
            head = checked.head
            with contextlib.suppress(StoreError, StorageBusy, sqlite3.Error):
                await self.store.write(lambda conn: journal_checks.write_mark(conn, head))
        if full:
            log.info("audit journal verified in full after the start")
        return True

    async def _run_check(self, full: bool) -> journal_checks.Checked:
        """Raises _CheckFailed when the check could not run or gave no answer in time."""
        try:
            records = await self.store.read(_records)
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "gate.storage.journal_checks",
                "--full" if full else "--after-mark",
                str(self.store.path.resolve()),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except (OSError, StoreError, sqlite3.Error) as exc:
            raise _CheckFailed(str(exc)) from exc
        # Generous (several times the measured few microseconds a record), yet bounded: a
        # check that never answers must not leave the journal unchecked for good.
        limit = CHECK_SECONDS + records * CHECK_SECONDS_PER_RECORD
        self._proc = proc
        try:
            async with asyncio.timeout(limit):
                out, err = await proc.communicate()
        except BaseException as exc:  # cancelled, or no answer in time: the check ends
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            if isinstance(exc, TimeoutError):
                raise _CheckFailed(f"no answer within {limit:.0f} s") from exc
            raise
        finally:
            self._proc = None
        try:
            answer = json.loads(out.decode("utf-8", "replace").strip().splitlines()[-1])
            if "error" in answer:
                raise _CheckFailed(str(answer["error"]))
            head = answer["head"]
            return journal_checks.Checked(
                answer["problem"],
                None if head is None else (int(head[0]), str(head[1])),
                bool(answer["partial"]),
            )
        except (ValueError, LookupError, TypeError) as exc:
            tail = err.decode("utf-8", "replace").strip()[-500:]
            raise _CheckFailed(f"the check exited {proc.returncode}: {tail or exc}") from exc

    async def stop(self) -> None:
        """At a clean stop, before the store closes: ends a check still running, and moves
        the mark over the records added since the last move (if the journal is not broken and
        the start's full check finished), so the next start reads almost nothing."""
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
            return
        if self.broken is None and self.settled.is_set() and not self.store.closed:
            await self.advance()

    def _broken(self, problem: str) -> None:
        self.broken = problem
        self.committer.latch(f"audit journal broken: {problem}")


def _records(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(seq), 0) FROM audit").fetchone()[0])


class _CheckFailed(Exception):
    """The check could not run (the file unreadable, the process failed)."""
