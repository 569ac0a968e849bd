"""The record of a reload's new lists is written in the step that swaps them in (attack13):
when that write fails, the old lists are in use again before anything else is decided, the
reload is refused and nothing of the new lists is journaled (decide, write, then publish)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from gate.errors import StorageBusy
from gate.service.commit_step import Change
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.attack.acme_noticed import cleared_then_noticed
from tests.service.harness import Gate


async def test_a_list_record_that_fails_keeps_the_old_lists(gate: Gate, demo_config: Path) -> None:
    """S1 (for Acme) cleared; the notices list now names Acme; the reload's journal write
    fails (the database busy): the old lists stay in use, the reload is refused, no
    ``lists.changed`` is journaled, and S1 is still dispatched on the old lists."""
    screening = gate.app[app_keys.SCREENING]
    await cleared_then_noticed(gate, demo_config)
    before = screening.snapshot
    begin = screening.commit
    assert begin is not None

    def busy(conn: sqlite3.Connection) -> None:
        raise StorageBusy("database is busy")

    def failing(change: Change) -> asyncio.Future[None]:
        change.sql.append(busy)
        return begin(change)

    screening.commit = failing
    assert False is await screening.reload("test")
    screening.commit = begin
    assert before is screening.snapshot
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 200 == status
    conn = connect_readonly(gate.config.database)
    try:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM audit WHERE kind = 'lists.changed'")]
    finally:
        conn.close()
    assert [] == kinds
