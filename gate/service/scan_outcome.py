"""One scan's outcome: built once, as a typed value, and rendered once each to the wire
result, the audit record, the live event and the stored row.

A scan id's first use (``FirstUse``: what was scanned, when, and this outcome) is what a
later scan under the same id is compared with: the same scan again is a retry, answered with
the first outcome; anything else is a reuse of the id, refused (``reuse_error``).

The wire result is DESIGN.md's "scan answer" (field names fixed there, plus ``description``,
``line``, ``counted`` and, for a rejection, ``field``); a duplicate repeats the first answer
with ``status: "duplicate"`` and ``first_status``. The stored row (the ``scans.result`` column) is
this module's own codec: ``from_record`` reads it back after a restart to answer a retry, and
also reads rows written when the column held the wire result itself.

``counted`` is the number of units the scan added to its shipment (0 for a re-read of a
serial, or of a container, counted already); only an accepted answer has it. A row stored
before it was kept has none: a retry of that scan answers ``"counted": null`` (not known),
never a number it cannot vouch for.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gate.core.classification import Classification
from gate.core.frozen_init import quick_init
from gate.core.hits import Hit
from gate.core.identifiers import Identifier
from gate.core.shipment_values import Line, Shipment, Signal
from gate.service.event_shapes import IDLE
from gate.storage.scan_rows import ScanRow


class ScanStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


# Enum members' ``.value`` is a descriptor call; a StrEnum member's ``str`` is its value and
# several times cheaper, which counts in what every scan renders.
_ACCEPTED = ScanStatus.ACCEPTED.value
_REJECTED = ScanStatus.REJECTED.value


@quick_init
@dataclass(frozen=True, slots=True)
class ItemSeen:
    """The decoded item as the answer shows it; ``content`` and ``count`` are a logistics
    unit's AI (02) and AI (37), what its label says it holds."""

    kind: str
    key: str | None
    serial: str | None
    sscc: str | None
    batch: str | None
    content: str | None = None
    count: int | None = None

    @classmethod
    def of(cls, item: Identifier) -> ItemSeen:
        return cls(
            item.kind, item.key, item.serial, item.sscc, item.batch, item.content, item.count
        )


@quick_init
@dataclass(frozen=True, slots=True)
class Listed:
    """The classification of a listed item (an unlisted one shows none)."""

    control: str
    category: int | None
    title: str
    flags: tuple[str, ...]


@quick_init
@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """What became of one scan. ``reader``, ``door`` and ``code`` are as received (for the
    audit); ``door_id``/``signal`` the door the answer reports, if any. ``lookup_error`` says
    the table failed to answer for the item (the line is then held with reason ``error``).
    ``first_status`` is set on a duplicate: the status the first answer had."""

    scan_id: str | None
    status: ScanStatus
    reader: str | None = None
    door: str | None = None
    code: str | None = None
    error: str | None = None
    field: str | None = None
    item: ItemSeen | None = None
    listed: Listed | None = None
    description: str | None = None
    lookup_error: str | None = None
    decision: str | None = None
    reasons: tuple[str, ...] = ()
    line_key: str | None = None
    line_quantity: int | None = None
    #: The units this scan added to the shipment (accepted only; None: stored before kept).
    counted: int | None = None
    shipment_id: str | None = None
    shipment_state: str | None = None
    door_id: str | None = None
    signal: str | None = None
    first_status: ScanStatus | None = None
    #: The deciding row of the line, its explanation, and what covers the line (the audit).
    rule: int | None = None
    detail: str | None = None
    cover: tuple[str | None, str | None] = (None, None)  # (licence, general licence)
    #: Each list hit of the shipment's parties: (the party's role, its name, the hit).
    hits: tuple[tuple[str, str, Hit], ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status is ScanStatus.ACCEPTED

    # --- building ---------------------------------------------------------------------------

    @classmethod
    def rejected(
        cls,
        scan_id: str | None,
        error: str,
        field: str,
        *,
        reader: str | None = None,
        door: str | None = None,
        code: str | None = None,
        item: Identifier | None = None,
        door_signal: tuple[str, Signal | None] | None = None,
        shipment: Shipment | None = None,
    ) -> ScanOutcome:
        return cls(
            scan_id,
            ScanStatus.REJECTED,
            reader=reader,
            door=door,
            code=code,
            error=error,
            field=field,
            item=None if item is None else ItemSeen.of(item),
            shipment_id=None if shipment is None else shipment.id,
            shipment_state=None if shipment is None else shipment.state.value,
            door_id=None if door_signal is None else door_signal[0],
            signal=None if door_signal is None else _signal_value(door_signal[1]),
        )

    @classmethod
    def accepted_into(
        cls,
        scan_id: str,
        reader: str,
        door: str,
        code: str,
        item: Identifier,
        classification: Classification | None,
        lookup_error: str | None,
        line: Line | None,
        shipment: Shipment,
        signal: Signal,
        *,
        counted: int,
    ) -> ScanOutcome:
        listed = None
        if classification is not None and classification.listed:
            listed = Listed(
                classification.control,
                classification.category,
                classification.title,
                tuple(sorted(classification.flags)),
            )
        return cls(
            scan_id,
            ScanStatus.ACCEPTED,
            reader=reader,
            door=door,
            code=code,
            item=ItemSeen.of(item),
            listed=listed,
            description=None if classification is None else classification.description,
            lookup_error=lookup_error,
            decision=None if line is None else str(line.decision),
            reasons=() if line is None else line.reasons,
            line_key=None if line is None else line.key,
            line_quantity=None if line is None else line.quantity,
            counted=counted,
            shipment_id=shipment.id,
            shipment_state=str(shipment.state),
            door_id=shipment.door,
            signal=str(signal),
            rule=None if line is None else line.verdict.rule,
            detail=None if line is None else line.verdict.detail,
            cover=(None, None) if line is None else _cover(line),
            hits=_hits(shipment),
        )

    def duplicate(self) -> ScanOutcome:
        """The answer to a retry of this scan: this one again, marked as a duplicate."""
        first = self.first_status or self.status
        return dataclasses.replace(self, status=ScanStatus.DUPLICATE, first_status=first)

    # --- rendering --------------------------------------------------------------------------

    def _item(self) -> dict[str, Any] | None:
        i = self.item
        if i is None:
            return None
        return {
            "kind": i.kind,
            "key": i.key,
            "serial": i.serial,
            "sscc": i.sscc,
            "batch": i.batch,
            "content": i.content,
            "count": i.count,
        }

    def _shipment(self) -> dict[str, Any] | None:
        if self.shipment_id is None:
            return None
        return {"id": self.shipment_id, "state": self.shipment_state}

    def _door(self) -> dict[str, Any] | None:
        return None if self.door_id is None else {"id": self.door_id, "signal": self.signal}

    def _classification(self) -> dict[str, Any] | None:
        c = self.listed
        if c is None:
            return None
        return {
            "control": c.control,
            "category": c.category,
            "title": c.title,
            "flags": list(c.flags),
        }

    def to_wire(self) -> dict[str, Any]:
        """The scan answer (DESIGN.md), the same over HTTP, the scanner socket and readers."""
        status = self.first_status if self.status is ScanStatus.DUPLICATE else self.status
        doc: dict[str, Any]
        if status is ScanStatus.REJECTED:
            doc = {
                "scan_id": self.scan_id,
                "status": _REJECTED,
                "error": self.error,
                "field": self.field,
                "item": self._item(),
                "classification": None,
                "decision": None,
                "reasons": [],
                "shipment": self._shipment(),
                "door": self._door(),
            }
        else:
            doc = {
                "scan_id": self.scan_id,
                "status": _ACCEPTED,
                "item": self._item(),
                "classification": self._classification(),
                "description": self.description,
                "decision": self.decision,
                "reasons": list(self.reasons),
                "line": None
                if self.line_key is None
                else {"key": self.line_key, "quantity": self.line_quantity},
                "counted": self.counted,
                "shipment": self._shipment(),
                "door": self._door(),
            }
        if self.status is ScanStatus.DUPLICATE:
            doc["status"] = ScanStatus.DUPLICATE.value
            doc["first_status"] = status.value if status is not None else None
        return doc

    def to_audit(self) -> dict[str, Any]:
        """The ``scan`` audit record's data: what came in and what was decided, in codes. A
        failed table lookup is named as such (``lookup_error``), never as an unlisted item."""
        i = self.item
        return {
            "scan_id": self.scan_id,
            "reader": self.reader,
            "door": self.door,
            "code": self.code,
            "status": str(self.status),
            "error": self.error,
            "key": None if i is None else i.key,
            "serial": None if i is None else i.serial,
            "decision": self.decision,
            "reasons": list(self.reasons),
            "lookup_error": self.lookup_error,
            "state": self.shipment_state,
            "rule": self.rule,
            "detail": self.detail,
            "licence": self.cover[0],
            "general_licence": self.cover[1],
            **({"hits": [_hit_record(h) for h in self.hits]} if self.hits else {}),
        }

    def to_event(self) -> dict[str, Any]:
        """The ``scan`` event (one shape for every status: ``counted`` null when rejected)."""
        return {
            "scan_id": self.scan_id,
            "status": str(self.status),
            "error": self.error,
            "item": self._item(),
            "decision": self.decision,
            "reasons": list(self.reasons),
            "counted": self.counted,
            "shipment": self._shipment(),
            "door": self._door(),
        }

    # --- the stored row ---------------------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        """The ``scans.result`` row: enough to give the same answer to a retry."""
        c = self.listed
        return {
            "v": 2,
            "scan_id": self.scan_id,
            "status": str(self.status),
            "error": self.error,
            "field": self.field,
            "item": self._item(),
            "listed": None
            if c is None
            else {
                "control": c.control,
                "category": c.category,
                "title": c.title,
                "flags": list(c.flags),
            },
            "description": self.description,
            "lookup_error": self.lookup_error,
            "decision": self.decision,
            "reasons": list(self.reasons),
            "line": None
            if self.line_key is None
            else {"key": self.line_key, "quantity": self.line_quantity},
            "counted": self.counted,
            "shipment": self._shipment(),
            "door": self._door(),
        }

    @classmethod
    def from_record(cls, d: Mapping[str, Any]) -> ScanOutcome:
        """Reads a stored row: this codec's, or an older one that held the wire result.
        Raises KeyError, TypeError or ValueError if it is damaged."""
        item = d.get("item")
        listed = d.get("listed", d.get("classification"))
        line = d.get("line")
        shipment = d.get("shipment")
        door = d.get("door")
        return cls(
            d.get("scan_id"),
            ScanStatus(d["status"]),
            error=d.get("error"),
            field=d.get("field"),
            item=None
            if item is None
            else ItemSeen(
                item["kind"],
                item["key"],
                item["serial"],
                item["sscc"],
                item.get("batch"),
                item.get("content"),
                item.get("count"),
            ),
            listed=None
            if listed is None
            else Listed(
                listed["control"], listed["category"], listed["title"], tuple(listed["flags"])
            ),
            description=d.get("description"),
            lookup_error=d.get("lookup_error"),
            decision=d.get("decision"),
            reasons=tuple(d.get("reasons") or ()),
            line_key=None if line is None else line["key"],
            line_quantity=None if line is None else line["quantity"],
            counted=d.get("counted"),
            shipment_id=None if shipment is None else shipment["id"],
            shipment_state=None if shipment is None else shipment["state"],
            door_id=None if door is None else door["id"],
            signal=None if door is None else door["signal"],
        )


@quick_init
@dataclass(frozen=True, slots=True)
class FirstUse:
    """A scan id's first use: what was scanned (what a retry must repeat), when (``at``, RFC
    3339) and the outcome given. ``exact`` is False for a scan stored before kind and shipment
    were kept: a later scan is then compared on door and code only."""

    door: str | None
    code: str | None
    kind: str | None
    shipment: str | None
    at: str
    outcome: ScanOutcome
    exact: bool = True

    def differences(
        self, door: str, code: str, kind: str | None, shipment: str | None
    ) -> list[str]:
        """The fields in which a scan under the same id differs from this one; none means
        it is a retry of it. The reader and the time of the scan are not compared: a fixed
        reader re-sends a read under the same id with a later ``ts`` (readers/dedupe.py)."""
        pairs: list[tuple[str, str | None, str | None]] = [
            ("code", self.code, code),
            ("door", self.door, door),
        ]
        if self.exact:
            pairs += [("kind", self.kind, kind), ("shipment", self.shipment, shipment)]
        return [name for name, first, again in pairs if first != again]

    def reuse_error(self, scan_id: str, reader: str, differs: list[str]) -> str:
        """The rejection of a different scan under this id, naming the first use."""
        shipment = "" if self.shipment is None else f" for shipment {self.shipment!r}"
        return (
            f"scan id {scan_id!r} of reader {reader!r} was already used at {self.at} for code"
            f" {self.code!r} at door {self.door!r}{shipment} (answered"
            f" {self.outcome.status.value}); this scan differs in {', '.join(differs)}, so it"
            " was not recorded: send it again"
            " under a new scan id"
        )

    def to_audit(self) -> dict[str, Any]:
        """The first use as the ``scan.id_reused`` audit record names it."""
        return {
            "at": self.at,
            "door": self.door,
            "code": self.code,
            "kind": self.kind,
            "shipment": self.shipment,
            "status": (self.outcome.first_status or self.outcome.status).value,
            "shipment_id": self.outcome.shipment_id,
        }


def _cover(line: Line) -> tuple[str | None, str | None]:
    covered = line.covered_by
    return (None if covered is None else covered.licence, line.verdict.general_licence)


def _hits(shipment: Shipment) -> tuple[tuple[str, str, Hit], ...]:
    if not shipment.screening:
        return ()
    return tuple(
        (found.party.role, found.party.name, h) for found in shipment.screening for h in found.hits
    )


def _hit_record(hit: tuple[str, str, Hit]) -> dict[str, Any]:
    """Which party matched which entry of which list, how closely, and what the list does."""
    role, party, h = hit
    return {
        "role": role,
        "party": party,
        "list": h.list,
        "entry": h.entry,
        "version": h.version,
        "name": h.name,
        "score": h.score,
        "action": h.action.value,
    }


def _signal_value(signal: Signal | None) -> str:
    """A door's signal on the wire: ``idle`` when no shipment stands there."""
    return IDLE if signal is None else signal.value


#: A scan id's first use as memory keeps it: door, code, kind, shipment, received at, the
#: stored outcome record (JSON) and whether kind and shipment were kept (``FirstUse.exact``).
#: A tuple of text, not objects: the collector stops walking it after one look.
Remembered = tuple[str | None, str | None, str | None, str | None, str, str, bool]


def remembered(row: ScanRow) -> Remembered:
    """A stored scan as memory keeps it."""
    return (row.door, row.code, row.kind, row.shipment, row.received_at, row.result, row.exact)


def first_use(remembered: Remembered) -> FirstUse:
    """A remembered scan as the first use a later scan under its id is compared with (its
    outcome read back from the stored record, as after a restart)."""
    door, code, kind, shipment, at, record, exact = remembered
    return FirstUse(
        door, code, kind, shipment, at, ScanOutcome.from_record(json.loads(record)), exact
    )
