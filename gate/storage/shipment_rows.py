"""The ``shipments`` table: one row per shipment, its stored document and the columns that
index it. Every function runs on the store's writer thread (``Store.write``/``Store.read``)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence

from gate.core.shipment_values import Shipment


def save(conn: sqlite3.Connection, shipment: Shipment, doc: str) -> None:
    """Writes the shipment's row with ``doc`` (its ``shipment_codec`` text)."""
    save_row(conn, row_of(shipment, doc))


def row_of(shipment: Shipment, doc: str) -> tuple[str, str, str, str, str, str]:
    """The shipment's row as ``save_row`` takes it (and the writer process receives it)."""
    return (
        shipment.id,
        shipment.door,
        shipment.state.value,
        doc,
        shipment.created_at.astimezone(dt.UTC).isoformat(),
        shipment.updated_at.astimezone(dt.UTC).isoformat(),
    )


def save_row(conn: sqlite3.Connection, row: Sequence[object]) -> None:
    """Writes a shipment's row: id, door, state, document, created and updated times."""
    conn.execute(
        "INSERT INTO shipments (id, door, state, doc, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state,"
        " doc = excluded.doc, updated_at = excluded.updated_at",
        tuple(row),
    )


def exists(conn: sqlite3.Connection, shipment_id: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM shipments WHERE id = ?", (shipment_id,)).fetchone() is not None
    )


def live_docs(conn: sqlite3.Connection, final_since: dt.datetime) -> list[str]:
    """The documents of every shipment that is not final, and of the final ones closed
    since ``final_since``, oldest first."""
    rows = conn.execute(
        "SELECT doc FROM shipments WHERE state NOT IN ('dispatched', 'cancelled')"
        " OR updated_at >= ? ORDER BY created_at",
        (final_since.astimezone(dt.UTC).isoformat(),),
    ).fetchall()
    return [doc for (doc,) in rows]
