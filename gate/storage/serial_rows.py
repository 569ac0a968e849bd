"""The ``serials`` table: each serial counted on a shipment's line, one row each, keyed by
shipment, line key, the line's epoch and the serial (schema migration 6), with the units its
label stated (migration 13: the most any read of it stated; 1 for a bare serial).

A row is written in the transaction of the scan that counted it, and its units raised in the
transaction of a re-read that stated more, so the table and the documents agree at every
commit: a line's ``serialised`` count equals its rows in its epoch, and what its labels stated
beyond one unit each is part of its ``unserialised`` count. The primary key refuses a serial
counted twice: the service's ``SerialLedger`` never lets that happen, and if it ever did, the
write fails (and nothing of it is stored) instead of the count and the rows drifting apart; a
re-read's raise that finds no row fails the write the same way. Every function runs on the
store's threads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from gate.core.shipment_values import SerialRead
from gate.errors import StoreError
from gate.storage.row_inserts import insert_rows

#: The most serials one page answers.
MAX_PAGE = 10_000


def insert_many(conn: sqlite3.Connection, shipment: str, reads: Sequence[SerialRead]) -> None:
    """Stores serials counted on ``shipment``, in the order counted: a serial counted first
    as a new row, a re-read stating more units (``before`` set) as a raise of its row's
    units (to the most any of ``reads`` stated). Raises sqlite3.IntegrityError for a new
    serial already stored, StoreError for a raise without its row (a bug upstream either way:
    the write then stores nothing)."""
    head = "INSERT INTO serials (shipment, line, epoch, serial, units)"
    if not any(r.before for r in reads):  # the usual case: no re-read stated more
        insert_rows(conn, head, [(shipment, r.key, r.epoch, r.serial, r.units) for r in reads])
        return
    most: dict[tuple[str, int, str], int] = {}
    for r in reads:
        entry = (r.key, r.epoch, r.serial)
        most[entry] = max(most.get(entry, 0), r.units)
    # A serial counted first and raised within the same write is inserted at its most units.
    fresh = [
        (shipment, r.key, r.epoch, r.serial, most[r.key, r.epoch, r.serial])
        for r in reads
        if not r.before
    ]
    insert_rows(conn, head, fresh)
    new = {(key, epoch, serial) for _, key, epoch, serial, _ in fresh}
    raised = [(units, shipment, *entry) for entry, units in most.items() if entry not in new]
    for row in raised:
        found = conn.execute(
            "UPDATE serials SET units = max(units, ?)"
            " WHERE shipment = ? AND line = ? AND epoch = ? AND serial = ?",
            row,
        ).rowcount
        if found != 1:
            raise StoreError(f"serial {row[4]} of {shipment} line {row[2]}: no row to raise")


def of_shipment(conn: sqlite3.Connection, shipment: str) -> list[tuple[str, int, str, int]]:
    """Every (line key, epoch, serial, units) of ``shipment``."""
    return conn.execute(
        "SELECT line, epoch, serial, units FROM serials WHERE shipment = ?", (shipment,)
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
