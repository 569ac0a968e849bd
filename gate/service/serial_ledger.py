"""Which serials each live shipment's lines have counted, and at how many units: the docks'
``SerialBook``.

A portal reports every tag of a truck many times; a serial must count once per line (per
epoch: a removed line read again starts over), at the most units any read of its label
stated (a label read saying 1 and then 50 is 50 units). The shipment values keep only the
count, so a shipment of 100,000 tagged units costs a scan what the first unit did. The
serials themselves are rows (``gate.storage.serial_rows``), and this ledger holds, per
shipment, the (line key, epoch, serial) that the next decision must treat as counted, each
with the units it counts at.

It follows the docks' one rule, memory never runs ahead of the database, the way
``LiveState`` does, and with the same two layers folded into one mapping:

* a scan's serials (new ones, and re-reads stating more units) enter the mapping when it is
  **decided** (``add``), so the next scan, even in the same batch, sees them;
* if the scan's write then fails, they are taken back (``drop``), in the same step in which
  its shipment value is unstaged (``Change.rolled_back``), before any other decision runs: a
  new serial leaves the mapping, a re-read's serial goes back to the units it counted at
  before. A decision made in between built on the failed value and is refused by the write
  guard (``LiveState.guard``), so its own serials are taken back too: the mapping equals the
  database plus what is being written, at every point a decision can see it. A serial's
  units only grow, so of the failed reads of one serial the earliest knows the smallest
  units it counted at before; ``drop`` keeps the smaller of that and what it holds, which
  ends at the earliest's whatever order the failed changes are taken back in.

Each shipment's mapping is a dict per line (line key, epoch) of serial -> units: strings to
ints, which CPython's collector never tracks, so a truck's 100,000 serials cost a collection
nothing. Keyed by (line key, epoch, serial) tuples, the three mappings of a minute of batches
(about 200,000 serials each) were walked by every full collection, 25-67 ms of the loop each
(``python -m tests.bench service``); in process, after 300,000 scans in batches, a full
collection took 36.5 ms keyed by tuples and 8.8 ms so.

Loading is lazy: a shipment's mapping is read from the database the first time a scan needs
it (``missing`` then ``install``), so a restart reads no serials at all. No scan of a
shipment is decided before its mapping is installed (``book`` raises instead), so the rows
read are complete; two loads racing for one shipment keep the first mapping installed, which
may have grown since. Mappings of shipments no longer at a door (final ones) are let go
(``retain``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from gate.core.shipment_values import SerialBook, SerialRead
from gate.errors import Unavailable
from gate.storage import serial_rows

if TYPE_CHECKING:
    from gate.service.live_state import LiveState
    from gate.storage.store import Store

#: (line key, epoch): a line's serials -> the units each counts at
LineSerials = dict[tuple[str, int], dict[str, int]]
#: (line key, epoch, serial, units), as ``serial_rows.of_shipment`` reads them
Row = tuple[str, int, str, int]

#: Tries at loading the serial sets of a batch's shipments before it is refused (a door can
#: get a new shipment while one load is read).
_LOAD_TRIES = 3


class SerialLedger:
    """Counted serials (and the units each counts at) of the shipments scans arrive for."""

    def __init__(self) -> None:
        self._books: dict[str, LineSerials] = {}

    def missing(self, shipments: Iterable[str]) -> list[str]:
        """The shipments among ``shipments`` whose mapping is not loaded yet."""
        return [sid for sid in dict.fromkeys(shipments) if sid not in self._books]

    def install(self, shipment: str, rows: Iterable[Row]) -> None:
        """Takes a shipment's stored serials; a mapping already installed (by a concurrent
        load, and perhaps added to since) is kept."""
        if shipment not in self._books:
            lines: LineSerials = {}
            for key, epoch, serial, units in rows:
                lines.setdefault((key, epoch), {})[serial] = units
            self._books[shipment] = lines

    def book(self, shipment: str) -> SerialBook:
        """The core's view of one shipment. Raises KeyError when its mapping is not loaded (a
        decision must never take "not loaded" for "not counted")."""
        return _Book(self._books[shipment])

    def add(self, shipment: str, reads: Iterable[SerialRead]) -> None:
        """Enters serials just decided as counted, at their units (being written)."""
        lines = self._books[shipment]
        for r in reads:
            units = lines.get((r.key, r.epoch))
            if units is None:
                units = lines[(r.key, r.epoch)] = {}
            units[r.serial] = max(units.get(r.serial, 0), r.units)

    def drop(self, shipment: str, reads: Iterable[SerialRead]) -> None:
        """Takes back serials whose write failed: each at the units it counted at before the
        read (``before``), or out when the read counted it first."""
        lines = self._books.get(shipment)
        if lines is None:
            return
        for r in reads:
            units = lines.get((r.key, r.epoch))
            now = None if units is None else units.get(r.serial)
            if units is None or now is None:
                continue  # taken out by an earlier failed read of it already
            if r.before <= 0:
                del units[r.serial]
            else:
                units[r.serial] = min(now, r.before)

    def retain(self, live: Iterable[str]) -> None:
        """Keeps the mappings of the ``live`` shipments only (the ones at a door: a final
        shipment counts nothing more)."""
        keep = set(live)
        for sid in [sid for sid in self._books if sid not in keep]:
            del self._books[sid]

    def loaded(self) -> int:
        """How many shipments' mappings are held (for tests and metrics)."""
        return len(self._books)

    async def load(self, state: LiveState, store: Store, raws: Sequence[Any]) -> None:
        """Loads the serial sets of the shipments at the doors of the scans ``raws`` that
        are not loaded yet (one read), so every scan is decided against its shipment's
        serials. Raises Unavailable if doors keep getting new shipments while it reads."""
        for _ in range(_LOAD_TRIES):
            at_doors = {
                shipment.id
                for door in {raw.get("door") for raw in raws if isinstance(raw, dict)}
                if isinstance(door, str) and (shipment := state.door_shipment(door)) is not None
            }
            missing = self.missing(at_doors)
            if not missing:
                if self.loaded() > len(at_doors) + len(state.current):
                    self.retain({*at_doors, *state.current.values(), *state.pending_ids()})
                return
            found = await store.read(partial(_serials_of, missing))
            for sid, rows in found.items():
                self.install(sid, rows)
        raise Unavailable("the doors' shipments changed while their serials were read: try again")


def _serials_of(shipments: Sequence[str], conn: Any) -> dict[str, list[Row]]:
    return {sid: serial_rows.of_shipment(conn, sid) for sid in shipments}


class _Book:
    __slots__ = ("_lines",)

    def __init__(self, lines: LineSerials) -> None:
        self._lines = lines

    def stated(self, key: str, epoch: int, serial: str) -> int:
        units = self._lines.get((key, epoch))
        return 0 if units is None else units.get(serial, 0)
