"""The core's scan transition with a serial book that follows the shipment values, for tests
of the pure core (the service keeps a ``SerialLedger`` instead).

Each shipment value a scan returns is remembered with the serials counted on the way to it,
so a test that scans, branches from an earlier value or scans the same tag twice sees a
serial counted once per line and epoch, as the service does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gate.core import shipments as sh
from gate.core.classification import Classification
from gate.core.identifiers import Identifier
from gate.core.shipment_values import Controls, Shipment, Transition

Entry = tuple[str, int, str]

#: id(shipment value) -> (the value, the serials counted on the way to it). Bounded: tests
#: never branch from a value this many scans back.
_COUNTED: dict[int, tuple[Shipment, frozenset[Entry]]] = {}
_KEEP = 50_000


class FrozenBook:
    """A ``SerialBook`` over a fixed set."""

    def __init__(self, entries: frozenset[Entry]) -> None:
        self.entries = entries

    def counted(self, key: str, epoch: int, serial: str) -> bool:
        return (key, epoch, serial) in self.entries


def counted(shipment: Shipment) -> frozenset[Entry]:
    """The serials counted on the way to ``shipment`` by ``add_scan`` here."""
    known = _COUNTED.get(id(shipment))
    return known[1] if known is not None and known[0] is shipment else frozenset()


def add_scan(
    shipment: Shipment,
    identifier: Identifier,
    classification: Classification | None,
    controls: Controls,
    now: dt.datetime,
    **kwargs: Any,
) -> Transition:
    """``gate.core.shipments.add_scan`` with the book of ``shipment``'s serials."""
    before = counted(shipment)
    t = sh.add_scan(
        shipment, identifier, classification, controls, now, book=FrozenBook(before), **kwargs
    )
    if len(_COUNTED) > _KEEP:
        _COUNTED.clear()
    _COUNTED[id(t.shipment)] = (
        t.shipment,
        before | {(r.key, r.epoch, r.serial) for r in t.serials},
    )
    return t


def carry(before: Shipment, after: Shipment) -> Shipment:
    """``after`` (made from ``before`` by another transition: a removal, a seal) with
    ``before``'s serials, as the service's ledger keeps them whatever changed the shipment."""
    _COUNTED[id(after)] = (after, counted(before))
    return after
