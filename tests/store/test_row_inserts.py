"""``insert_rows`` against ``executemany`` as the oracle: the same rows, in the same order,
with the same conflict handling, for batch sizes around every piece size."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gate.storage.row_inserts import insert_rows

SIZES = [0, 1, 3, 4, 5, 15, 16, 17, 63, 64, 65, 100, 255, 256, 257, 341, 600]


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for table in ("ours", "oracle"):
        conn.execute(f"CREATE TABLE {table} (k TEXT PRIMARY KEY, n INTEGER, t TEXT, b BLOB)")
    return conn


def _rows(count: int, *, repeat_every: int = 0) -> list[tuple[object, ...]]:
    """``count`` rows; with ``repeat_every``, every such row reuses an earlier key."""
    rows: list[tuple[object, ...]] = []
    for i in range(count):
        key = f"k{i // 2}" if repeat_every and i % repeat_every == 0 else f"k{i}"
        rows.append((key, i, None if i % 7 == 0 else f"text {i} ü", bytes([i % 256])))
    return rows


def _contents(conn: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    return conn.execute(f"SELECT rowid, k, n, t, b FROM {table} ORDER BY rowid").fetchall()


@pytest.mark.parametrize("count", SIZES)
def test_rows_and_order_match_executemany(tmp_path: Path, count: int) -> None:
    conn = _connect(tmp_path / "x.db")
    rows = _rows(count)
    insert_rows(conn, "INSERT INTO ours (k, n, t, b)", rows)
    conn.executemany("INSERT INTO oracle (k, n, t, b) VALUES (?, ?, ?, ?)", rows)
    assert _contents(conn, "ours") == _contents(conn, "oracle")
    assert len(_contents(conn, "ours")) == count


@pytest.mark.parametrize("count", [5, 70, 300])
def test_replace_keeps_the_later_row_as_executemany_does(tmp_path: Path, count: int) -> None:
    conn = _connect(tmp_path / "x.db")
    rows = _rows(count, repeat_every=3)
    insert_rows(conn, "INSERT OR REPLACE INTO ours (k, n, t, b)", rows)
    conn.executemany("INSERT OR REPLACE INTO oracle (k, n, t, b) VALUES (?, ?, ?, ?)", rows)
    ours = conn.execute("SELECT k, n, t, b FROM ours ORDER BY k").fetchall()
    assert ours == conn.execute("SELECT k, n, t, b FROM oracle ORDER BY k").fetchall()
    assert len(ours) < count  # some keys did repeat


def test_a_duplicate_key_raises_and_the_transaction_undoes_every_piece(tmp_path: Path) -> None:
    conn = _connect(tmp_path / "x.db")
    rows = _rows(300)
    rows.append(rows[10])  # the last piece repeats a key of the first
    conn.execute("BEGIN")
    with pytest.raises(sqlite3.IntegrityError):
        insert_rows(conn, "INSERT INTO ours (k, n, t, b)", rows)
    conn.execute("ROLLBACK")
    assert _contents(conn, "ours") == []
