"""The store: one writer thread, group commit, answers only after COMMIT, versioned schema."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gate.errors import SchemaTooNew, StoreError
from gate.storage import journal
from gate.storage.store import MIGRATIONS, SCHEMA_VERSION, Store, connect_readonly

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "gate.db")
    yield opened
    await opened.close()


def put(key: str, value: str = "v") -> Any:
    """A write function that inserts one meta row."""

    def fn(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
        return key

    return fn


def fresh_keys(path: Path) -> set[str]:
    """The meta keys a new, separate read-only connection sees."""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT key FROM meta")}
    finally:
        conn.close()


async def hold_writer(store: Store) -> tuple[threading.Event, Awaitable[None]]:
    """Occupies the writer thread with a write that waits for the returned event, so that
    requests submitted meanwhile queue up behind it."""
    entered = threading.Event()
    release = threading.Event()

    def block(conn: sqlite3.Connection) -> None:
        entered.set()
        release.wait(10)

    blocker = asyncio.ensure_future(store.write(block))
    assert await asyncio.to_thread(entered.wait, 10)
    return release, blocker


async def submit_queued(store: Store, fns: list[Any]) -> list[asyncio.Future[Any]]:
    """Submits each write as its own task while the writer is held; returns their futures."""
    tasks: list[asyncio.Future[Any]] = [asyncio.ensure_future(store.write(fn)) for fn in fns]
    await asyncio.sleep(0)  # each task runs up to its await: the request is queued
    return tasks


async def test_pragmas_are_set(store: Store) -> None:
    """The writer connection runs in WAL mode with synchronous=FULL, foreign keys, a busy
    timeout and a 64 MiB page cache."""

    def pragmas(conn: sqlite3.Connection) -> dict[str, Any]:
        names = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "mmap_size")
        names += ("cache_size",)
        return {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in names}

    assert {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "mmap_size": 0,
        "cache_size": -65536,
    } == await store.read(pragmas)


async def test_open_creates_the_parent_folder(tmp_path: Path) -> None:
    """Opening a database in a folder that does not exist yet creates the folder."""
    path = tmp_path / "var" / "deeper" / "gate.db"
    async with await Store.open(path) as store:
        assert path == store.path
        await store.write(put("k"))
    assert path.is_file()


async def test_queued_writes_commit_in_one_transaction(store: Store) -> None:
    """Writes that queue up while the writer is busy are committed together, once."""
    release, blocker = await hold_writer(store)
    tasks = await submit_queued(store, [put(f"k{i}") for i in range(100)])
    release.set()
    await blocker
    assert [f"k{i}" for i in range(100)] == await asyncio.gather(*tasks)
    assert 1 == store.stats.commits
    assert 101 == store.stats.writes
    assert 101 == store.stats.largest_group


async def test_concurrent_writes_are_grouped_and_all_land(store: Store) -> None:
    """A thousand writes from a hundred concurrent tasks need fewer commits than writes and
    every one of them is stored."""

    async def writer(task: int) -> None:
        for i in range(10):
            await store.write(put(f"t{task}-{i}"))

    await asyncio.gather(*(writer(t) for t in range(100)))
    assert 1000 == store.stats.writes
    assert store.stats.commits < store.stats.writes
    expected = {f"t{t}-{i}" for t in range(100) for i in range(10)}
    assert expected == fresh_keys(store.path)


async def test_group_size_is_bounded(tmp_path: Path) -> None:
    """No transaction carries more than max_group requests."""
    async with await Store.open(tmp_path / "gate.db", max_group=10) as store:
        release, blocker = await hold_writer(store)
        tasks = await submit_queued(store, [put(f"k{i}") for i in range(45)])
        release.set()
        await blocker
        await asyncio.gather(*tasks)
        assert 10 == store.stats.largest_group
        assert 5 == store.stats.commits


async def test_max_delay_lets_a_group_wait_for_more_writes(tmp_path: Path) -> None:
    """With max_delay, a write arriving shortly after another joins its transaction."""
    async with await Store.open(tmp_path / "gate.db", max_delay=0.5) as store:
        first = asyncio.ensure_future(store.write(put("first")))
        await asyncio.sleep(0.05)
        second = asyncio.ensure_future(store.write(put("second")))
        assert ["first", "second"] == await asyncio.gather(first, second)
        assert (1, 2) == (store.stats.commits, store.stats.writes)


async def test_a_failing_request_rolls_back_only_its_own_changes(store: Store) -> None:
    """In a group, a request that raises loses its own changes and gets its exception; the
    requests before and after it commit."""

    class Boom(Exception):
        pass

    def half_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('failing', 'v')")
        raise Boom("no")

    def overdraw(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO licences VALUES ('L1', '{}', -1, 'now')")

    release, blocker = await hold_writer(store)
    tasks = await submit_queued(store, [put("before"), half_then_fail, overdraw, put("after")])
    release.set()
    await blocker
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert "before" == results[0]
    assert isinstance(results[1], Boom)
    assert isinstance(results[2], sqlite3.IntegrityError)
    assert "after" == results[3]
    assert 1 == store.stats.commits
    assert 2 == store.stats.failed_writes
    assert {"before", "after"} == fresh_keys(store.path)
    assert 0 == await store.read(lambda c: c.execute("SELECT count(*) FROM licences").fetchone()[0])


async def test_a_failed_commit_fails_every_request_of_its_group(store: Store) -> None:
    """When COMMIT fails (here: a deferred foreign key), every request of the group gets
    StoreError, none is stored, and the store keeps working."""

    def schema(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE parent (id TEXT PRIMARY KEY)")
        conn.execute(
            "CREATE TABLE child (parent TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)"
        )

    await store.write(schema)

    def orphan(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO child VALUES ('nobody')")
        return "orphan"

    release, blocker = await hold_writer(store)
    tasks = await submit_queued(store, [put("a"), orphan, put("b")])
    release.set()
    with pytest.raises(StoreError, match="commit failed"):
        await blocker
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, StoreError) for r in results), results
    assert 1 == store.stats.failed_commits
    assert set() == fresh_keys(store.path)
    assert "c" == await store.write(put("c"))
    assert {"c"} == fresh_keys(store.path)


async def test_an_answer_comes_only_after_its_commit(store: Store) -> None:
    """At the moment a write's await returns, a fresh, separate connection sees its effect."""

    async def writer(task: int) -> None:
        for i in range(5):
            key = await store.write(put(f"t{task}-{i}"))
            assert key in fresh_keys(store.path)

    await asyncio.gather(*(writer(t) for t in range(20)))


async def test_reads_see_the_writes_submitted_before_them(store: Store) -> None:
    """A read submitted right after a write (without awaiting it first) sees that write."""
    write = asyncio.ensure_future(store.write(put("k", "written")))
    await asyncio.sleep(0)  # the write task runs up to its await: its request is queued
    value = await store.read(
        lambda c: c.execute("SELECT value FROM meta WHERE key = 'k'").fetchone()
    )
    assert ("written",) == value
    assert "k" == await write


async def test_a_write_function_may_not_end_the_transaction(store: Store) -> None:
    """A write function that COMMITs itself gets StoreError, and the store keeps working."""

    def commits(conn: sqlite3.Connection) -> None:
        conn.execute("COMMIT")

    with pytest.raises(StoreError, match="ended the transaction"):
        await store.write(commits)
    assert "k" == await store.write(put("k"))


async def test_writable_reports_a_working_database(store: Store) -> None:
    """writable() is True on an open store, False once it is closed."""
    assert await store.writable()
    await store.close()
    assert not await store.writable()


async def test_a_closed_store_refuses_requests(tmp_path: Path) -> None:
    """After close, write and read raise StoreError; closing twice is fine."""
    store = await Store.open(tmp_path / "gate.db")
    await store.close()
    await store.close()
    assert store.closed
    with pytest.raises(StoreError, match="closed"):
        await store.write(put("k"))
    with pytest.raises(StoreError, match="closed"):
        await store.read(lambda c: None)


async def test_close_finishes_the_writes_submitted_before_it(tmp_path: Path) -> None:
    """Writes submitted before close still commit and are answered."""
    store = await Store.open(tmp_path / "gate.db")
    tasks = [asyncio.ensure_future(store.write(put(f"k{i}"))) for i in range(50)]
    await asyncio.sleep(0)
    await store.close()
    assert 50 == len(await asyncio.gather(*tasks))
    assert {f"k{i}" for i in range(50)} == fresh_keys(tmp_path / "gate.db")


async def test_migrations_apply_once(tmp_path: Path) -> None:
    """The schema is created at the first open and recorded; reopening applies nothing."""
    path = tmp_path / "gate.db"
    query = "SELECT version, applied_at FROM schema_migrations ORDER BY version"
    async with await Store.open(path) as store:
        first = await store.read(lambda c: c.execute(query).fetchall())
    async with await Store.open(path) as store:
        second = await store.read(lambda c: c.execute(query).fetchall())
        objects = await store.read(
            lambda c: c.execute(
                "SELECT type, name FROM sqlite_schema WHERE type IN ('table', 'trigger')"
            ).fetchall()
        )
    assert list(range(1, SCHEMA_VERSION + 1)) == [v for v, _ in first]
    assert SCHEMA_VERSION == len(MIGRATIONS)
    assert first == second
    tables = {name for kind, name in objects if kind == "table"}
    triggers = {name for kind, name in objects if kind == "trigger"}
    expected_tables = {"shipments", "scans", "audit", "outbox", "webhook_ids", "licences", "meta"}
    expected_tables.add("journal_checkpoints")
    expected_tables.add("clearances")
    expected_tables.add("serials")
    expected_tables.add("epcis_outbox")
    expected_tables.add("door_holds")
    expected_tables.add("mqtt_queue")
    expected_tables.add("page_alerts")
    assert expected_tables | {"schema_migrations"} == tables
    assert {"audit_no_update", "audit_no_delete", "audit_append_only"} == triggers


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    """A database whose schema version is above the code's is refused by open and by the
    read-only connection, naming both versions."""
    path = tmp_path / "gate.db"
    async with await Store.open(path) as store:
        future = SCHEMA_VERSION + 1
        await store.write(
            lambda c: c.execute("INSERT INTO schema_migrations VALUES (?, 'later')", (future,))
        )
    with pytest.raises(SchemaTooNew, match=f"version {future}, newer than this gate knows"):
        await Store.open(path)
    with pytest.raises(SchemaTooNew):
        connect_readonly(path)


async def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    """Opening a file that is not SQLite raises StoreError naming it."""
    path = tmp_path / "gate.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="file is not a database"):
        await Store.open(path)


async def test_the_audit_table_is_append_only(store: Store) -> None:
    """The database itself refuses UPDATE, DELETE and INSERT OR REPLACE on audit records."""
    ts = datetime(2024, 5, 1, tzinfo=UTC)
    await store.write(
        lambda c: journal.append(c, kind="k", actor="a", subject=None, data={}, ts=ts)
    )
    attempts = [
        "UPDATE audit SET data = '{\"x\":1}' WHERE seq = 1",
        "DELETE FROM audit WHERE seq = 1",
        "INSERT OR REPLACE INTO audit VALUES (1, 't', 'k', 'a', NULL, '{}', 'p', 'h')",
        "INSERT INTO audit VALUES (5, 't', 'k', 'a', NULL, '{}', 'p', 'h')",
    ]
    for sql in attempts:

        def attempt(conn: sqlite3.Connection, sql: str = sql) -> None:
            conn.execute(sql)

        with pytest.raises(sqlite3.IntegrityError, match="audit journal is append-only"):
            await store.write(attempt)
    assert 1 == await store.read(lambda c: c.execute("SELECT count(*) FROM audit").fetchone()[0])


async def test_the_readonly_connection_cannot_write(store: Store) -> None:
    """connect_readonly gives a connection that refuses writes, beside the running store."""
    await store.write(put("k"))
    conn = connect_readonly(store.path)
    try:
        assert [("k",)] == conn.execute("SELECT key FROM meta").fetchall()
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("INSERT INTO meta VALUES ('x', 'y')")
    finally:
        conn.close()


def test_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    """connect_readonly on a path with no file raises StoreError saying so, creating nothing."""
    path = tmp_path / "var" / "gate.db"
    with pytest.raises(StoreError, match="does not exist"):
        connect_readonly(path)
    assert not path.parent.exists()


CHILD = """
import asyncio, sys
from datetime import UTC, datetime
from gate.storage import journal
from gate.storage.store import Store

async def worker(store, wid):
    i = 0
    while True:
        key = f"{wid}-{i}"
        def fn(conn, key=key):
            conn.execute("INSERT INTO meta (key, value) VALUES (?, 'acked')", (key,))
            journal.append(conn, kind="test", actor="crash", subject=key, data={"key": key},
                           ts=datetime.now(UTC))
        await store.write(fn)
        print(key, flush=True)
        i += 1

async def main():
    store = await Store.open(sys.argv[1])
    await asyncio.gather(*(worker(store, w) for w in range(8)))

asyncio.run(main())
"""


@pytest.mark.slow
async def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    """Every write a process saw acknowledged is in the database after that process is
    killed with SIGKILL, and the journal still verifies."""
    path = tmp_path / "gate.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    acked: list[str] = []
    try:
        assert proc.stdout is not None
        while len(acked) < 400:
            line = proc.stdout.readline()
            assert line, f"child ended early: {proc.stderr.read() if proc.stderr else ''}"
            acked.append(line.strip())
        os.kill(proc.pid, signal.SIGKILL)
        # Lines already printed were acknowledged too: read them all.
        acked.extend(line.strip() for line in proc.stdout.read().splitlines() if line.strip())
        proc.wait(10)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert -signal.SIGKILL == proc.returncode
    async with await Store.open(path) as store:
        stored = await store.read(
            lambda c: {row[0] for row in c.execute("SELECT key FROM meta WHERE value = 'acked'")}
        )
        result = await store.read(journal.verify)
    assert set() == set(acked) - stored
    assert result.ok, result
    assert len(stored) == result.records


async def test_once_functions_run_once_per_group_last_wins(store: Store) -> None:
    """Of a group's requests naming the same `once` key, only the last succeeded one's
    function runs, before the COMMIT; a failed request's function does not run."""
    release, blocker = await hold_writer(store)

    def save(value: str) -> Any:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('saved', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = value || ',' || excluded.value",
                (value,),
            )

        return run

    def fail(conn: sqlite3.Connection) -> None:
        raise RuntimeError("refused")

    tasks = [
        asyncio.ensure_future(store.write(put("a"), once={"ship": save("v1")})),
        asyncio.ensure_future(store.write(put("b"), once={"ship": save("v2")})),
        asyncio.ensure_future(store.write(fail, once={"ship": save("v3")})),
    ]
    await asyncio.sleep(0)
    release.set()
    await blocker
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert ["a", "b"] == results[:2]
    assert isinstance(results[2], RuntimeError)
    conn = connect_readonly(store.path)
    assert ("v2",) == conn.execute("SELECT value FROM meta WHERE key = 'saved'").fetchone()
    conn.close()


async def test_failing_once_function_fails_the_whole_group(store: Store) -> None:
    """A `once` function that raises rolls the whole group back; every request gets an
    error and nothing of the group is stored."""

    def boom(conn: sqlite3.Connection) -> None:
        raise RuntimeError("disk said no")

    with pytest.raises(StoreError, match="final step failed"):
        await store.write(put("lost"), once={"k": boom})
    assert "lost" not in fresh_keys(store.path)
    await store.write(put("after"))
    assert "after" in fresh_keys(store.path)
