"""The ``epcis_outbox`` table: EPCIS documents queued at dispatch for the company's EPCIS
repository, and what became of each (``gate.links.epcis`` sends them).

A document enters in the transaction that stores its dispatch, so a dispatched shipment
always has its events queued; the sender records every outcome here, so a restart resumes
where it stopped. A row is pending while ``next_attempt_at`` is set; it ends delivered
(``delivered_at``, ``capture_job``), refused (``last_error``) or split (``split_into``: its
parts are new rows of the same shipment, queued in the same transaction that ends it).
The SQL functions run on the store's writer thread (or a reader, for the ``pending`` ones).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gate.storage import journal


@dataclass(frozen=True, slots=True)
class Pending:
    """A queued document: its row, shipment, text as sent, events, tries and due time."""

    id: int
    shipment_id: str
    body: str
    events: int
    attempts: int
    due: dt.datetime


def queue(
    conn: sqlite3.Connection, shipment_id: str, document: Mapping[str, Any], at: dt.datetime
) -> None:
    """Queues ``document`` to send now (in the caller's transaction)."""
    events = len(document["epcisBody"]["eventList"])
    conn.execute(
        "INSERT INTO epcis_outbox (shipment_id, body, events, created_at, next_attempt_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            shipment_id,
            json.dumps(document, separators=(",", ":")),
            events,
            at.isoformat(),
            at.isoformat(),
        ),
    )


def pending(conn: sqlite3.Connection) -> list[Pending]:
    """Every document still to send, oldest first."""
    return [
        Pending(r[0], r[1], r[2], r[3], r[4], dt.datetime.fromisoformat(r[5]))
        for r in conn.execute(
            "SELECT id, shipment_id, body, events, attempts, next_attempt_at FROM epcis_outbox"
            " WHERE next_attempt_at IS NOT NULL ORDER BY id"
        )
    ]


def backlog(conn: sqlite3.Connection) -> tuple[int, str | None]:
    """How many documents wait, and when the oldest was queued."""
    row = conn.execute(
        "SELECT count(*), min(created_at) FROM epcis_outbox WHERE next_attempt_at IS NOT NULL"
    ).fetchone()
    return int(row[0]), row[1]


Write = Callable[[sqlite3.Connection], None]


def delivered(row_id: int, job: str | None, at: dt.datetime) -> Write:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE epcis_outbox SET delivered_at = ?, capture_job = ?, next_attempt_at = NULL,"
            " attempts = attempts + 1, last_error = NULL WHERE id = ?",
            (at.isoformat(), job, row_id),
        )
        _journal(conn, row_id, "epcis.delivered", at, capture_job=job)

    return write


def refused(row_id: int, error: str, at: dt.datetime) -> Write:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE epcis_outbox SET next_attempt_at = NULL, attempts = attempts + 1,"
            " last_error = ? WHERE id = ?",
            (f"refused at {at.isoformat()}: {error}", row_id),
        )
        _journal(conn, row_id, "epcis.refused", at, error=error)

    return write


def retry(row_id: int, error: str, when: dt.datetime) -> Write:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE epcis_outbox SET next_attempt_at = ?, attempts = attempts + 1,"
            " last_error = ? WHERE id = ? AND next_attempt_at IS NOT NULL",
            (when.isoformat(), error, row_id),
        )

    return write


def split(row_id: int, parts: Sequence[Mapping[str, Any]], why: str, at: dt.datetime) -> Write:
    """Ends the row and queues ``parts`` in its place (due now), in one transaction."""

    def write(conn: sqlite3.Connection) -> None:
        (shipment_id,) = conn.execute(
            "SELECT shipment_id FROM epcis_outbox WHERE id = ?", (row_id,)
        ).fetchone()
        conn.execute(
            "UPDATE epcis_outbox SET next_attempt_at = NULL, attempts = attempts + 1,"
            " split_into = ?, last_error = ? WHERE id = ?",
            (len(parts), f"split into {len(parts)} documents: {why}", row_id),
        )
        for part in parts:
            queue(conn, shipment_id, part, at)
        _journal(conn, row_id, "epcis.split", at, parts=len(parts), reason=why)

    return write


def _journal(
    conn: sqlite3.Connection, row_id: int, kind: str, at: dt.datetime, **data: Any
) -> None:
    shipment_id, attempts, events = conn.execute(
        "SELECT shipment_id, attempts, events FROM epcis_outbox WHERE id = ?", (row_id,)
    ).fetchone()
    journal.append(
        conn,
        kind=kind,
        actor="gate",
        subject=shipment_id,
        data={"document": row_id, "events": events, "attempts": attempts, **data},
        ts=at,
    )
