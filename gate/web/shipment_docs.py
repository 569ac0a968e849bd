"""Shipments and licences as the API and the status page show them: the wire renderer.
Never stored.

``to_doc`` renders a shipment in DESIGN.md's shape (names fixed there) plus what operators
read: each reason code in plain words (``reason_text``), a coverage's description, the door
signal, the blocking lines. The database keeps a document of its own, with codes only
(``gate.storage.shipment_codec``): rewording anything here changes no stored data, and
nothing here is read back.

A standing licence's shape (``licence_doc``) is the ``licence`` event's, so it is owned by
``gate.service.event_shapes`` and only named here, beside the shipment's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from gate.core.classification import Classification
from gate.core.licences import Approval, Coverage, LicenceRequest
from gate.core.shipment_values import Line, Shipment
from gate.errors import Conflict, NotFound
from gate.service.docks import Docks
from gate.service.event_shapes import IDLE, licence_doc
from gate.storage import serial_rows
from gate.storage.outbox_rows import request_lines
from gate.storage.shipment_codec import party_doc, screening_json

__all__ = [
    "REASON_TEXT",
    "approval_doc",
    "classification_doc",
    "coverage_doc",
    "door_doc",
    "licence_doc",
    "line_doc",
    "party_doc",
    "request_doc",
    "screening_json",
    "to_doc",
    "ts",
]

#: Plain-words reasons for operators (the codes are DESIGN.md's).
REASON_TEXT = {
    "cat1_production": "Category I production item: transfer prohibited",
    "embargo": "Listed item and an embargoed destination, transit or party country",
    "denied": "Denied by the central office",
    "sanctioned_party": "A party is on a sanctions or denial-order list",
    "wmd_end_use": "Category I item for a WMD or missile end use",
    "listed_party": "A party is on an entity list or a partner's denial notice",
    "catch_all": "Catch-all: WMD, missile or military end use, or an embargoed country",
    "cat1": "Category I: presumption of denial",
    "cat2": "Category II: licence required",
    "unclassified": "Not in the control table: hold until classified",
    "stale_data": "Control or list data out of date",
    "general_licence": "Category II under a general licence",
    "not_listed": "Not listed",
    "error": "Could not be evaluated: held",
    # Codes of rules version 1, still found on old records.
    "denied_party": "Consignee matches the denial list",
    "stale_list": "Control data out of date",
}


def ts(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


def coverage_doc(c: Coverage | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "kind": c.kind.value,
        "licence": c.licence,
        "valid_until": ts(c.valid_until),
        "request_id": c.request_id,
        "text": c.describe(),
    }


def classification_doc(c: Classification | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "key": c.key,
        "description": c.description,
        "control": c.control,
        "category": c.category,
        "title": c.title,
        "flags": sorted(c.flags),
    }


def serials_href(shipment_id: str, key: str) -> str:
    """Where a line's serials are paged (``GET .../serials?after=&limit=``)."""
    return f"/api/v1/shipments/{quote(shipment_id, safe='')}/lines/{quote(key, safe='')}/serials"


async def serials_doc(
    docks: Docks, shipment_id: str, key: str, after: str, limit: int, epoch: int | None = None
) -> dict[str, Any]:
    """One page of a line's serials in its current epoch, in order: ``serials`` after
    ``after``, at most ``limit``; ``next`` is the ``after`` of the next page, ``None`` on the
    last. ``count`` is the line's count when the page was read. A walk passes the ``epoch``
    its first page named: if the line was unloaded and read again since (a new epoch), the
    page is refused with Conflict rather than mixing the goods that left with those loaded
    after. Raises NotFound, Conflict."""
    shipment = docks.shipment(shipment_id)
    line = next((x for x in shipment.lines if x.key == key), None)
    if line is None:
        raise NotFound(f"shipment {shipment_id!r} has no line {key!r}")
    if epoch is not None and epoch != line.epoch:
        raise Conflict(
            f"line {key} was unloaded and read again since this walk began (epoch {epoch},"
            f" now {line.epoch}): start again without after"
        )
    epoch = line.epoch
    found = await docks.store.read(
        lambda conn: serial_rows.page(conn, shipment_id, key, epoch, after, limit + 1)
    )
    more = len(found) > limit
    page = found[:limit]
    return {
        "shipment": shipment_id,
        "line": key,
        "epoch": epoch,
        "count": line.serialised,
        "serials": page,
        "next": page[-1] if more else None,
    }


def line_doc(shipment_id: str, line: Line) -> dict[str, Any]:
    """A line as the API shows it: its serials as a count and the link that pages them, so
    a document stays small however many units the line holds."""
    v = line.verdict
    return {
        "key": line.key,
        "description": line.description,
        "control": line.control or None,
        "category": line.category,
        "title": line.classification.title if line.classification else None,
        "quantity": line.quantity,
        "serials": {"count": line.serialised, "href": serials_href(shipment_id, line.key)},
        "decision": v.decision.value,
        "reasons": list(v.reasons),
        "reason_text": [REASON_TEXT.get(r, r) for r in v.reasons],
        "rule": v.rule,
        "detail": v.detail,
        "general_licence": v.general_licence,
        "covered_by": coverage_doc(line.covered_by),
        "removed": line.removed,
        "denied": line.denied,
        "container": line.container,
        "unserialised": line.unserialised,
        "lookup_error": line.lookup_error,
        "classification": classification_doc(line.classification),
    }


def request_doc(r: LicenceRequest) -> dict[str, Any]:
    return {
        "request_id": r.request_id,
        "shipment_id": r.shipment_id,
        "created_at": ts(r.created_at),
        "lines": request_lines(r),
    }


def approval_doc(a: Approval) -> dict[str, Any]:
    return {
        "request_id": a.request_id,
        "shipment_id": a.shipment_id,
        "decision": a.decision.value,
        "lines": None if a.lines is None else [{"key": k, "quantity": q} for k, q in a.lines],
        "licence": None
        if a.licence_number is None
        else {"number": a.licence_number, "valid_until": ts(a.valid_until)},
        "reason": a.reason,
    }


def screening_doc(s: Shipment) -> list[dict[str, Any]]:
    """Each party's screening hits as the last decision saw them (empty until decided)."""
    return screening_json(s.screening)


def to_doc(s: Shipment, *, lines: bool = True) -> dict[str, Any]:
    """The shipment in the API's shape; without ``lines`` if asked."""
    answered = {a.request_id: a.decision.value for a in s.approvals}
    doc = {
        "id": s.id,
        "door": s.door,
        "state": s.state.value,
        "signal": s.signal.value,
        "destination": s.destination,
        "consignee": {
            "name": s.consignee.name,
            "country": s.consignee.country,
            "ids": dict(s.consignee.ids),
        },
        "parties": [party_doc(p) for p in s.parties],
        "end_use": s.end_use,
        "end_use_codes": list(s.end_use_codes),
        "transit": list(s.transit),
        "screening": screening_doc(s),
        "manifest": [
            {
                "sscc": sscc,
                "contents": [
                    {"gtin": i.gtin, "quantity": i.quantity, "serials": sorted(i.serials)}
                    for i in items
                ],
            }
            for sscc, items in s.manifest.containers
        ],
        "lines": [line_doc(s.id, line) for line in s.lines],
        "requests": [
            {**request_doc(r), "status": answered.get(r.request_id, "pending")} for r in s.requests
        ],
        "approvals": [approval_doc(a) for a in s.approvals],
        "containers": sorted(s.containers),
        "blocking": [line.key for line in s.blocking],
        "created_at": ts(s.created_at),
        "updated_at": ts(s.updated_at),
        "sealed_at": ts(s.sealed_at),
        "closed_at": ts(s.closed_at),
    }
    if not lines:
        del doc["lines"]
    return doc


def door_doc(docks: Docks, door: str) -> dict[str, Any]:
    """A door in the API's shape: its signal and current shipment. A door with no shipment
    is ``idle``, never ``green`` (green means a cleared shipment stands there). Raises
    NotFound for a door the config does not name."""
    d = docks.doors.get(door)
    if d is None:
        raise NotFound(f"unknown door {door!r}")
    shipment = docks.door_shipment(door)
    return {
        "id": d.id,
        "name": d.name,
        "signal": IDLE if shipment is None else shipment.signal.value,
        "shipment": None
        if shipment is None
        else {"id": shipment.id, "state": shipment.state.value},
    }
