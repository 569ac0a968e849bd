"""The ``scans`` table: every answered scan under its reader and scan id, with the outcome
given (so a retry of the same id is answered as before, also after a restart). Every
function runs on the store's writer thread."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

#: (reader, scan_id, door, code, received_at, outcome as stored JSON)
ScanRow = tuple[str, str, str, str, str, str]


def insert_many(conn: sqlite3.Connection, rows: Sequence[ScanRow]) -> None:
    """Stores scans; a (reader, scan_id) already stored keeps its first outcome."""
    conn.executemany(
        "INSERT OR IGNORE INTO scans (reader, scan_id, door, code, received_at, result)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )


def recent(conn: sqlite3.Connection, limit: int) -> list[tuple[str, str, str]]:
    """The ``limit`` most recent scans, oldest first: (reader, scan_id, stored outcome)."""
    rows = conn.execute(
        "SELECT reader, scan_id, result FROM scans ORDER BY rowid DESC LIMIT ?", (limit,)
    ).fetchall()
    return [(reader, scan_id, result) for reader, scan_id, result in reversed(rows)]
