"""The ``licences`` table: standing licences, their stored document and the ``remaining``
column that a dispatch draws down (never below zero: the column has a CHECK, and ``draw``
refuses to take more than is there). Every function runs on the store's writer thread."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from gate.core.licences import Drawdown
from gate.errors import Overdraw


def upsert(
    conn: sqlite3.Connection, number: str, doc: dict[str, Any], remaining: int, at: dt.datetime
) -> None:
    """Stores a licence (the same number replaces it)."""
    conn.execute(
        "INSERT INTO licences (number, doc, remaining, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (number) DO UPDATE SET doc = excluded.doc,"
        " remaining = excluded.remaining, updated_at = excluded.updated_at",
        (number, json.dumps(doc), remaining, at.isoformat()),
    )


def draw(conn: sqlite3.Connection, drawdown: Drawdown, at: dt.datetime) -> None:
    """Takes ``drawdown`` from its licence's stored remaining quantity. Raises ``Overdraw``
    (and changes nothing) when the database holds less than that: the stored count is the
    one that counts, whatever the caller believed."""
    cur = conn.execute(
        "UPDATE licences SET remaining = remaining - ?, updated_at = ?"
        " WHERE number = ? AND remaining >= ?",
        (drawdown.quantity, at.isoformat(), drawdown.licence, drawdown.quantity),
    )
    if cur.rowcount != 1:
        row = conn.execute(
            "SELECT remaining FROM licences WHERE number = ?", (drawdown.licence,)
        ).fetchone()
        raise Overdraw(drawdown.licence, -1 if row is None else int(row[0]), drawdown.quantity)


def all_docs(conn: sqlite3.Connection) -> list[tuple[dict[str, Any], int]]:
    """Every stored licence: (document, remaining)."""
    rows = conn.execute("SELECT doc, remaining FROM licences").fetchall()
    return [(json.loads(doc), int(remaining)) for doc, remaining in rows]
