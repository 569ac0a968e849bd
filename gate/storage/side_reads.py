"""Reads the event loop makes itself, on a read-only connection of its own.

The store's thread runs reads and writes in the order they were asked, so a read waits for
the group commit ahead of it, and any hop to another thread waits for the interpreter lock
the loop holds. Some reads are on the path of every request: once the gate has let old scan
ids go from memory (``gate.service.scan_path``: after a restart, or past its in-memory
count), each batch asks the database whether its ids were stored before. Sent to the
store's thread, or to a thread of their own, those reads cost about 400 µs of CPU a single
scan and held its answer for milliseconds (p50 330 ms at 500 single scans a second), for an
indexed lookup that takes SQLite 8-14 µs. So they run here, on the loop, without a hop.

Only short indexed lookups belong here: the loop waits for them. In WAL mode a reader waits
for no writer and sees every committed write; it sees nothing uncommitted, which is what
these reads ask about (an id still being written is in the scan path's memory). The
connection never waits for a lock (``busy_timeout`` 0): a busy answer, like any failure, is
raised at once, and the caller asks the store's thread instead. This is the one exception
to the store's rule that the loop never touches SQLite (``gate.storage.store``, rule 1); a
read-only connection cannot checkpoint or write, so the one-writer rule still holds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from gate.errors import StoreError
from gate.storage.schema import connect_readonly, store_error

T = TypeVar("T")


class SideReads:
    """Read-only queries on a connection of their own, run where they are called (the loop
    thread), opened on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._closed = False

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(conn)``. Raises StoreError when it fails or after ``close``."""
        if self._closed:
            raise StoreError(f"side reads of {self.path} are closed")
        try:
            if self._conn is None:
                conn = connect_readonly(self.path)
                conn.execute("PRAGMA busy_timeout=0")
                self._conn = conn
            return fn(self._conn)
        except sqlite3.Error as exc:
            raise store_error(self.path, "a side read failed", exc) from exc

    def close(self) -> None:
        """Closes the connection. Safe to call twice."""
        self._closed = True
        if self._conn is not None:
            self._conn.close()
            self._conn = None
