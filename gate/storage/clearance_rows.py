"""The ``clearances`` table: the central office's clearances of false positives (DESIGN 2.1).

Functions take the connection of a ``Store.write`` or ``Store.read`` call: a clearance is
stored in the transaction that journals it and remembers its webhook id.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from gate.core.screening.clearances import Clearance, cleared_ids, ids_doc


def insert(conn: sqlite3.Connection, clearance: Clearance) -> bool:
    """Stores ``clearance``; False (and nothing written) when the same one is already stored."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO clearances"
        " (list, entry, version, name, country, ids, cleared_at, webhook_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            clearance.list,
            clearance.entry,
            clearance.version,
            clearance.name,
            clearance.country,
            json.dumps(ids_doc(clearance.ids)),
            clearance.cleared_at.isoformat(),
            clearance.webhook_id,
        ),
    )
    return cursor.rowcount == 1


def load_all(conn: sqlite3.Connection) -> list[Clearance]:
    """Every stored clearance, oldest first."""
    rows = conn.execute(
        "SELECT list, entry, version, name, country, ids, cleared_at, webhook_id"
        " FROM clearances ORDER BY id"
    ).fetchall()
    return [
        Clearance(
            list=row[0],
            entry=row[1],
            version=row[2],
            name=row[3],
            country=row[4],
            ids=cleared_ids(json.loads(row[5])),
            cleared_at=dt.datetime.fromisoformat(row[6]),
            webhook_id=row[7],
        )
        for row in rows
    ]
