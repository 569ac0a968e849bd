"""The core's scan transition with a serial book that follows the shipment values, for tests
of the pure core (the service keeps a ``SerialLedger`` instead).

Each shipment value a scan returns is remembered with the serials counted on the way to it,
so a test that scans, branches from an earlier value or scans the same tag twice sees a
serial counted once per line and epoch, as the service does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from gate.core import shipments as sh
from gate.core.classification import Classification
from gate.core.identifiers import Identifier
from gate.core.shipment_values import Controls, Shipment, Transition

Entry = tuple[str, int, str]

#: id(shipment value) -> (the value, the serials counted on the way to it, each with the
#: units its label stated). Bounded: tests never branch from a value this many scans back.
_COUNTED: dict[int, tuple[Shipment, Mapping[Entry, int]]] = {}
_KEEP = 50_000
_NONE: Mapping[Entry, int] = MappingProxyType({})


class FrozenBook:
    """A ``SerialBook`` over fixed entries: a mapping to the units each counted, or a set
    (each counted at 1 unit)."""

    def __init__(self, entries: Mapping[Entry, int] | Iterable[Entry]) -> None:
        self.units = dict(entries) if isinstance(entries, Mapping) else dict.fromkeys(entries, 1)

    def stated(self, key: str, epoch: int, serial: str) -> int:
        return self.units.get((key, epoch, serial), 0)


def stated(shipment: Shipment) -> Mapping[Entry, int]:
    """The serials counted on the way to ``shipment`` by ``add_scan`` here, with the units
    each counted at."""
    known = _COUNTED.get(id(shipment))
    return known[1] if known is not None and known[0] is shipment else _NONE


def counted(shipment: Shipment) -> frozenset[Entry]:
    """The serials counted on the way to ``shipment`` by ``add_scan`` here."""
    return frozenset(stated(shipment))


def add_scan(
    shipment: Shipment,
    identifier: Identifier,
    classification: Classification | None,
    controls: Controls,
    now: dt.datetime,
    **kwargs: Any,
) -> Transition:
    """``gate.core.shipments.add_scan`` with the book of ``shipment``'s serials."""
    before = stated(shipment)
    t = sh.add_scan(
        shipment, identifier, classification, controls, now, book=FrozenBook(before), **kwargs
    )
    if len(_COUNTED) > _KEEP:
        _COUNTED.clear()
    after = dict(before)
    after.update({(r.key, r.epoch, r.serial): r.units for r in t.serials})
    _COUNTED[id(t.shipment)] = (t.shipment, MappingProxyType(after))
    return t


def carry(before: Shipment, after: Shipment) -> Shipment:
    """``after`` (made from ``before`` by another transition: a removal, a seal) with
    ``before``'s serials, as the service's ledger keeps them whatever changed the shipment."""
    _COUNTED[id(after)] = (after, stated(before))
    return after
