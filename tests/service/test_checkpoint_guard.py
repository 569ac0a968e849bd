"""A journal checkpoint vouches for the journal it covers: none is taken before the start's full
check has passed, and none is taken or delivered once the gate has latched (a penetration
test found a checkpoint signed at start over a journal the full check then found tampered, and
sent on after the latch)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate.links.checkpoint_sender import CheckpointSender
from gate.service.journal_watch import JournalWatch
from gate.web import app_keys
from tests.service.harness import Gate, Gates, gtin_with, until
from tests.store.test_checkpoints import Office
from tests.store.test_journal_checks import tamper


@pytest.fixture
async def office() -> AsyncIterator[Office]:
    o = Office()
    await o.start()
    yield o
    assert o.runner is not None
    await o.runner.cleanup()


def sender_for(gate: Gate, office: Office, watch: JournalWatch) -> CheckpointSender:
    docks = gate.app[app_keys.DOCKS]
    sender = CheckpointSender(
        gate.config, docks.store, gate.app[app_keys.EVENTS], docks.committer, watch, docks.clock
    )
    sender.url = f"http://127.0.0.1:{office.port}/journal-checkpoints"
    return sender


def checkpoint_rows(database: Path) -> list[tuple[str, str | None]]:
    conn = sqlite3.connect(database)
    try:
        return [
            (str(r[0]), r[1])
            for r in conn.execute("SELECT checkpoint_id, delivered_at FROM journal_checkpoints")
        ]
    finally:
        conn.close()


async def stopped(task: asyncio.Task[None]) -> None:
    task.cancel()  # nothing when it ended on its own
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_no_checkpoint_over_a_journal_tampered_in_its_verified_prefix(
    gates: Gates, demo_config: Path, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit in the verified prefix passes the start's quick check; the sender, started
    with the gate, neither takes nor sends a checkpoint: the full check latches the gate
    first, and the sender then stops for good."""
    from gate.service import journal_watch

    monkeypatch.setattr(journal_watch, "ADVANCE_RECORDS", 1)
    gate = await gates.start()
    await gate.create()
    await gate.scan(gtin_with(demo_config, ""))
    await gates.stop(gate)  # the stop moves the mark to the head
    database = gate.config.database
    tamper(database, "UPDATE audit SET data = '{\"edited\":true}' WHERE seq = 2")

    gate = await gates.start()
    watch = gate.app[app_keys.JOURNAL_WATCH]
    sender = sender_for(gate, office, watch)
    task = asyncio.create_task(sender.run())
    try:
        await until(lambda: watch.broken, "the full check to find the edit")
        await until(lambda: task.done() or office.received, "the sender to stop")
        assert [] == checkpoint_rows(database)
        assert [] == office.received
        assert task.done()
    finally:
        await stopped(task)


async def test_no_checkpoint_before_the_full_check_has_passed(gates: Gates, office: Office) -> None:
    """Until the start's full check has ended the sender waits; a check that then fails
    leaves no checkpoint taken."""
    gate = await gates.start()
    await gate.create()  # the journal grew
    docks = gate.app[app_keys.DOCKS]
    watch = JournalWatch(docks.store, docks.committer)  # its full check still owed
    sender = sender_for(gate, office, watch)
    task = asyncio.create_task(sender.run())
    try:
        # The sender's first round is due at once: it must be waiting, not taking.
        database = gate.config.database
        await until(
            lambda: checkpoint_rows(database) or getattr(sender, "waiting", False),
            "the sender's first round",
        )
        watch._broken("found broken by the test")
        watch.settled.set()
        await until(lambda: task.done() or office.received, "the sender to stop")
        assert [] == checkpoint_rows(database)
        assert ([], True) == (office.received, task.done())
    finally:
        await stopped(task)


async def test_a_checkpoint_taken_before_a_latch_is_not_delivered_after_it(
    gates: Gates, office: Office
) -> None:
    """A checkpoint taken on a healthy gate whose delivery failed stays undelivered once the
    gate latches, though the office would now take it."""
    gate = await gates.start()
    await gate.create()
    watch = gate.app[app_keys.JOURNAL_WATCH]
    office.answers = [503]
    sender = sender_for(gate, office, watch)
    task = asyncio.create_task(sender.run())
    try:
        await until(lambda: sender.last_error, "the first delivery to fail")
        rows = checkpoint_rows(gate.config.database)
        assert 1 == len(rows) and rows[0][1] is None, rows
        gate.app[app_keys.DOCKS].committer.latch("storage failed: the test")
        await until(lambda: task.done() or len(office.received) > 1, "the sender to stop")
        assert 1 == len(office.received)
        assert rows == checkpoint_rows(gate.config.database)
        assert task.done()
    finally:
        await stopped(task)
