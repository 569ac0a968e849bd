"""A change's caller resumes one turn of the loop after its write ends.

Under a truck's batches each turn of the loop can take milliseconds; a single scan whose
answer passed through a shielded task, ``wait_for`` and ``gather`` after its commit waited
six turns for it (20-50 ms in the loaded latency row of ``python -m tests.bench service``).
``Committer.begin`` now gives each caller a future of its own, ended in the step that ends
the write. These tests count the loop's turns on a real gate (real writer process, real
SQLite file) and hold the rest of the bargain: a caller that goes away cancels nothing.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from gate.errors import InvalidShipment
from gate.service.commit_step import Change
from gate.service.docks import Docks
from gate.web import app_keys
from tests.service.harness import Gate, Gates, until
from tests.service.test_review_slice_failures import loop_reports
from tests.service.test_writer_process import reads, stored, writing_gate


@pytest.fixture
async def written(gates: Gates, monkeypatch: pytest.MonkeyPatch) -> Gate:
    """A gate whose scan batches go to its writer process, shipment S1 open at D1."""
    g, _ = await writing_gate(gates, monkeypatch)
    return g


@asynccontextmanager
async def turns() -> AsyncIterator[Callable[[], int]]:
    """A count of the loop's turns while the block runs: a task that yields once a turn."""
    count = 0

    async def tick() -> None:
        nonlocal count
        while True:
            count += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(tick())
    await asyncio.sleep(0)
    try:
        yield lambda: count
    finally:
        task.cancel()


@contextmanager
def commits_seen(docks: Docks, now: Callable[[], int]) -> Iterator[list[int]]:
    """The turn (``now``) at which each change's commit was taken into memory: the step that
    ends its write (``LiveState.commit``, called there and nowhere else)."""
    seen: list[int] = []
    commit = docks.state.commit

    def noted(*args: Any) -> None:
        seen.append(now())
        commit(*args)

    docks.state.commit = noted  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        del docks.state.commit


async def test_a_scan_batch_is_answered_one_turn_after_its_commit(
    written: Gate, demo_config: Path
) -> None:
    """A single scan's caller resumes in the turn after the step that took its commit."""
    g = written
    docks = g.app[app_keys.DOCKS]
    async with turns() as now:
        with commits_seen(docks, now) as seen:
            answers = await docks.scans(reads(demo_config, 1, serials=1, plain=0), "scanner")
            answered = now()
    assert ["accepted"] == [a["status"] for a in answers]
    assert 1 == len(seen)
    # The commit's step, then the caller's: one turn apart (six before).
    assert answered - seen[0] <= 1, (seen, answered)


async def test_a_batch_of_slices_is_answered_one_turn_after_its_last_commit(
    written: Gate, demo_config: Path
) -> None:
    """A batch of three slices is answered in the turn after the step that took its last
    slice's commit."""
    g = written
    docks = g.app[app_keys.DOCKS]
    batch = reads(demo_config, 2, serials=60, plain=0)  # three slices of 25 at most
    async with turns() as now:
        with commits_seen(docks, now) as seen:
            answers = await docks.scans(batch, "scanner")
            answered = now()
    assert 60 == sum(a["status"] == "accepted" for a in answers)
    assert len(seen) >= 3
    assert answered - max(seen) <= 1, (seen, answered)


async def test_a_caller_that_goes_away_leaves_its_write_to_end(
    written: Gate, demo_config: Path
) -> None:
    """Cancelled while its batch is written, the caller's wait ends; the write does not:
    the scans are stored and in memory, and their retry answers duplicate."""
    g = written
    docks = g.app[app_keys.DOCKS]
    batch = reads(demo_config, 3, serials=2, plain=1)
    waiting = asyncio.create_task(docks.scans(batch, "scanner"))
    while not docks.scan_path._pending:  # decided and handed over, not yet stored
        await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    retried = await docks.scans(batch, "scanner")
    assert ["duplicate"] * 3 == [a["status"] for a in retried]
    ids = {row[0] for row in stored(g.config.database, "SELECT scan_id FROM scans")}
    assert {r["scan_id"] for r in batch} <= ids


async def test_a_failed_write_reaches_its_caller_and_nothing_else(
    gates: Gates,
) -> None:
    """The write's error is the caller's (raised once, by ``apply``), memory is untouched,
    and a second caller's change after it is written."""
    g = await gates.start()
    committer = g.app[app_keys.DOCKS].committer

    def refuse(conn: sqlite3.Connection) -> None:
        raise InvalidShipment("refused inside the write")

    with pytest.raises(InvalidShipment, match="refused inside the write"):
        await committer.apply(Change(sql=[refuse]))
    wrote: list[int] = []
    await committer.apply(Change(sql=[lambda conn: wrote.append(1)]))
    assert [1] == wrote


async def test_a_bounded_wait_given_up_by_its_caller_leaves_no_error_unretrieved(
    gates: Gates,
) -> None:
    """A refused request's record (``waited`` on ``begin``'s future) whose caller is cancelled
    before the write fails: the error is taken, not reported by the loop as never retrieved."""
    g = await gates.start()
    committer = g.app[app_keys.DOCKS].committer
    release = threading.Event()

    def refuse(conn: sqlite3.Connection) -> None:
        release.wait(10)
        raise InvalidShipment("refused inside the write")

    with loop_reports() as reported:
        waiting = asyncio.ensure_future(committer.waited(committer.begin(Change(sql=[refuse]))))
        await until(lambda: committer.oldest_write() is not None, "the write in flight")
        waiting.cancel()
        await asyncio.wait([waiting])
        assert waiting.cancelled()
        del waiting
        release.set()
        await until(lambda: not committer._running, "the write's task ended")
        # Another write: the store's thread lets go of the last group's outcomes (the error).
        await committer.apply(Change(sql=[lambda conn: None]))
        gc.collect()
        await asyncio.sleep(0)  # the reports of futures collected are made on the loop
    assert [] == [m for m in reported if "never retrieved" in m]
