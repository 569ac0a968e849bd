"""The writing connection keeps SQLite's statement journals in memory.

A multi-row ``INSERT`` (``row_inserts``) into a table with a unique key may stop half way on
a conflict, so SQLite journals the pages it changes for the length of the statement; past
64 KiB that journal spilled to a temporary file. In the writer process it was 6.7 KB written
a scan, next to 5 KB of WAL (strace of the writer under batches of 100: ``pwrite64`` to a
deleted temporary file). With ``temp_store=MEMORY`` (``schema.connect_writer``) nothing is
written before the commit.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gate.storage.row_inserts import insert_rows
from gate.storage.schema import connect_writer


def _written() -> int:
    """Bytes this process has written so far (``wchar``: any file, cache or not)."""
    with open("/proc/self/io") as io:
        fields = dict(line.split(": ") for line in io.read().splitlines())
    return int(fields["wchar"])


def _written_by_insert(conn: sqlite3.Connection) -> int:
    """Bytes written by one multi-row insert whose keys fall between stored ones (a page that
    existed before the statement is journalled; a new one is not)."""
    conn.execute("CREATE TABLE bulk (k TEXT PRIMARY KEY, payload TEXT)")
    stored = [(f"key-{n:06d}", "x" * 200) for n in range(0, 40000, 2)]
    conn.execute("BEGIN IMMEDIATE")
    insert_rows(conn, "INSERT INTO bulk (k, payload)", stored)
    conn.execute("COMMIT")
    rows = [(f"key-{n:06d}", "y" * 200) for n in range(1, 40000, 78)]
    conn.execute("BEGIN IMMEDIATE")
    before = _written()
    insert_rows(conn, "INSERT INTO bulk (k, payload)", rows)
    written = _written() - before
    conn.execute("ROLLBACK")
    return written


def test_a_multi_row_insert_writes_nothing_before_its_commit(tmp_path: Path) -> None:
    conn = connect_writer(tmp_path / "gate.db")
    try:
        assert conn.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
        assert _written_by_insert(conn) < 16_384
    finally:
        conn.close()


def test_a_file_temp_store_spills_the_statement_journal(tmp_path: Path) -> None:
    """The control: what the pragma prevents happens without it (so the test above can fail)."""
    conn = connect_writer(tmp_path / "gate.db")
    try:
        conn.execute("PRAGMA temp_store=FILE")
        assert _written_by_insert(conn) > 65_536
    finally:
        conn.close()
