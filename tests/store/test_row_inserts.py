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
    """Every row stored once, with the rowids ``executemany`` gives, for each batch size."""
    conn = _connect(tmp_path / "x.db")
    rows = _rows(count)
    insert_rows(conn, "INSERT INTO ours (k, n, t, b)", rows)
    conn.executemany("INSERT INTO oracle (k, n, t, b) VALUES (?, ?, ?, ?)", rows)
    assert _contents(conn, "oracle") == _contents(conn, "ours")
    assert count == len(_contents(conn, "ours"))


@pytest.mark.parametrize("count", [5, 70, 300])
def test_replace_keeps_the_later_row_as_executemany_does(tmp_path: Path, count: int) -> None:
    """A key repeated within one batch: the later row replaces the earlier, in rowid order
    as with ``executemany``."""
    conn = _connect(tmp_path / "x.db")
    rows = _rows(count, repeat_every=3)
    insert_rows(conn, "INSERT OR REPLACE INTO ours (k, n, t, b)", rows)
    conn.executemany("INSERT OR REPLACE INTO oracle (k, n, t, b) VALUES (?, ?, ?, ?)", rows)
    ours = _contents(conn, "ours")
    assert _contents(conn, "oracle") == ours
    assert count > len(ours)  # some keys did repeat


def test_a_duplicate_key_raises_and_the_transaction_undoes_every_piece(tmp_path: Path) -> None:
    """A failure in the last piece raises; rolled back, nothing of the batch is left."""
    conn = _connect(tmp_path / "x.db")
    rows = _rows(300)
    rows.append(rows[10])  # the last piece repeats a key of the first
    conn.execute("BEGIN")
    with pytest.raises(sqlite3.IntegrityError):
        insert_rows(conn, "INSERT INTO ours (k, n, t, b)", rows)
    conn.execute("ROLLBACK")
    assert _contents(conn, "ours") == []


def test_pieces_stay_within_the_connection_parameter_limit(tmp_path: Path) -> None:
    """Under an old SQLite's limit of 999 parameters, 300 rows of 4 columns still go in (in
    pieces of at most 249 rows), where a 256-row piece would bind 1,024."""
    conn = _connect(tmp_path / "x.db")
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    rows = _rows(300)
    insert_rows(conn, "INSERT INTO ours (k, n, t, b)", rows)
    conn.executemany("INSERT INTO oracle (k, n, t, b) VALUES (?, ?, ?, ?)", rows)
    assert _contents(conn, "oracle") == _contents(conn, "ours")


def test_rows_of_another_width_are_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    """A short row and a long row would bind the right number of parameters between them,
    each value shifted into the wrong column: refused before any statement runs."""
    conn = _connect(tmp_path / "x.db")
    rows = [("k1", 1, "a", b"x"), ("k2", 2, "b"), ("k3", 3, "c", b"z", b"extra")]
    with pytest.raises(ValueError, match="every row must have 4 values"):
        insert_rows(conn, "INSERT INTO ours (k, n, t, b)", rows)
    assert [] == _contents(conn, "ours")
