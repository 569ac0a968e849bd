"""The ``outbox`` table, as the docks fill it: licence requests queued for the central office
(the link in ``gate.links.central`` sends them), and requests taken out before delivery
because they became moot. Every function runs on the store's writer thread."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any, Literal


def queue(
    conn: sqlite3.Connection,
    request_id: str,
    shipment_id: str,
    body: dict[str, Any],
    created_at: dt.datetime,
) -> None:
    """Queues a request to send now; a request id already queued is left as it is."""
    conn.execute(
        "INSERT OR IGNORE INTO outbox (request_id, shipment_id, body, created_at,"
        " next_attempt_at) VALUES (?, ?, ?, ?, ?)",
        (
            request_id,
            shipment_id,
            json.dumps(body),
            created_at.isoformat(),
            created_at.isoformat(),
        ),
    )


def stop_sending(
    conn: sqlite3.Connection,
    by: Literal["shipment_id", "request_id"],
    value: str,
    why: str,
) -> None:
    """Takes undelivered requests (of a shipment, or one request) out of the outbox."""
    column = {"shipment_id": "shipment_id", "request_id": "request_id"}[by]
    conn.execute(
        f"UPDATE outbox SET next_attempt_at = NULL, last_error = ?"
        f" WHERE {column} = ? AND delivered_at IS NULL AND next_attempt_at IS NOT NULL",
        (f"not sent: {why} before delivery", value),
    )
