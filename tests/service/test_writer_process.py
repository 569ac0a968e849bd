"""The scan batches' writer process (``GATE_WRITER=process``, gate.storage.writer_process):
the same answers and the same stored records as the store's thread, in the order decided
beside the thread's own writes, and the gate held when the process fails or dies."""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import os
import shutil
import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from gate.config.settings import load_config
from gate.errors import ConfigError
from gate.storage.schema import connect_readonly
from gate.storage.writer_process import WriterProcess
from gate.web import app_keys
from tests.service.harness import (
    SCANNER_TOKEN,
    Gate,
    Gates,
    ManualClock,
    gtin_with,
    until,
)
from tests.service.test_process import audit_verify

#: Where the two gates of the comparison start their clocks.
START = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def writer_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gates started in this test run their scan batches' writes in a writer process."""
    monkeypatch.setenv("GATE_WRITER", "process")


def reads(config: Path, batch: int, serials: int = 3, plain: int = 2) -> list[dict[str, str]]:
    """A batch of ``serials`` serialised gyros (controlled, 9.A.4) and ``plain`` reads of an
    unlisted GTIN at door D1, its scan ids and serials numbered by ``batch``."""
    gyro = gtin_with(config, "9.A.4")
    other = gtin_with(config, "", 0)
    found = [
        {
            "scan_id": f"b{batch}-g{i}",
            "reader": "r1",
            "door": "D1",
            "code": f"]C101{gyro}21S{batch}x{i}",
        }
        for i in range(serials)
    ]
    found += [
        {"scan_id": f"b{batch}-p{i}", "reader": "r1", "door": "D1", "code": other}
        for i in range(plain)
    ]
    return found


async def post(g: Gate, scans: list[dict[str, str]]) -> tuple[int, Any]:
    return await g.call("POST", "/api/v1/scans", {"scans": scans}, token=SCANNER_TOKEN)


async def writing_gate(gates: Gates, monkeypatch: pytest.MonkeyPatch) -> tuple[Gate, WriterProcess]:
    """A gate whose scan batches go to a writer process, with shipment S1 open at D1; the
    gate and its writer process."""
    monkeypatch.setenv("GATE_WRITER", "process")
    g = await gates.start()
    await g.create("S1", "D1")
    writer = g.app[app_keys.DOCKS].committer.writer
    assert writer is not None
    return g, writer


def stored(database: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    conn = connect_readonly(database)
    try:
        return list(conn.execute(sql, args).fetchall())
    finally:
        conn.close()


async def test_scan_batches_are_stored_by_the_process_and_read_back_after_a_restart(
    writer_process: None, gates: Gates, demo_config: Path
) -> None:
    """Batches go to the writer process, not the store's thread; their scans, serials and
    journal records are in the database, a seal after them (on the thread) is the state
    stored, a restart reads it all back and the journal verifies."""
    g = await gates.start()
    docks = g.app[app_keys.DOCKS]
    writer = docks.committer.writer
    assert writer is not None
    await g.create("S1", "D1")
    thread_writes = docks.store.stats.writes
    for batch in range(2):
        status, body = await post(g, reads(demo_config, batch))
        assert 200 == status, body
        assert ["accepted"] * 5 == [r["status"] for r in body["results"]]
    assert thread_writes == docks.store.stats.writes
    assert 2 == writer.writes

    status, doc = await g.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, doc["state"])
    database = g.config.database
    assert [(10,)] == stored(database, "SELECT count(*) FROM scans")
    assert [(6,)] == stored(database, "SELECT count(*) FROM serials WHERE shipment = 'S1'")
    assert [(10,)] == stored(database, "SELECT count(*) FROM audit WHERE kind = 'scan'")
    assert [("held",)] == stored(database, "SELECT state FROM shipments WHERE id = 'S1'")

    await gates.stop(g)
    again = await gates.start()
    status, doc = await again.call("GET", "/api/v1/shipments/S1")
    assert (200, "held") == (status, doc["state"])
    assert [4, 6] == sorted(line["quantity"] for line in doc["lines"])
    gyro = gtin_with(demo_config, "9.A.4")
    assert 6 == len(await again.serials("S1", gyro))
    status, body = await post(again, reads(demo_config, 0)[:1])
    assert (200, "duplicate") == (status, body["results"][0]["status"])
    await gates.stop(again)
    verified = audit_verify(demo_config)
    assert 0 == verified.returncode, verified.stdout + verified.stderr


async def run_sequence(g: Gate, config: Path) -> list[Any]:
    """Scans, a removal, more scans and a seal, on the gate's hand-moved clock; the
    answers."""
    assert g.clock is not None
    answers: list[Any] = [await g.create("S1", "D1")]
    for batch in range(3):
        g.clock.advance(1)
        answers.append((await post(g, reads(config, batch)))[1])
    other = gtin_with(config, "", 0)
    answers.append((await g.call("POST", f"/api/v1/shipments/S1/lines/{other}/remove"))[1])
    g.clock.advance(1)
    answers.append((await post(g, reads(config, 9, serials=1, plain=1)))[1])
    answers.append((await g.call("POST", "/api/v1/shipments/S1/seal"))[1])
    return answers


async def test_either_writer_gives_the_same_answers_and_stores_the_same_records(
    gates: Gates, demo_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same reads on the same clock, once written on the store's thread and once by the
    writer process: the same answers, the same stored scans, serials, shipment document and
    scan records in the journal."""
    second = tmp_path / "second"
    shutil.copytree(demo_config.parent, second / "configs")
    results = []
    for writer, config in (("thread", demo_config), ("process", second / "configs" / "gate.toml")):
        monkeypatch.setenv("GATE_WRITER", writer)
        g = await Gates(config).start(clock=ManualClock(START))
        try:
            assert (writer == "process") == (g.app[app_keys.DOCKS].committer.writer is not None)
            answers = await run_sequence(g, config)
        finally:
            await g.session.close()
            await g.runner.cleanup()
        database = load_config(config).database
        results.append(
            (
                answers,
                stored(database, "SELECT reader, scan_id, code, result FROM scans ORDER BY 2"),
                stored(database, "SELECT * FROM serials ORDER BY serial"),
                stored(database, "SELECT state, doc FROM shipments"),
                stored(database, "SELECT data FROM audit WHERE kind = 'scan' ORDER BY seq"),
            )
        )
    thread, process = results
    assert thread[0] == process[0]
    assert 17 == len(thread[1])
    for name, want, got in zip(
        ("scans", "serials", "shipments", "journal"), thread[1:], process[1:], strict=True
    ):
        assert want == got, name


async def test_a_seal_decided_after_scans_is_stored_after_them(
    writer_process: None, gates: Gates, demo_config: Path
) -> None:
    """Batches handed to a writer process that is stopped, then a seal (written on the
    thread): the seal waits for the batches, and the shipment the database holds is the
    sealed one with every scan, as in memory and after a restart."""
    g = await gates.start()
    await g.create("S1", "D1")
    docks = g.app[app_keys.DOCKS]
    writer = docks.committer.writer
    assert writer is not None
    batches = [reads(demo_config, b, serials=4, plain=4) for b in range(6)]
    writer.process.send_signal(signal.SIGSTOP)
    try:
        sent = [asyncio.create_task(docks.scans(batch, "scanner")) for batch in batches]
        await until(lambda: writer.pending == len(batches), "the batches handed over")
        seal = asyncio.create_task(g.call("POST", "/api/v1/shipments/S1/seal"))
        # Either the seal waits for the process (right), or it was written at once (wrong).
        await until(lambda: docks.committer.crossing or seal.done(), "the seal to wait")
    finally:
        writer.process.send_signal(signal.SIGCONT)
    await asyncio.gather(*sent)
    status, doc = await seal
    assert (200, "held") == (status, doc["state"])
    database = g.config.database
    assert [(48,)] == stored(database, "SELECT count(*) FROM scans")
    assert [("held",)] == stored(database, "SELECT state FROM shipments WHERE id = 'S1'")
    status, live = await g.call("GET", "/api/v1/shipments/S1")
    assert 200 == status
    await gates.stop(g)
    again = await gates.start()
    status, reread = await again.call("GET", "/api/v1/shipments/S1")
    assert (200, live["lines"], "held") == (status, reread["lines"], reread["state"])
    assert [24, 24] == sorted(line["quantity"] for line in reread["lines"])


async def test_a_killed_writer_process_holds_the_gate(
    writer_process: None, gates: Gates, demo_config: Path
) -> None:
    """The writer process killed: the next batch is refused with a 503 problem document and
    not stored, the gate takes no change (a seal too) until restarted, and what was
    acknowledged before is stored."""
    g = await gates.start()
    await g.create("S1", "D1")
    status, body = await post(g, reads(demo_config, 0))
    assert 200 == status, body
    writer = g.app[app_keys.DOCKS].committer.writer
    assert writer is not None
    writer.process.send_signal(signal.SIGKILL)
    await until(lambda: writer.failed is not None, "the gate to notice the writer's end")
    status, problem = await post(g, reads(demo_config, 1))
    assert 503 == status, problem
    assert "writer process ended" in problem["detail"]
    status, problem = await g.call("POST", "/api/v1/shipments/S1/seal")
    assert 503 == status, problem
    assert [(5,)] == stored(g.config.database, "SELECT count(*) FROM scans")
    assert [("open",)] == stored(g.config.database, "SELECT state FROM shipments")


async def test_a_batch_the_database_refuses_stores_nothing_of_it_and_latches(
    writer_process: None, gates: Gates, demo_config: Path
) -> None:
    """A batch whose serial the database refuses: answered 503, none of its scans stored
    (not even those before the refused one), the batch after it refused too, and the
    shipment in the database and in memory as before the batch."""
    g = await gates.start()
    await g.create("S1", "D1")
    conn = sqlite3.connect(g.config.database)
    conn.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON serials WHEN NEW.serial = 'S1x2'"
        " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    )
    conn.commit()
    conn.close()
    status, body = await post(g, reads(demo_config, 0))
    assert 200 == status, body
    status, problem = await post(g, reads(demo_config, 1))
    assert 503 == status, problem
    assert "refused by the test" in problem["detail"]
    status, problem = await post(g, reads(demo_config, 2))
    assert 503 == status, problem
    assert [(5,)] == stored(g.config.database, "SELECT count(*) FROM scans")
    status, doc = await g.call("GET", "/api/v1/shipments/S1")
    assert [2, 3] == sorted(line["quantity"] for line in doc["lines"])


def waits_for_a_lock(pid: int, tid: int | None = None) -> bool:
    """Whether the process (or its thread ``tid``) sleeps waiting for a file lock."""
    task = f"/proc/{pid}" + ("" if tid is None else f"/task/{tid}")
    return Path(task, "wchan").read_text().strip() == "locks_lock_inode_wait"


async def test_the_two_writers_take_turns_at_the_database(
    writer_process: None, gates: Gates, demo_config: Path
) -> None:
    """While the write turn (``<database>.write``) is taken, neither the store's thread (a
    new shipment) nor the writer process (a scan batch) begins its transaction: SQLite before
    3.51.3 can corrupt a WAL database two connections write or checkpoint at once. Each
    commits once the turn is let go."""
    g = await gates.start()
    await g.create("S1", "D1")
    docks = g.app[app_keys.DOCKS]
    writer = docks.committer.writer
    assert writer is not None
    turn = os.open(f"{g.config.database}.write", os.O_RDWR)
    try:
        fcntl.flock(turn, fcntl.LOCK_EX)
        create = asyncio.create_task(g.create("S2", "D2"))
        thread = docks.store._thread.native_id
        await until(
            lambda: create.done() or waits_for_a_lock(os.getpid(), thread), "the thread to wait"
        )
        assert not create.done()
        fcntl.flock(turn, fcntl.LOCK_UN)
        await create
        fcntl.flock(turn, fcntl.LOCK_EX)
        scan = asyncio.create_task(post(g, reads(demo_config, 0)))
        await until(
            lambda: scan.done() or waits_for_a_lock(writer.process.pid), "the process to wait"
        )
        assert not scan.done()
        fcntl.flock(turn, fcntl.LOCK_UN)
        status, body = await scan
    finally:
        os.close(turn)
    assert 200 == status, body
    assert [(5,)] == stored(g.config.database, "SELECT count(*) FROM scans")
    assert [(2,)] == stored(g.config.database, "SELECT count(*) FROM shipments")


async def test_gate_writer_names_a_writer(gates: Gates, monkeypatch: pytest.MonkeyPatch) -> None:
    """``GATE_WRITER`` other than thread or process stops the start, naming it."""
    monkeypatch.setenv("GATE_WRITER", "fork")
    with pytest.raises(ConfigError, match="GATE_WRITER: 'fork' is not a writer"):
        await gates.start()
