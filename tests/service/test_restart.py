"""A restart that replays nothing: the scan ids memory did not load are asked of the database,
and the journal's old prefix is checked in full after the start, latching the gate if broken.

The gate's start takes only the newest scan ids into memory (``RECENT_AT_START``) and checks
only the journal records after its verified mark (gate.storage.journal_checks); these tests
hold it to the guarantees it had when it loaded and read everything.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gate.errors import JournalBroken
from gate.storage import journal_checks
from gate.storage.store import Store
from gate.web import app_keys
from tests.service.harness import Gates, gtin_with, until
from tests.service.test_scan_id_reuse import lines, post, scan
from tests.store.test_journal_checks import append, tamper


async def test_a_restart_that_loaded_no_ids_still_knows_every_stored_one(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no scan id taken into memory at start, a retry of a scan stored before the
    restart is a duplicate with its first answer, a different scan under its id is refused,
    and nothing counts twice."""
    from gate.service import scan_ids

    monkeypatch.setattr(scan_ids, "RECENT_AT_START", 0)
    gate = await gates.start()
    await gate.create()
    plain, gyro = gtin_with(demo_config, ""), gtin_with(demo_config, "9.A.4")
    _, first = await post(gate, scan("p1", plain, kind="gtin"), scan("p2", plain, kind="gtin"))
    await gates.stop(gate)
    gate = await gates.start()
    path = gate.app[app_keys.DOCKS].scan_path
    assert (0, True) == (len(path.recent), path.ids.forgetting)
    _, answers = await post(
        gate,
        scan("p1", plain, kind="gtin"),
        scan("p2", gyro, kind="gtin"),
        scan("p3", plain, kind="gtin"),
    )
    retried, reused, new = answers
    assert {**first[0], "status": "duplicate", "first_status": "accepted"} == retried
    assert ("rejected", "scan_id") == (reused["status"], reused.get("field")), reused
    assert "accepted" == new["status"]
    assert {plain: 3} == await lines(gate)


def _records(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM audit").fetchone()[0])
    finally:
        conn.close()


async def test_a_tamper_in_the_verified_prefix_latches_the_gate_after_start(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit inside the journal's verified prefix passes the quick check at start; the
    full check after it finds it, and the gate then refuses every change, alerts, and is
    not ready."""
    from gate.service import journal_watch

    monkeypatch.setattr(journal_watch, "ADVANCE_RECORDS", 1)
    gate = await gates.start()
    await gate.create()
    await gate.scan(gtin_with(demo_config, ""))
    await gates.stop(gate)  # the stop moves the mark to the head
    database = gate.config.database
    conn = sqlite3.connect(database)
    marked = journal_checks.read_mark(conn)
    conn.close()
    assert marked is not None
    assert _records(database) == marked[0]
    tamper(database, "UPDATE audit SET data = '{\"edited\":true}' WHERE seq = 2")

    gate = await gates.start()
    watch = gate.app[app_keys.JOURNAL_WATCH]
    await until(lambda: watch.broken, "the full check to find the edit")
    assert "audit journal BROKEN at record 2: hash mismatch" in str(watch.broken)
    status, problem = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert 503 == status, problem
    assert "audit journal broken" in problem["detail"]
    status, ready = await gate.call("GET", "/readyz", token=None)
    assert (503, False) == (status, ready["checks"]["database"])
    async with gate.app[app_keys.EVENTS].subscribe(0) as sub:
        alerts = []
        while not sub.queue.empty():
            event = sub.queue.get_nowait()
            if event is not None and event.kind == "alert":
                alerts.append(event.data["text"])
    assert any("audit journal broken" in text for text in alerts), alerts


async def test_a_tamper_after_the_mark_stops_the_start(gates: Gates, demo_config: Path) -> None:
    """An edit of a record after the verified mark is refused at start, as before."""
    gate = await gates.start()
    await gate.create()
    await gates.stop(gate)
    database = gate.config.database
    async with await Store.open(database) as store:  # records after the mark
        await append(store, 3)
    conn = sqlite3.connect(database)
    marked = journal_checks.read_mark(conn)
    conn.close()
    last = _records(database)
    assert marked is not None
    assert marked[0] == last - 3
    tamper(database, f"UPDATE audit SET data = '{{\"edited\":true}}' WHERE seq = {last - 1}")
    with pytest.raises(JournalBroken, match=f"audit journal BROKEN at record {last - 1}"):
        await gates.start()


async def test_a_tamper_after_the_mark_while_running_latches_at_the_next_move(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mark's next move checks the records added since it: an edit of one of them
    while the gate runs is found then, and the gate refuses changes from there on; a clean
    run moves the mark to the head."""
    from gate.service import journal_watch

    monkeypatch.setattr(journal_watch, "ADVANCE_RECORDS", 1)
    gate = await gates.start()
    watch = gate.app[app_keys.JOURNAL_WATCH]
    await gate.create()
    await watch.advance()
    database = gate.config.database
    conn = sqlite3.connect(database)
    marked = journal_checks.read_mark(conn)
    conn.close()
    assert (_records(database), None) == (marked and marked[0], watch.broken)
    await gate.scan(gtin_with(demo_config, ""))
    last = _records(database)
    tamper(database, f"UPDATE audit SET data = '{{\"edited\":true}}' WHERE seq = {last}")
    await watch.advance()
    assert f"audit journal BROKEN at record {last}: hash mismatch" in str(watch.broken)
    status, problem = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert 503 == status, problem


async def test_a_full_check_that_gives_no_answer_latches_the_gate(
    gates: Gates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail closed: when the full check owed by the start does not answer in time, the
    journal is not vouched for, and the gate refuses changes as if it were broken."""
    from gate.service import journal_watch

    monkeypatch.setattr(journal_watch, "ADVANCE_RECORDS", 1)  # the stop sets the mark
    gate = await gates.start()
    await gate.create()
    await gates.stop(gate)
    monkeypatch.setattr(journal_watch, "CHECK_SECONDS", 0.0)
    monkeypatch.setattr(journal_watch, "CHECK_SECONDS_PER_RECORD", 0.0)
    gate = await gates.start()
    watch = gate.app[app_keys.JOURNAL_WATCH]
    await until(lambda: watch.broken, "the check to be given up")
    assert "could not be checked after the start: no answer within 0 s" in str(watch.broken)
    status, problem = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert 503 == status, problem
