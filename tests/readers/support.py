"""What reader tests read back from a gate: its reader adapters, documents, the store."""

from __future__ import annotations

import json
from typing import Any

from gate.cli.simulate import sgtin96_hex
from gate.ingest.readers.base import Reader
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.service.harness import Gate


def adapter(gate: Gate, name: str) -> Reader:
    return gate.app[app_keys.READERS][name]


async def readers_doc(gate: Gate) -> dict[str, dict[str, Any]]:
    """GET /api/v1/readers, by reader name."""
    status, body = await gate.call("GET", "/api/v1/readers")
    assert 200 == status, body
    return {r["name"]: r for r in body["readers"]}


async def lines_of(gate: Gate, shipment: str = "S1") -> dict[str, dict[str, Any]]:
    """The shipment's lines by key, via the HTTP API."""
    status, doc = await gate.call("GET", f"/api/v1/shipments/{shipment}")
    assert 200 == status, doc
    return {line["key"]: line for line in doc["lines"]}


def stored_scans(gate: Gate, reader: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(scan_id, code, result) of every scan stored for ``reader``."""
    db = connect_readonly(gate.config.database)
    try:
        rows = db.execute(
            "SELECT scan_id, code, result FROM scans WHERE reader = ? ORDER BY rowid", (reader,)
        ).fetchall()
    finally:
        db.close()
    return [(sid, code, json.loads(result)) for sid, code, result in rows]


def journal(gate: Gate, actor: str) -> list[tuple[str, dict[str, Any]]]:
    """(kind, data) of the audit records made by ``actor``."""
    db = connect_readonly(gate.config.database)
    try:
        rows = db.execute(
            "SELECT kind, data FROM audit WHERE actor = ? ORDER BY seq", (actor,)
        ).fetchall()
    finally:
        db.close()
    return [(kind, json.loads(data)) for kind, data in rows]


def epc(gtin: str, serial: int) -> bytes:
    """The SGTIN-96 EPC of unit ``serial`` of ``gtin``, as the reader reports it."""
    return bytes.fromhex(sgtin96_hex(gtin, serial))
