"""Shipments as documents: the API's JSON shape, which is also what the database keeps.

``to_doc`` renders a shipment in DESIGN.md's shape (names fixed there) plus what is needed
to rebuild it after a restart; ``from_doc`` rebuilds it. A rebuilt shipment is evaluated
again at start, so what is restored is what the evaluation needs (counts, serials, removals,
denials, requests, approvals) and the last decision is kept only for display.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from gate.core.classification import Classification
from gate.core.licences import (
    Approval,
    ApprovalDecision,
    Coverage,
    CoverKind,
    LicenceRequest,
    RequestLine,
    StandingLicence,
)
from gate.core.rules import Decision, LineDecision
from gate.core.shipments import FINAL, Consignee, Line, Manifest, ManifestItem, Shipment, State

#: Plain-words reasons for operators (the codes are DESIGN.md's).
REASON_TEXT = {
    "cat1_production": "Category I production item: transfer prohibited",
    "embargo": "Embargoed destination or transit country",
    "denied": "Denied by the central office",
    "denied_party": "Consignee matches the denial list",
    "cat1": "Category I: presumption of denial",
    "cat2": "Category II: licence required",
    "unclassified": "Not in the control table: hold until classified",
    "catch_all": "Catch-all: sensitive end use, destination or consignee",
    "stale_list": "Control data out of date",
    "general_licence": "Category II under a general licence",
    "not_listed": "Not listed",
    "error": "Could not be evaluated: held",
}


def ts(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


def parse_ts(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


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


def line_doc(line: Line) -> dict[str, Any]:
    v = line.verdict
    return {
        "key": line.key,
        "description": line.description,
        "control": line.control or None,
        "category": line.category,
        "title": line.classification.title if line.classification else None,
        "quantity": line.quantity,
        "serials": sorted(line.serials),
        "decision": v.decision.value,
        "reasons": list(v.reasons),
        "reason_text": [REASON_TEXT.get(r, r) for r in v.reasons],
        "rule": v.rule,
        "detail": v.detail,
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
        "lines": [
            {
                "key": x.key,
                "description": x.description,
                "control": x.control,
                "category": x.category,
                "quantity": x.quantity,
                "serials": list(x.serials),
                "reasons": list(x.reasons),
            }
            for x in r.lines
        ],
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


def to_doc(s: Shipment, *, lines: bool = True) -> dict[str, Any]:
    """The shipment in the API's shape (and the database's); without ``lines`` if asked."""
    answered = {a.request_id: a.decision.value for a in s.approvals}
    doc = {
        "id": s.id,
        "door": s.door,
        "state": s.state.value,
        "signal": s.signal.value,
        "destination": s.destination,
        "consignee": {"name": s.consignee.name, "country": s.consignee.country},
        "end_use": s.end_use,
        "transit": list(s.transit),
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
        "lines": [line_doc(line) for line in s.lines],
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


class DocRenderer:
    """Renders shipments to the JSON text the database keeps, rendering again only the lines
    that changed since the last time: a line is a value, so the same object gives the same
    text. A scan changes one line, so a save costs that line plus the shipment's head, not
    every serial of every line. Not thread-safe: one renderer per writer thread.
    """

    def __init__(self) -> None:
        self._lines: dict[tuple[str, str], tuple[Line, str]] = {}

    def text(self, s: Shipment) -> str:
        parts = []
        for line in s.lines:
            key = (s.id, line.key)
            cached = self._lines.get(key)
            if cached is None or cached[0] is not line:
                cached = (line, json.dumps(line_doc(line)))
                self._lines[key] = cached
            parts.append(cached[1])
        if s.state in FINAL:
            for line in s.lines:
                self._lines.pop((s.id, line.key), None)
        head = json.dumps(to_doc(s, lines=False))
        return head[:-1] + ', "lines": [' + ", ".join(parts) + "]}"


def _classification(d: dict[str, Any] | None) -> Classification | None:
    if d is None:
        return None
    return Classification(
        d["key"], d["description"], d["control"], d["category"], d["title"], frozenset(d["flags"])
    )


def _coverage(d: dict[str, Any] | None) -> Coverage | None:
    if d is None:
        return None
    valid = parse_ts(d["valid_until"])
    assert valid is not None
    return Coverage(CoverKind(d["kind"]), d["licence"], valid, d["request_id"])


def _line(d: dict[str, Any]) -> Line:
    return Line(
        key=d["key"],
        classification=_classification(d["classification"]),
        unserialised=d["unserialised"],
        serials=frozenset(d["serials"]),
        verdict=LineDecision(Decision(d["decision"]), tuple(d["reasons"]), d["rule"], d["detail"]),
        covered_by=_coverage(d["covered_by"]),
        removed=d["removed"],
        denied=d["denied"],
        container=d["container"],
        lookup_error=d["lookup_error"],
    )


def _request(d: dict[str, Any]) -> LicenceRequest:
    created = parse_ts(d["created_at"])
    assert created is not None
    return LicenceRequest(
        d["request_id"],
        d["shipment_id"],
        tuple(
            RequestLine(
                x["key"],
                x["description"],
                x["control"],
                x["category"],
                x["quantity"],
                tuple(x["serials"]),
                tuple(x["reasons"]),
            )
            for x in d["lines"]
        ),
        created,
    )


def _approval(d: dict[str, Any]) -> Approval:
    licence = d["licence"]
    return Approval(
        request_id=d["request_id"],
        shipment_id=d["shipment_id"],
        decision=ApprovalDecision(d["decision"]),
        lines=None if d["lines"] is None else tuple((x["key"], x["quantity"]) for x in d["lines"]),
        licence_number=None if licence is None else licence["number"],
        valid_until=None if licence is None else parse_ts(licence["valid_until"]),
        reason=d["reason"],
    )


def from_doc(d: dict[str, Any]) -> Shipment:
    """Rebuilds a shipment from ``to_doc``'s output. Raises KeyError/ValueError if damaged."""
    created, updated = parse_ts(d["created_at"]), parse_ts(d["updated_at"])
    assert created is not None and updated is not None
    return Shipment(
        id=d["id"],
        door=d["door"],
        destination=d["destination"],
        consignee=Consignee(d["consignee"]["name"], d["consignee"]["country"]),
        end_use=d["end_use"],
        transit=tuple(d["transit"]),
        manifest=Manifest(
            tuple(
                (
                    c["sscc"],
                    tuple(
                        ManifestItem(i["gtin"], i["quantity"], frozenset(i["serials"]))
                        for i in c["contents"]
                    ),
                )
                for c in d["manifest"]
            )
        ),
        lines=tuple(_line(x) for x in d["lines"]),
        state=State(d["state"]),
        requests=tuple(_request(x) for x in d["requests"]),
        approvals=tuple(_approval(x) for x in d["approvals"]),
        containers=frozenset(d["containers"]),
        created_at=created,
        updated_at=updated,
        sealed_at=parse_ts(d["sealed_at"]),
        closed_at=parse_ts(d["closed_at"]),
    )


def licence_doc(lic: StandingLicence) -> dict[str, Any]:
    return {
        "number": lic.number,
        "consignee": {"name": lic.consignee_name, "country": lic.consignee_country},
        "destination": lic.destination,
        "controls": sorted(lic.controls),
        "quantity": lic.quantity,
        "remaining": lic.remaining,
        "valid_from": ts(lic.valid_from),
        "valid_until": ts(lic.valid_until),
    }


def licence_from_doc(d: dict[str, Any], remaining: int | None = None) -> StandingLicence:
    vf, vu = parse_ts(d["valid_from"]), parse_ts(d["valid_until"])
    assert vf is not None and vu is not None
    return StandingLicence(
        d["number"],
        d["consignee"]["name"],
        d["consignee"]["country"],
        d["destination"],
        frozenset(d["controls"]),
        d["quantity"],
        d["remaining"] if remaining is None else remaining,
        vf,
        vu,
    )
