"""The ``serials`` table: each serial counted on a shipment's line, one row each, keyed by
shipment, line key, the line's epoch and the serial (schema migration 6).

A row is written in the transaction of the scan that counted it, so the table and the
documents agree at every commit: a line's ``serialised`` count equals its rows in its epoch.
The primary key refuses a serial counted twice: the service's ``SerialLedger`` never lets that
happen, and if it ever did, the write fails (and nothing of it is stored) instead of the
count and the rows drifting apart. Every function runs on the store's threads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from gate.core.shipment_values import SerialRead
from gate.storage.row_inserts import insert_rows

#: The most serials one page answers.
MAX_PAGE = 10_000


def insert_many(conn: sqlite3.Connection, shipment: str, reads: Iterable[SerialRead]) -> None:
    """Stores serials first counted on ``shipment``. Raises sqlite3.IntegrityError for a
    serial already stored (a bug upstream: the write then stores nothing)."""
    insert_rows(
        conn,
        "INSERT INTO serials (shipment, line, epoch, serial)",
        [(shipment, r.key, r.epoch, r.serial) for r in reads],
    )


def of_shipment(conn: sqlite3.Connection, shipment: str) -> list[tuple[str, int, str]]:
    """Every (line key, epoch, serial) of ``shipment``."""
    return conn.execute(
        "SELECT line, epoch, serial FROM serials WHERE shipment = ?", (shipment,)
    ).fetchall()


def of_line(conn: sqlite3.Connection, shipment: str, key: str, epoch: int) -> list[str]:
    """The serials of one line in ``epoch``, in order."""
    return [
        serial
        for (serial,) in conn.execute(
            "SELECT serial FROM serials WHERE shipment = ? AND line = ? AND epoch = ?"
            " ORDER BY serial",
            (shipment, key, epoch),
        )
    ]


def page(
    conn: sqlite3.Connection, shipment: str, key: str, epoch: int, after: str, limit: int
) -> list[str]:
    """Up to ``limit`` serials of one line in ``epoch`` that sort after ``after``, in order
    (each page names the last serial it gave; the next one starts after it)."""
    return [
        serial
        for (serial,) in conn.execute(
            "SELECT serial FROM serials WHERE shipment = ? AND line = ? AND epoch = ?"
            " AND serial > ? ORDER BY serial LIMIT ?",
            (shipment, key, epoch, after, limit),
        )
    ]
