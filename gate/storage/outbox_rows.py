"""The ``outbox`` table, as the docks fill it: licence requests queued for the central office
(the link in ``gate.links.central`` sends them), and requests taken out before delivery
because they became moot. The SQL functions run on the store's writer thread.

What is queued is the request's body exactly as the office is sent it (``request_body``,
DESIGN.md's central approval link); it holds codes, never the page's prose.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from typing import Any, Literal

from gate.core.licences import LicenceRequest
from gate.core.shipment_values import Shipment
from gate.storage import serial_rows
from gate.storage.shipment_codec import party_doc


def request_body(
    conn: sqlite3.Connection, gate_id: str, shipment: Shipment, request: LicenceRequest
) -> dict[str, Any]:
    """A licence request as sent to the central office (and queued here until it is), each
    line with its serials read from their table (as of this transaction)."""
    return {
        "request_id": request.request_id,
        "gate_id": gate_id,
        "shipment": {
            "id": shipment.id,
            "destination": shipment.destination,
            "consignee": {
                "name": shipment.consignee.name,
                "country": shipment.consignee.country,
                "ids": dict(shipment.consignee.ids),
            },
            "parties": [party_doc(p) for p in shipment.parties],
            "end_use": shipment.end_use,
            "end_use_codes": list(shipment.end_use_codes),
            "transit": list(shipment.transit),
        },
        "lines": request_lines(
            request,
            lambda key, epoch: serial_rows.of_line(conn, shipment.id, key, epoch),
        ),
        "created_at": request.created_at.isoformat(),
    }


def request_lines(
    request: LicenceRequest, serials: Callable[[str, int], list[str]] | None = None
) -> list[dict[str, Any]]:
    """A request's lines, as the office is sent them with ``serials`` (a line's key and
    epoch to its serials), and as the API shows them without (a line's serials are paged)."""
    return [
        {
            "key": x.key,
            "description": x.description,
            "control": x.control,
            "category": x.category,
            "quantity": x.quantity,
            **({} if serials is None else {"serials": serials(x.key, x.epoch)}),
            "reasons": list(x.reasons),
        }
        for x in request.lines
    ]


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
