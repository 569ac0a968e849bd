"""A write lock held by another process: 503 while it is held, then writes again by itself.

The other process is real: a Python child with its own sqlite3 connection that runs
``BEGIN EXCLUSIVE`` and holds the lock until the test tells it to let go.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gate.errors import StorageBusy, StoreError
from gate.storage import schema
from gate.storage.store import Store
from tests.service.harness import Gate, start_gate, stop_gate

LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
conn.close()
print("released", flush=True)
"""


@contextmanager
def lock_held_by_another_process(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Holds the database's write lock in a child process until the block ends."""
    with subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None and child.stdin is not None
        try:
            assert "locked" == child.stdout.readline().strip()
            yield child
            child.stdin.write("\n")
            child.stdin.flush()
            assert "released" == child.stdout.readline().strip()
        finally:
            child.kill()


@pytest.fixture(autouse=True)
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first write that meets the lock waits this long (5 s in service) before failing."""
    monkeypatch.setattr(schema, "BUSY_TIMEOUT_MS", 300)


def insert(n: int) -> Callable[[sqlite3.Connection], None]:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"k{n}", str(n)))

    return write


def keys(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT key FROM meta WHERE key LIKE 'k%' ORDER BY key").fetchall()
    return [r[0] for r in rows]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    """Polls ``check`` until it holds; fails the test at the deadline."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "did not recover before the deadline"
        await asyncio.sleep(0.05)


async def test_lock_held_by_another_process_answers_busy_then_recovers_without_restart(
    tmp_path: Path,
) -> None:
    """While another process holds BEGIN EXCLUSIVE, writes fail with StorageBusy (a 503, not
    a StoreError) and store nothing; once it lets go the store writes again, no restart."""
    path = tmp_path / "gate.db"
    async with await Store.open(path) as store:
        await store.write(insert(1))
        with lock_held_by_another_process(path):
            with pytest.raises(StorageBusy) as first:
                await store.write(insert(2))
            assert not isinstance(first.value, StoreError)
            assert store.locked_out is not None
            # Later writes are answered at once while the lock is known to be held.
            with pytest.raises(StorageBusy):
                await store.write(insert(3))
            assert False is await store.writable(timeout=2.0)
        # The writer retries the lock on its own: no write is needed to notice the release.
        await eventually(lambda: _clear(store))
        await store.write(insert(4))
        assert ["k1", "k4"] == await store.read(keys)
        assert True is await store.writable()


async def _clear(store: Store) -> bool:
    return store.locked_out is None


@pytest.fixture
async def gate(demo_config: Path) -> AsyncIterator[Gate]:
    g = await start_gate(demo_config)
    yield g
    await stop_gate(g)


async def test_gate_answers_503_under_a_foreign_lock_then_takes_changes_by_itself(
    gate: Gate,
) -> None:
    """A gate whose database another process locks answers 503 (problem document) and is not
    ready; when the lock clears it creates shipments again by itself, with no restart."""
    with lock_held_by_another_process(gate.config.database):
        status, doc = await gate.call(
            "POST",
            "/api/v1/shipments",
            {
                "id": "S-LOCK",
                "door": "D1",
                "destination": "DE",
                "consignee": {"name": "Acme Precision GmbH", "country": "DE"},
            },
        )
        assert 503 == status
        assert 503 == doc["status"]
        ready, _ = await gate.call("GET", "/readyz", token=None)
        assert 503 == ready

    async def created() -> bool:
        status, _ = await gate.call(
            "POST",
            "/api/v1/shipments",
            {
                "id": "S-AFTER",
                "door": "D2",
                "destination": "DE",
                "consignee": {"name": "Acme Precision GmbH", "country": "DE"},
            },
        )
        return status == 201

    await eventually(created)
    status, doc = await gate.call("GET", "/api/v1/shipments/S-LOCK")
    assert 404 == status
    ready, _ = await gate.call("GET", "/readyz", token=None)
    assert 200 == ready
