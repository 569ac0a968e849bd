"""Which serials each live shipment's lines have counted: the docks' ``SerialBook``.

A portal reports every tag of a truck many times; a serial must count once per line (per
epoch: a removed line read again starts over). The shipment values keep only the count, so a
shipment of 100,000 tagged units costs a scan what the first unit did. The serials themselves
are rows (``gate.storage.serial_rows``), and this ledger holds, per shipment, the set of
(line key, epoch, serial) that the next decision must treat as counted.

It follows the docks' one rule, memory never runs ahead of the database, the way
``LiveState`` does, and with the same two layers folded into one set:

* a scan's new serials enter the set when it is **decided** (``add``), so the next scan,
  even in the same batch, sees them;
* if the scan's write then fails, they leave it again (``drop``), in the same step in which
  its shipment value is unstaged (``Change.rolled_back``), before any other decision runs.
  A decision made in between built on the failed value and is refused by the write guard
  (``LiveState.guard``), so its own serials are dropped too: the set equals the database
  plus what is being written, at every point a decision can see it.

Loading is lazy: a shipment's set is read from the database the first time a scan needs it
(``missing`` then ``install``), so a restart reads no serials at all. No scan of a shipment is
decided before its set is installed (``book`` raises instead), so the rows read are complete;
two loads racing for one shipment keep the first set installed, which may have grown since.
Sets of shipments no longer at a door (final ones) are let go (``retain``).
"""

from __future__ import annotations

from collections.abc import Iterable

from gate.core.shipment_values import SerialBook, SerialRead

#: (line key, epoch, serial)
Entry = tuple[str, int, str]


class SerialLedger:
    """Counted serials of the shipments that scans are arriving for."""

    def __init__(self) -> None:
        self._sets: dict[str, set[Entry]] = {}

    def missing(self, shipments: Iterable[str]) -> list[str]:
        """The shipments among ``shipments`` whose set is not loaded yet."""
        return [sid for sid in dict.fromkeys(shipments) if sid not in self._sets]

    def install(self, shipment: str, rows: Iterable[Entry]) -> None:
        """Takes a shipment's stored serials; a set already installed (by a concurrent
        load, and perhaps added to since) is kept."""
        if shipment not in self._sets:
            self._sets[shipment] = set(rows)

    def book(self, shipment: str) -> SerialBook:
        """The core's view of one shipment. Raises KeyError when its set is not loaded (a
        decision must never take "not loaded" for "not counted")."""
        return _Book(self._sets[shipment])

    def add(self, shipment: str, reads: Iterable[SerialRead]) -> None:
        """Enters serials just decided as counted (being written)."""
        entries = self._sets[shipment]
        for r in reads:
            entries.add((r.key, r.epoch, r.serial))

    def drop(self, shipment: str, reads: Iterable[SerialRead]) -> None:
        """Takes out serials whose write failed."""
        entries = self._sets.get(shipment)
        if entries is not None:
            for r in reads:
                entries.discard((r.key, r.epoch, r.serial))

    def retain(self, live: Iterable[str]) -> None:
        """Keeps the sets of the ``live`` shipments only (the ones at a door: a final
        shipment counts nothing more)."""
        keep = set(live)
        for sid in [sid for sid in self._sets if sid not in keep]:
            del self._sets[sid]

    def loaded(self) -> int:
        """How many shipments' sets are held (for tests and metrics)."""
        return len(self._sets)


class _Book:
    __slots__ = ("_entries",)

    def __init__(self, entries: set[Entry]) -> None:
        self._entries = entries

    def counted(self, key: str, epoch: int, serial: str) -> bool:
        return (key, epoch, serial) in self._entries
