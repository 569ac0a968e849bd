"""Attack15: ``gate audit verify`` beside a running gate printed a head it had not verified.

``verify`` reads the journal in one snapshot, then ``cmd_audit_verify`` read the head it
prints (``head: record N, hash H``, what the officer keeps elsewhere as verified) outside
that snapshot. Records the gate wrote in between were named as the verified head: the
command said ``OK: 5 records`` and ``head: record 6``, and record 6 had not been checked.

Everything the command reports now comes from the one snapshot it verified.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from gate.cli.main import main
from gate.storage import journal
from tests.service.harness import Gate


def _append_one(database: Path) -> None:
    """What the running gate does meanwhile: one more record, committed."""
    conn = sqlite3.connect(database, isolation_level=None, timeout=10)
    try:
        conn.execute("BEGIN IMMEDIATE")
        journal.append(
            conn,
            kind="attack.meanwhile",
            actor="gate",
            subject=None,
            data={},
            ts=dt.datetime.now(dt.UTC),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


async def test_the_head_printed_is_the_one_verified(
    gate: Gate,
    demo_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await gate.create("S1", "D1")
    real = journal.verify

    def verify_then_the_gate_writes(conn: sqlite3.Connection, *a: Any, **kw: Any) -> Any:
        result = real(conn, *a, **kw)
        _append_one(gate.config.database)
        return result

    monkeypatch.setattr(journal, "verify", verify_then_the_gate_writes)
    assert 0 == main(["audit", "verify", "--config", str(demo_config)])
    out = capsys.readouterr().out
    counted = re.search(r"OK: (\d+) records", out)
    head = re.search(r"head: record (\d+)", out)
    assert counted is not None and head is not None, out
    assert counted.group(1) == head.group(1), out
