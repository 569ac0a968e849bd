"""The scan ids a gate has answered: in memory, in flight, and in the database.

A retry is answered from the first use of its id (``gate.service.scan_path``), so every id
answered must be found again: the newest ``RECENT_SCANS`` in memory (``recent``), those whose
first delivery is still being written (``pending``), and every older one in the database,
read back (``recall``) when the filter of stored ids (``gate.service.stored_ids``) says the
database may hold it. Split from the scan path, which decides with what this finds.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gate.errors import StoreError
from gate.service.input_checks import storable
from gate.service.scan_outcome import FirstUse, Remembered, remembered
from gate.service.stored_ids import StoredIds
from gate.storage import scan_rows
from gate.storage.side_reads import SideReads

if TYPE_CHECKING:
    from gate.storage.store import Store

log = logging.getLogger("gate.service.scan_path")

#: Scan ids remembered in memory for answering retries. The database keeps them all: once the
#: memory has let one go, an id not in memory is looked up there before it counts as new.
#: Each is remembered as a plain tuple of text (``Remembered``), not as objects: the
#: collector stops walking a tuple of text after one look, and 200,000 remembered outcomes
#: as objects made every older-generation collection a pause of tens of milliseconds.
RECENT_SCANS = 200_000
#: Scan ids taken into memory at start, the newest (the likeliest to be retried). Not all of
#: RECENT_SCANS: reading 200,000 rows would take a good part of the start's budget. An id
#: memory lacks is read from the database (``recall``: 1-4 ms a batch of 100 stored
#: retries) when the filter of stored ids (``gate.service.stored_ids``) may hold it.
RECENT_AT_START = 1_000

#: (client, reader, scan_id): a scan id is scoped to the client and reader that sent it.
Ident = tuple[str, str, str]


class ScanIds:
    """Where the first use of a scan id is found."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.recent: OrderedDict[Ident, Remembered] = OrderedDict()
        #: How many of the newest stored scans ``loaded`` is given at start.
        self.at_start = RECENT_AT_START
        #: True once an id stored in the database may be missing from ``recent``.
        self.forgetting = False
        #: The ids decided and handed to a writer, not stored yet, with the change's end.
        self.pending: dict[Ident, tuple[FirstUse, asyncio.Future[bool]]] = {}
        #: The ids the database may hold, so that ``recall`` reads only those (built by
        #: ``gate.web.app`` once the gate has started).
        self.stored = StoredIds()
        self.side = SideReads(store.path)

    def loaded(self, rows: Sequence[scan_rows.ScanRow]) -> None:
        """Takes the newest scans stored at start, oldest first (at most ``at_start``: with
        that many, older ones may be in the database only, and are looked up there)."""
        for row in rows:
            self.recent[(row.client, row.reader, row.scan_id)] = remembered(row)
        self.forgetting = self.forgetting or len(rows) >= min(self.at_start, RECENT_SCANS)

    async def recall(self, raws: Sequence[Any], actor: str) -> None:
        """Brings back from the database the first uses of this batch's ids that memory has
        let go, so a retry of an old scan is a duplicate and a reuse is refused, never counted
        again (one read per batch of the ids the filter may hold, once memory forgets)."""
        recent, pending, stored = self.recent, self.pending, self.stored.may_hold
        wanted: set[Ident] = set()
        for raw in raws:
            if not isinstance(raw, dict):
                continue
            reader, sid = raw.get("reader"), raw.get("scan_id")
            if not (isinstance(reader, str) and isinstance(sid, str)):
                continue
            ident = (actor, reader, sid)  # not ``recent.keys() | ...``: a copy of every id
            forgotten = ident not in recent and ident not in pending and stored(ident)
            if forgotten and storable(reader) and storable(sid):
                wanted.add(ident)
        if not wanted:
            return

        # On the loop, not queued behind the writer's commits: every batch asks once the
        # gate forgets, and the lookup costs microseconds (gate.storage.side_reads). If the
        # side connection cannot answer at once, the writer's thread does.
        def lookup(conn: Any) -> list[scan_rows.ScanRow]:
            return scan_rows.first_uses(conn, wanted)

        try:
            found = self.side.read(lookup)
        except StoreError as exc:
            log.warning("forgotten scan ids looked up by the writer: %s", exc)
            found = await self.store.read(lookup)
        for row in found:
            ident = (row.client, row.reader, row.scan_id)
            if ident not in self.recent:
                self.recent[ident] = remembered(row)

    def forget(self, seen: Mapping[Ident, FirstUse], done: asyncio.Future[bool]) -> None:
        """The change that decided ``seen`` ended (``done``): no longer in flight."""
        for ident in seen:
            pending = self.pending.get(ident)
            if pending is not None and pending[1] is done:
                del self.pending[ident]

    def remember(self, kept: Mapping[Ident, Remembered]) -> None:
        """A change's scans are stored: remembered, the oldest let go past ``RECENT_SCANS``."""
        for ident, first in kept.items():
            self.recent[ident] = first
            if len(self.recent) > RECENT_SCANS:
                self.recent.popitem(last=False)
                self.forgetting = True
