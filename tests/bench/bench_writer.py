"""The writer thread's rows: ``insert_rows`` against ``executemany`` as the baseline, alone
and beside a thread that keeps the interpreter busy (the event loop under load).

The sqlite3 module lets go of the GIL around every step of a statement; ``executemany``
steps once per row, so beside a busy thread each row waits for the GIL to come back (up to
the switch interval). ``gate.storage.row_inserts`` explains the trade.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from gate.storage.row_inserts import insert_rows
from tests.bench.bench_service import Emit

ROWS = 100


def _busy(stop: threading.Event) -> None:
    x = 0
    while not stop.is_set():
        for i in range(1000):
            x += i


def _timed(conn: sqlite3.Connection, write: Callable[[list[tuple[object, ...]]], None]) -> float:
    """The median wall time of one transaction of ``ROWS`` rows."""
    walls = []
    for _ in range(30 if not os.environ.get("GATE_BENCH_QUICK") else 10):
        base = conn.execute("SELECT count(*) FROM t").fetchone()[0]
        rows = [(f"s{base + i}", base + i, "c" * 20, "e" * 200) for i in range(ROWS)]
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        write(rows)
        conn.execute("COMMIT")
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def run(emit: Emit) -> None:
    with tempfile.TemporaryDirectory() as folder:
        conn = sqlite3.connect(Path(folder) / "w.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, c TEXT, e TEXT)")

        def many(rows: list[tuple[object, ...]]) -> None:
            conn.executemany("INSERT INTO t (k, n, c, e) VALUES (?, ?, ?, ?)", rows)

        def ours(rows: list[tuple[object, ...]]) -> None:
            insert_rows(conn, "INSERT INTO t (k, n, c, e)", rows)

        for beside in ("alone", "beside a busy thread"):
            stop = threading.Event()
            if beside != "alone":
                threading.Thread(target=_busy, args=(stop,), daemon=True).start()
            try:
                baseline, measured = _timed(conn, many), _timed(conn, ours)
            finally:
                stop.set()
            emit(
                f"{ROWS} rows committed, {beside}: executemany / insert_rows",
                f"{baseline * 1e3:.2f} / {measured * 1e3:.2f} ms ({baseline / measured:.1f}x)",
                "",
            )
