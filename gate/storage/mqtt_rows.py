"""The ``mqtt_queue`` table: messages for the MQTT broker, oldest first.

A row is inserted in the same transaction as the change it announces (the MQTT link's tap on
the committer), so a message exists if and only if its change committed, and survives a
restart. The link sends rows in ``id`` order (an INTEGER PRIMARY KEY: a new row gets the largest
id plus one, so it sorts after every row still waiting) and deletes a row only once the broker
acknowledged it (PUBACK). The SQL functions run on the store's writer thread.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Queued:
    id: int
    topic: str
    payload: str
    retain: bool


def queue(
    conn: sqlite3.Connection, topic: str, payload: str, retain: bool, at: dt.datetime
) -> None:
    conn.execute(
        "INSERT INTO mqtt_queue (topic, payload, retain, created_at) VALUES (?, ?, ?, ?)",
        (topic, payload, int(retain), at.isoformat()),
    )


#: A message to queue: topic, JSON payload, retain, the time it was queued (ISO 8601).
Message = tuple[str, str, bool, str]


def queue_many(conn: sqlite3.Connection, messages: Sequence[Message]) -> None:
    """Queues ``messages`` in order (one statement each, inside the caller's transaction)."""
    for topic, payload, retain, at in messages:
        conn.execute(
            "INSERT INTO mqtt_queue (topic, payload, retain, created_at) VALUES (?, ?, ?, ?)",
            (topic, payload, int(retain), at),
        )


def oldest(conn: sqlite3.Connection, limit: int) -> list[Queued]:
    """The ``limit`` oldest rows, oldest first."""
    rows = conn.execute(
        "SELECT id, topic, payload, retain FROM mqtt_queue ORDER BY id LIMIT ?", (limit,)
    ).fetchall()
    return [Queued(i, t, p, bool(r)) for i, t, p, r in rows]


def delete(conn: sqlite3.Connection, ids: list[int]) -> None:
    conn.executemany("DELETE FROM mqtt_queue WHERE id = ?", [(i,) for i in ids])


def backlog(conn: sqlite3.Connection) -> tuple[int, str | None]:
    """How many rows wait, and when the oldest was queued (ISO text, or None)."""
    n, first = conn.execute("SELECT count(*), min(created_at) FROM mqtt_queue").fetchone()
    return int(n), first


def trim(conn: sqlite3.Connection, keep: int) -> int:
    """Deletes the oldest rows beyond the newest ``keep``; returns how many went."""
    cur = conn.execute(
        "DELETE FROM mqtt_queue WHERE id <= "
        "(SELECT id FROM mqtt_queue ORDER BY id DESC LIMIT 1 OFFSET ?)",
        (keep,),
    )
    return cur.rowcount
