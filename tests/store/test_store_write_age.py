"""The age of the store thread's oldest write in flight (``Store.oldest_write``, what the
gate's stall watch reads): a write waiting counts, a long read alone does not."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate.storage.store import Store
from tests.service.harness import until


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "gate.db")
    yield opened
    await opened.close()


async def test_a_long_read_is_no_write_in_flight_but_a_write_behind_it_is(store: Store) -> None:
    """While a read runs on the thread no write is in flight (a search over old shipments
    is no stall); a write queued behind it is, from when it was submitted, until it ends."""
    started, release = threading.Event(), threading.Event()

    def slow_read(conn: sqlite3.Connection) -> int:
        started.set()
        release.wait(10)
        return int(conn.execute("SELECT count(*) FROM meta").fetchone()[0])

    reading = asyncio.create_task(store.read(slow_read))
    await until(started.is_set, "the read running")
    assert store.oldest_write() is None

    def put(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")

    writing = asyncio.create_task(store.write(put))
    age = await until(store.oldest_write, "the write queued behind the read")
    assert 0 <= age < 10
    release.set()
    await asyncio.gather(reading, writing)
    assert store.oldest_write() is None
