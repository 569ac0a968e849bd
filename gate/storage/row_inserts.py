"""Many rows in a few statements: ``INSERT ... VALUES (...), (...), ...``.

``executemany`` steps its statement once per row, and the ``sqlite3`` module lets go of the
GIL around every step. On the gate that is the cost: the writer thread shares the interpreter
with the event loop, and a thread that lets go of the GIL while the loop has work gets it
back only when the loop yields it (up to the switch interval, 5 ms). A group commit of a few
portal batches wrote several hundred rows, one wait each; in the loaded latency row of
``python -m tests.bench service`` the writer spent about two thirds of its wall time waiting
so, and the scans behind it waited with it. One statement per table per batch waits once.

Statements are made for a few fixed sizes (``_SIZES``), so the connection's statement cache
holds a handful of texts per table, not one per row count.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import Any

#: Rows per statement, largest first: a batch is cut into pieces of these sizes. At 10 columns
#: 256 rows bind 2,560 parameters, well under SQLite's bound (32,766 since 3.32).
_SIZES = (256, 64, 16, 4, 1)


@functools.lru_cache(maxsize=64)
def _statement(head: str, width: int, rows: int) -> str:
    one = "(" + ", ".join("?" * width) + ")"
    return f"{head} VALUES " + ", ".join([one] * rows)


def insert_rows(conn: sqlite3.Connection, head: str, rows: Sequence[Sequence[Any]]) -> None:
    """Runs ``head`` (``INSERT [OR ...] INTO t (a, b, ...)``, without ``VALUES``) for every
    row of ``rows`` (all of one width), in order, in as few statements as ``_SIZES`` allow.
    Raises what SQLite raises; a failure part way leaves the earlier pieces written (run it
    inside the transaction or savepoint that must undo them)."""
    if not rows:
        return
    width = len(rows[0])
    start = 0
    for size in _SIZES:
        while len(rows) - start >= size:
            params = [value for row in rows[start : start + size] for value in row]
            conn.execute(_statement(head, width, size), params)
            start += size
