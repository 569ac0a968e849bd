"""The live events the docks publish, one shape per kind (the ``scan`` event is
``ScanOutcome.to_event``).

- ``shipment``: ``{"id", "door", "state", "signal", "previous_state"}`` for every change of a
  shipment, whatever made it (``previous_state`` is ``None`` for a new shipment). Scans and
  operations publish this same shape.
- ``door``: ``{"id", "signal", "shipment"}`` when a door's signal or shipment changes.
- ``door_hold``: ``{"door", "held", "hold"}`` when a door is held (goods passed without a
  readable tag; ``hold`` is ``{"door", "reason", "reader", "at"}``) or its hold is
  acknowledged (``held`` false, ``hold`` None): gate.service.door_holds.
- ``alert``: ``{"level", "text"}`` plus ``door`` and ``shipment`` when it concerns one, and
  ``kind`` naming what raised it; ``listener`` for a listening socket lost or listening again
  (``listener_alert``).
- ``request``: ``{"shipment", "request_id"}`` when a licence request is queued.
- ``licence``: a standing licence in the API's shape, when one is pushed or drawn on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gate.core.licences import StandingLicence
from gate.core.shipment_values import Shipment, Signal


def shipment_event(before: Shipment | None, after: Shipment, signal: Signal) -> dict[str, Any]:
    return {
        "id": after.id,
        "door": after.door,
        "state": after.state.value,
        "signal": signal.value,
        "previous_state": None if before is None else before.state.value,
    }


#: The signal of a door with no shipment: never green (green means a cleared shipment).
IDLE = "idle"


def door_event(door: str, signal: Signal | None, shipment_id: str | None) -> dict[str, Any]:
    """A door's signal and shipment; ``signal`` None means no shipment stands there (idle)."""
    return {
        "id": door,
        "signal": IDLE if signal is None else signal.value,
        "shipment": None if signal is None else shipment_id,
    }


def door_hold_event(door: str, hold: dict[str, Any] | None) -> dict[str, Any]:
    """A door held (``hold`` its document) or released (None)."""
    return {"door": door, "held": hold is not None, "hold": hold}


def door_held_alert(door: str, reason: str, reader: str, windows: int = 1) -> dict[str, Any]:
    again = "" if windows <= 1 else f" again ({windows} empty windows since it was held)"
    return {
        "level": "critical",
        "kind": "door_held",
        "door": door,
        "windows": windows,
        "text": f"Door {door} held{again}: {reason} (reader {reader}); check the goods, then"
        " acknowledge",
    }


def prohibited_alert(door: str, key: str | None, shipment_id: str | None) -> dict[str, Any]:
    return {
        "level": "critical",
        "kind": "prohibited_scan",
        "door": door,
        "key": key,
        "text": f"Prohibited item scanned at {door}: {key}",
        "shipment": shipment_id,
    }


def scan_id_reused_alert(door: str, error: str, shipment_id: str | None) -> dict[str, Any]:
    """A scan refused because its id was used for another scan: the item was not recorded."""
    return {
        "level": "critical",
        "kind": "scan_id_reused",
        "door": door,
        "text": f"A scan at {door} was refused and not recorded: {error}",
        "shipment": shipment_id,
    }


def storage_alert(text: str) -> dict[str, Any]:
    return {"level": "critical", "text": text}


def listener_alert(listener: str, lost: bool, text: str) -> dict[str, Any]:
    """A listening socket (``http``, ``scanner``) lost (critical) or listening again (info:
    clears the page's ``listener_lost`` alerts)."""
    kind, level = ("listener_lost", "critical") if lost else ("listener_restored", "info")
    return {"level": level, "kind": kind, "text": text, "listener": listener}


def reader_listener_alert(reader: str, door: str, lost: bool, text: str) -> dict[str, Any]:
    """A text-TCP reader's listening socket lost (critical) or listening again (info: clears
    the page's ``reader_listener_lost`` alerts)."""
    if lost:
        kind, level = "reader_listener_lost", "critical"
    else:
        kind, level = "reader_listener_restored", "info"
    return {"level": level, "kind": kind, "text": text, "reader": reader, "door": door}


def request_event(shipment_id: str, request_id: str) -> dict[str, Any]:
    return {"shipment": shipment_id, "request_id": request_id}


def licence_doc(lic: StandingLicence) -> dict[str, Any]:
    """A standing licence in the API's shape: the ``licence`` event, and ``GET /licences``
    (``gate.web.shipment_docs`` names it for the API)."""
    return {
        "number": lic.number,
        "consignee": {
            "name": lic.consignee_name,
            "country": lic.consignee_country,
            "ids": dict(lic.consignee_ids),
        },
        "category_1": lic.category_1,
        "destination": lic.destination,
        "controls": sorted(lic.controls),
        "quantity": lic.quantity,
        "remaining": lic.remaining,
        "valid_from": _instant(lic.valid_from),
        "valid_until": _instant(lic.valid_until),
    }


def _instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()
