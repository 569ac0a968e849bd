"""Schema migration 4 scopes stored scan ids to their client: a row stored before it belongs to
the client its ``scan`` journal record names (else to its reader's name), keeps its place in
the order, and still answers a retry from that client after the upgrade."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from gate.config.settings import load_config
from gate.service.scan_outcome import ScanOutcome
from gate.storage import journal, scan_rows
from gate.storage.store import Store
from tests.old_schema import database_at
from tests.service.harness import SCANNER_TOKEN, Gates

AT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
#: (reader, scan_id, code, the actor of its journal record or None)
OLD = [
    ("r1", "old-1", "04012345000016", "scanner-door-1"),
    ("fixed-7", "old-2", "04012345000023", "reader:fixed-7"),
    ("r1", "old-3", "04012345000030", None),
]


def old_database(path: Path) -> None:
    """A gate database at schema version 3 holding the OLD scans (rejected at D1, no open
    shipment), each journaled by its actor, if it has one."""
    conn = database_at(path, 3)
    try:
        conn.execute("BEGIN")
        for reader, sid, code, actor in OLD:
            outcome = ScanOutcome.rejected(
                sid, "door D1 has no open shipment", "door", reader=reader, door="D1", code=code
            )
            conn.execute(
                "INSERT INTO scans (reader, scan_id, door, code, received_at, result)"
                " VALUES (?, ?, 'D1', ?, ?, ?)",
                (reader, sid, code, AT.isoformat(), json.dumps(outcome.to_record())),
            )
            if actor is not None:
                journal.append(
                    conn, kind="scan", actor=actor, subject=None, data=outcome.to_audit(), ts=AT
                )
        conn.execute("COMMIT")
    finally:
        conn.close()


async def test_old_rows_belong_to_the_client_the_journal_names(tmp_path: Path) -> None:
    """Each old row's client is its journal record's actor, or its reader's name without one;
    the rows keep their order and are marked as not exact (kind and shipment not kept)."""
    path = tmp_path / "gate.db"
    old_database(path)
    async with await Store.open(path) as store:
        rows = await store.read(lambda conn: scan_rows.recent(conn, 10))
    assert [
        ("scanner-door-1", "r1", "old-1", "04012345000016", False),
        ("reader:fixed-7", "fixed-7", "old-2", "04012345000023", False),
        ("r1", "r1", "old-3", "04012345000030", False),
    ] == [(r.client, r.reader, r.scan_id, r.code, r.exact) for r in rows]


async def test_a_retry_across_the_upgrade_is_still_a_duplicate(
    demo_config: Path, gates: Gates
) -> None:
    """After the upgrade the client that sent an old scan gets its first answer for a retry,
    and a different code under that id is rejected."""
    old_database(load_config(demo_config).database)
    gate = await gates.start()
    retry = {"scan_id": "old-1", "reader": "r1", "door": "D1", "code": "04012345000016"}
    _, retried = await gate.call("POST", "/api/v1/scans", retry, token=SCANNER_TOKEN)
    other = {**retry, "code": "04012345000047"}
    _, reused = await gate.call("POST", "/api/v1/scans", other, token=SCANNER_TOKEN)
    assert ("duplicate", "rejected") == (
        retried["results"][0]["status"],
        reused["results"][0]["status"],
    )
    assert "door D1 has no open shipment" == retried["results"][0]["error"]
    assert "differs in code" in reused["results"][0]["error"]
