"""Shipments and standing licences as the database keeps them: the storage codec.

A stored document holds facts and codes only: counts (a line's serials are rows of their own,
``gate.storage.serial_rows``, so a document does not grow with them), removals, denials, requests,
approvals, coverage, and each line's last decision as its reason codes, deciding row and the
core's explanation (``detail``, which carries data: a party's name, the data's age). Nothing
here is presentation: the plain-words text of a reason code and the API's derived fields
(``signal``, ``blocking``, a request's ``status``) are rendered at the edges
(``gate.web.shipment_docs``), so rewording the page never changes stored data.

The API document and this one are two renderings of the same values; neither is read back as
the other. ``decode`` also reads documents written before the two were apart (they carried
``reason_text`` and a coverage ``text``, which it ignores).

A rebuilt shipment is evaluated again at start, so what is restored is what the evaluation
needs; the last decision is kept for final shipments, which are history and not re-decided.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Any

from gate.core import json_text
from gate.core.classification import Classification
from gate.core.container_labels import Label
from gate.core.hits import Hit, HitAction, PartyHits
from gate.core.licences import (
    Approval,
    ApprovalDecision,
    Coverage,
    CoverKind,
    LicenceRequest,
    RequestLine,
    StandingLicence,
)
from gate.core.manifest import Manifest, ManifestItem
from gate.core.parties import Party
from gate.core.rules import Decision, LineDecision
from gate.core.shipment_values import (
    FINAL,
    Consignee,
    Line,
    Shipment,
    State,
)


def ts(moment: dt.datetime | None) -> str | None:
    """An instant as stored: RFC 3339 in UTC (``None`` stays ``None``)."""
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


#: How a document written before ``label_counts`` keyed what a unit's label counted beyond
#: its manifest in ``container_counts``: "<SSCC> label".
_OLD_LABEL = " label"


def _container_counts(d: dict[str, Any]) -> frozenset[tuple[str, str, int]]:
    """What each container read counted of its manifest. A document written before they were
    kept gets the records it can vouch for: a container read counted its contents into a
    line that was never removed (epoch 0). A line started again since was counted from the
    first container read after the removal only, so none is recorded for it: each container
    read again counts it again, which may count too many (and holds) rather than too few.
    What a label counted is not among them (``_label_counts``)."""
    kept = d.get("container_counts")
    if kept is not None:
        return frozenset(
            (str(sscc), str(gtin), int(epoch))
            for sscc, gtin, epoch in kept
            if not str(sscc).endswith(_OLD_LABEL)
        )
    epochs = {x["key"]: int(x.get("epoch", 0)) for x in d["lines"]}
    return frozenset(
        (c["sscc"], i["gtin"], 0)
        for c in d["manifest"]
        if c["sscc"] in d["containers"]
        for i in c["contents"]
        if epochs.get(i["gtin"]) == 0
    )


def _label_counts(d: dict[str, Any]) -> frozenset[tuple[str, str, int, int]]:
    """What each label the manifest did not confirm counted, with its units. A document
    written before they were kept recorded that a label counted a GTIN, not how many
    units: those count as 1, so a read of the label claiming more counts all but one unit
    again, too many (which holds) rather than too few."""
    kept = d.get("label_counts")
    if kept is not None:
        return frozenset((str(s), str(g), int(e), int(n)) for s, g, e, n in kept)
    return frozenset(
        (str(key)[: -len(_OLD_LABEL)], str(gtin), int(epoch), 1)
        for key, gtin, epoch in d.get("container_counts") or ()
        if str(key).endswith(_OLD_LABEL)
    )


def parse_ts(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _required_ts(text: str) -> dt.datetime:
    moment = parse_ts(text)
    if moment is None:
        raise ValueError("a stored instant is missing")
    return moment


# --- encoding ------------------------------------------------------------------------------


def _coverage(c: Coverage | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "kind": c.kind.value,
        "licence": c.licence,
        "valid_until": ts(c.valid_until),
        "request_id": c.request_id,
    }


def _classification(c: Classification | None) -> dict[str, Any] | None:
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


def encode_line(line: Line) -> dict[str, Any]:
    """One line as stored."""
    v = line.verdict
    return {
        "key": line.key,
        "quantity": line.quantity,
        "unserialised": line.unserialised,
        "serialised": line.serialised,
        "epoch": line.epoch,
        "decision": v.decision.value,
        "reasons": list(v.reasons),
        "rule": v.rule,
        "detail": v.detail,
        "general_licence": v.general_licence,
        "covered_by": _coverage(line.covered_by),
        "removed": line.removed,
        "denied": line.denied,
        "container": line.container,
        "lookup_error": line.lookup_error,
        "classification": _classification(line.classification),
        "labels": [[x.gtin, x.count, x.listed] for x in line.labels],
    }


def encode_request(r: LicenceRequest) -> dict[str, Any]:
    """A licence request as stored (and journaled)."""
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
                "epoch": x.epoch,
                "reasons": list(x.reasons),
            }
            for x in r.lines
        ],
    }


def encode_approval(a: Approval) -> dict[str, Any]:
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


def party_doc(p: Party) -> dict[str, Any]:
    """A party as stored and shown: ``role``, ``name``, ``country``, ``ids``."""
    return {"role": p.role, "name": p.name, "country": p.country, "ids": dict(p.ids)}


def _decode_party(d: dict[str, Any]) -> Party:
    return Party(d["role"], d["name"], d["country"], tuple((d.get("ids") or {}).items()))


def screening_json(screening: tuple[PartyHits, ...]) -> list[dict[str, Any]]:
    """Each party with its hits, in DESIGN.md's shape (stored and shown alike)."""
    return [
        {
            "party": party_doc(found.party),
            "hits": [
                {
                    "list": h.list,
                    "entry": h.entry,
                    "version": h.version,
                    "name": h.name,
                    "score": h.score,
                    "action": h.action.value,
                    "explanation": h.explanation,
                }
                for h in found.hits
            ],
        }
        for found in screening
    ]


def _decode_screening(rows: list[dict[str, Any]]) -> tuple[PartyHits, ...]:
    return tuple(
        PartyHits(
            _decode_party(row["party"]),
            tuple(
                Hit(
                    h["list"],
                    h["entry"],
                    h["version"],
                    h["name"],
                    h["score"],
                    HitAction(h["action"]),
                    h["explanation"],
                )
                for h in row["hits"]
            ),
        )
        for row in rows
    )


def encode_head(s: Shipment) -> dict[str, Any]:
    """The shipment as stored, without its lines."""
    return {
        "id": s.id,
        "door": s.door,
        "state": s.state.value,
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
        "screening": screening_json(s.screening),
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
        "requests": [encode_request(r) for r in s.requests],
        "approvals": [encode_approval(a) for a in s.approvals],
        "containers": sorted(s.containers),
        "container_counts": [list(x) for x in sorted(s.container_counts)],
        "label_counts": [list(x) for x in sorted(s.label_counts)],
        "created_at": ts(s.created_at),
        "updated_at": ts(s.updated_at),
        "sealed_at": ts(s.sealed_at),
        "closed_at": ts(s.closed_at),
    }


def encode(s: Shipment) -> dict[str, Any]:
    """The whole shipment as stored."""
    return {**encode_head(s), "lines": [encode_line(line) for line in s.lines]}


#: The head's fields a scan changes, written apart from the rest of the head (``ShipmentEncoder``).
_VOLATILE = ("state", "updated_at", "sealed_at", "closed_at")
#: The fields whose values the head's other text is kept for: every field of a shipment but
#: its lines and the volatile ones, so a field added later is covered without a word here.
_STEADY = tuple(
    name for name in Shipment.__slots__ if name not in {*_VOLATILE, "lines", "line_index"}
)


#: Shipments whose texts an encoder keeps, the most recently encoded: the live ones of a busy
#: box with room to spare. Older ones are encoded whole again if they come back. Without a
#: bound the writer process's encoder, which never sees a shipment close (dispatch and cancel
#: are written on the store's thread), would keep every shipment it ever saved.
KEPT_SHIPMENTS = 2048


class ShipmentEncoder:
    """Encodes shipments to the JSON text the database keeps, encoding again only what changed
    since the last time: a line is a value, so the same object gives the same text, and a
    head whose fields other than ``_VOLATILE`` are the same objects gives the same text for
    them. A scan changes one line, the state and the time, so a save costs that line and
    those, not every serial of every line nor the parties and their screening. Keeps the
    texts of ``kept`` shipments at most. Not thread-safe: one encoder per writer.
    """

    def __init__(self, kept: int = KEPT_SHIPMENTS) -> None:
        self.kept = kept
        #: Per shipment, most recently encoded last: each line's text, and the head's.
        self._texts: OrderedDict[
            str, tuple[dict[str, tuple[Line, str]], list[tuple[tuple[Any, ...], str]]]
        ] = OrderedDict()

    def text(self, s: Shipment) -> str:
        texts = self._texts.get(s.id)
        if texts is None:
            texts = self._texts[s.id] = ({}, [])
            if len(self._texts) > self.kept:
                self._texts.popitem(last=False)
        else:
            self._texts.move_to_end(s.id)
        lines, heads = texts
        parts = []
        for line in s.lines:
            cached = lines.get(line.key)
            if cached is None or cached[0] is not line:
                # orjson would write a non-finite float as null; the only float here is a
                # hit's score, checked to lie between 0 and 1 (``gate.core.hits``).
                cached = (line, json_text.dumps(encode_line(line)))
                lines[line.key] = cached
            parts.append(cached[1])
        steady = tuple(getattr(s, name) for name in _STEADY)
        if not heads or not all(a is b for a, b in zip(heads[0][0], steady, strict=True)):
            head = encode_head(s)
            for name in _VOLATILE:
                del head[name]
            heads[:] = [(steady, json_text.dumps(head))]
        if s.state in FINAL:
            del self._texts[s.id]
        volatile = json_text.dumps(
            {
                "state": s.state.value,
                "updated_at": ts(s.updated_at),
                "sealed_at": ts(s.sealed_at),
                "closed_at": ts(s.closed_at),
            }
        )
        return heads[0][1][:-1] + "," + volatile[1:-1] + ',"lines":[' + ",".join(parts) + "]}"

    def __len__(self) -> int:
        """The shipments whose texts are kept."""
        return len(self._texts)


def encode_licence(lic: StandingLicence) -> dict[str, Any]:
    """A standing licence as stored (its ``remaining`` is also a column of its own)."""
    return {
        "number": lic.number,
        "consignee": {
            "name": lic.consignee_name,
            "country": lic.consignee_country,
            "ids": dict(lic.consignee_ids),
        },
        "destination": lic.destination,
        "controls": sorted(lic.controls),
        "quantity": lic.quantity,
        "remaining": lic.remaining,
        "drawn": lic.drawn,
        "valid_from": ts(lic.valid_from),
        "valid_until": ts(lic.valid_until),
        "category_1": lic.category_1,
        "signed_at": lic.signed_at,
    }


# --- decoding ------------------------------------------------------------------------------


def _decode_classification(d: dict[str, Any] | None) -> Classification | None:
    if d is None:
        return None
    return Classification(
        d["key"], d["description"], d["control"], d["category"], d["title"], frozenset(d["flags"])
    )


def _decode_coverage(d: dict[str, Any] | None) -> Coverage | None:
    if d is None:
        return None
    return Coverage(
        CoverKind(d["kind"]), d["licence"], _required_ts(d["valid_until"]), d["request_id"]
    )


def _decode_line(d: dict[str, Any]) -> Line:
    return Line(
        key=d["key"],
        classification=_decode_classification(d["classification"]),
        unserialised=d["unserialised"],
        # Documents before migration 6 listed the serials (which it moved to their table).
        serialised=d["serialised"] if "serialised" in d else len(d["serials"]),
        epoch=d.get("epoch", 0),
        verdict=LineDecision(
            Decision(d["decision"]),
            tuple(d["reasons"]),
            d["rule"],
            d["detail"],
            d.get("general_licence"),
        ),
        covered_by=_decode_coverage(d["covered_by"]),
        removed=d["removed"],
        denied=d["denied"],
        container=d["container"],
        lookup_error=d["lookup_error"],
        # Documents written before labels were kept have none (no read was held for one).
        labels=tuple(Label(gtin, count, listed) for gtin, count, listed in d.get("labels", ())),
    )


def _decode_request(d: dict[str, Any]) -> LicenceRequest:
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
                x.get("epoch", 0),
                tuple(x["reasons"]),
            )
            for x in d["lines"]
        ),
        _required_ts(d["created_at"]),
    )


def _decode_approval(d: dict[str, Any]) -> Approval:
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


def decode(d: dict[str, Any]) -> Shipment:
    """Rebuilds a shipment from a stored document (this codec's, or the older one that was
    also the API's). Raises KeyError, TypeError or ValueError if it is damaged."""
    return Shipment(
        id=d["id"],
        door=d["door"],
        destination=d["destination"],
        consignee=Consignee(
            d["consignee"]["name"],
            d["consignee"]["country"],
            tuple((d["consignee"].get("ids") or {}).items()),
        ),
        # Documents written before parties and end-use codes existed have neither.
        parties=tuple(_decode_party(p) for p in d.get("parties") or ()),
        end_use=d["end_use"],
        end_use_codes=tuple(d.get("end_use_codes") or ()),
        screening=_decode_screening(d.get("screening") or []),
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
        lines=tuple(_decode_line(x) for x in d["lines"]),
        state=State(d["state"]),
        requests=tuple(_decode_request(x) for x in d["requests"]),
        approvals=tuple(_decode_approval(x) for x in d["approvals"]),
        containers=frozenset(d["containers"]),
        container_counts=_container_counts(d),
        label_counts=_label_counts(d),
        created_at=_required_ts(d["created_at"]),
        updated_at=_required_ts(d["updated_at"]),
        sealed_at=parse_ts(d["sealed_at"]),
        closed_at=parse_ts(d["closed_at"]),
    )


def decode_licence(d: dict[str, Any], remaining: int | None = None) -> StandingLicence:
    """Rebuilds a standing licence; ``remaining`` (the column, which dispatches draw down
    after the document was stored) wins over the document's, and the units drawn are the
    document's (all pushes of the number before it) and what the column lost since. A
    document stored before ``drawn`` was kept counts its quantity less its remaining."""
    stored = d["remaining"]
    left = stored if remaining is None else remaining
    drawn = int(d.get("drawn", d["quantity"] - stored)) + stored - left
    return StandingLicence(
        d["number"],
        d["consignee"]["name"],
        d["consignee"]["country"],
        d["destination"],
        frozenset(d["controls"]),
        d["quantity"],
        left,
        _required_ts(d["valid_from"]),
        _required_ts(d["valid_until"]),
        tuple((d["consignee"].get("ids") or {}).items()),
        bool(d.get("category_1", False)),
        int(d.get("signed_at", 0)),
        drawn,
    )
