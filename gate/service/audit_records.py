"""What the journal's shipment records say, so that each one stands alone for an auditor.

A compliance officer reads the journal years later, without the gate and without its
database: a ``shipment.dispatched`` record therefore names every line that left, with its
quantity, its serials (their count and a digest) and what let it leave (a standing licence,
the office's approval, or a general licence), and who dispatched it; a ``line.removed``
record names the quantity unloaded; a record that leaves a shipment held or blocked names the
lines that stop it and why.

The serials' digest (``serials_sha256``) is the lowercase hex SHA-256 of the line's serials
in its current epoch, sorted by code point, each followed by a newline, UTF-8 encoded: what
``LC_ALL=C sort serials.txt | sha256sum`` prints for a file holding them one per line. It is
``null`` for a line without serials. The serials are read from the ``serials`` table in the
dispatch's own transaction, so the digest is that of what the store holds as dispatched.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from gate.core.shipment_values import Line, Shipment, State
from gate.storage import serial_rows

#: States whose records name the lines that stop the shipment.
_STOPPED = frozenset({State.HELD, State.BLOCKED})


def serials_digest(serials: Iterable[str]) -> str | None:
    """The digest of a line's serials (module docstring); ``None`` for none."""
    ordered = sorted(serials)
    if not ordered:
        return None
    return hashlib.sha256("".join(f"{s}\n" for s in ordered).encode()).hexdigest()


def cover_of(line: Line) -> dict[str, Any]:
    """What let a line leave: ``cover`` is ``standing``, ``approval``, ``general_licence`` or
    ``none`` (the line needed nothing), with the licence number, request id and general
    licence that apply."""
    covered = line.covered_by
    general = line.verdict.general_licence
    kind = "general_licence" if general else "none"
    if covered is not None:
        kind = covered.kind.value
    return {
        "cover": kind,
        "licence": None if covered is None else covered.licence,
        "request_id": None if covered is None else covered.request_id,
        "general_licence": general,
    }


def line_record(line: Line) -> dict[str, Any]:
    """A line as a record names it (without its serials)."""
    return {
        "key": line.key,
        "description": line.description,
        "control": line.control,
        "category": line.category,
        "quantity": line.quantity,
        "decision": line.decision.value,
        "reasons": list(line.reasons),
        "rule": line.verdict.rule,
        **cover_of(line),
    }


def dispatched_lines(shipment: Shipment) -> Callable[[sqlite3.Connection], dict[str, Any]]:
    """The part of the ``shipment.dispatched`` record read in the dispatch's transaction:
    the shipment's route and every line that left, with its serials' count and digest."""

    def read(conn: sqlite3.Connection) -> dict[str, Any]:
        lines = []
        for line in shipment.active_lines:
            serials = serial_rows.of_line(conn, shipment.id, line.key, line.epoch)
            lines.append(
                {
                    **line_record(line),
                    "serials": len(serials),
                    "serials_sha256": serials_digest(serials),
                }
            )
        c = shipment.consignee
        return {
            "door": shipment.door,
            "destination": shipment.destination,
            "consignee": {"name": c.name, "country": c.country},
            "lines": lines,
            "units": sum(x["quantity"] for x in lines),
        }

    return read


def removed_record(before: Shipment, key: str) -> dict[str, Any]:
    """The ``line.removed`` record: the line's key and what was unloaded."""
    line = before.line(key)
    if line is None:  # the core refuses it; the record still says what was asked
        return {"key": key}
    return {
        "key": key,
        "quantity": line.quantity,
        "serials": line.serialised,
        "description": line.description,
        "control": line.control,
    }


def stopping_record(after: Shipment) -> Mapping[str, Any]:
    """For a held or blocked shipment, the lines that stop it and why (else nothing)."""
    if after.state not in _STOPPED:
        return {}
    return {
        "blocking": [
            {
                "key": x.key,
                "decision": x.decision.value,
                "reasons": list(x.reasons),
                "rule": x.verdict.rule,
                "detail": x.verdict.detail,
            }
            for x in after.blocking
        ]
    }
