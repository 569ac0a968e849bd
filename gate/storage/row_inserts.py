"""Many rows in a few statements: ``INSERT ... VALUES (...), (...), ...``.

``executemany`` steps its statement once per row, and the ``sqlite3`` module lets go of the
GIL around every step. On the gate that is the cost: the writer thread shares the interpreter
with the event loop, and a thread that lets go of the GIL while the loop has work gets it
back only when the loop yields it (up to the switch interval, 5 ms). A group commit of a few
portal batches wrote several hundred rows, one wait each. Cut into a few statements of fixed
sizes (``_SIZES``: a batch of 100 rows is four), it waits a few times, not a hundred
(``python -m tests.bench writer``: 100 rows beside a busy thread, about 8x faster).

The fixed sizes keep the connection's statement cache to a handful of texts per table, not
one per row count. A piece never binds more parameters than the connection allows
(``SQLITE_LIMIT_VARIABLE_NUMBER``: 32,766 since SQLite 3.32, 999 before or where a build
lowers it): larger pieces are skipped, so an old SQLite gets smaller statements, not an error.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import Any

#: Rows per statement, largest first: a batch is cut into pieces of these sizes (those the
#: connection's parameter limit allows).
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
    if any(len(row) != width for row in rows):
        # Bound together, rows of other widths would shift values into the wrong columns.
        raise ValueError(f"insert_rows: every row must have {width} values")
    most = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width
    start = 0
    for size in _SIZES:
        if size > most and size > 1:
            continue
        while len(rows) - start >= size:
            params = [value for row in rows[start : start + size] for value in row]
            conn.execute(_statement(head, width, size), params)
            start += size
