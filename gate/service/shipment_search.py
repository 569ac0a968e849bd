"""Finding shipments for ``GET /shipments``: by state, door and a date range, closed ones
included.

A shipment is in the range ``[start, end)`` when it stood at the dock during part of it:
created before ``end`` and not closed (dispatched or cancelled) before ``start``. Memory holds
every live shipment and the final ones of the last days (``docks.KEEP_FINAL`` at start, and
every one closed since); older closed shipments are read from the database, decoded as they
were stored. At most ``MAX_FOUND`` come back, the newest first; ``truncated`` says more matched.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from gate.core.shipment_values import FINAL, Shipment, State
from gate.storage.shipment_codec import decode
from gate.storage.store import Store

#: The most shipments one answer lists.
MAX_FOUND = 1000


@dataclass(frozen=True, slots=True)
class Query:
    """What ``GET /shipments`` asked for; ``None`` is any."""

    state: State | None = None
    door: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    def matches(self, s: Shipment) -> bool:
        if self.state is not None and s.state is not self.state:
            return False
        if self.door is not None and s.door != self.door:
            return False
        if self.end is not None and s.created_at >= self.end:
            return False
        closed = s.closed_at if s.state in FINAL else None
        return not (self.start is not None and closed is not None and closed < self.start)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _stored_final(conn: sqlite3.Connection, q: Query, limit: int) -> list[str]:
    """Documents of final shipments that may match ``q`` (``updated_at`` is the closing time
    of a final shipment), newest first."""
    clauses = ["state IN ('dispatched', 'cancelled')"]
    params: list[object] = []
    if q.state is not None:
        clauses.append("state = ?")
        params.append(q.state.value)
    if q.door is not None:
        clauses.append("door = ?")
        params.append(q.door)
    if q.end is not None:
        clauses.append("created_at < ?")
        params.append(_iso(q.end))
    if q.start is not None:
        clauses.append("updated_at >= ?")
        params.append(_iso(q.start))
    rows = conn.execute(
        f"SELECT doc FROM shipments WHERE {' AND '.join(clauses)} ORDER BY created_at DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [doc for (doc,) in rows]


async def search(
    store: Store, in_memory: Mapping[str, Shipment], q: Query, window: dt.datetime
) -> tuple[list[Shipment], bool]:
    """The shipments matching ``q``, oldest first, and whether more matched than listed
    (the newest ``MAX_FOUND`` are kept). Memory holds every shipment closed since ``window``;
    the database is read only for a range that starts before it (without ``from``, the
    answer is what memory holds, as before ranges existed)."""
    found = {s.id: s for s in in_memory.values() if q.matches(s)}
    wants_final = q.state is None or q.state in FINAL
    if wants_final and q.start is not None and q.start < window:
        limit = MAX_FOUND + 1
        docs = await store.read(lambda conn: _stored_final(conn, q, limit))
        for doc in docs:
            stored = decode(json.loads(doc))
            if stored.id not in in_memory and q.matches(stored):
                found[stored.id] = stored
    ordered = sorted(found.values(), key=lambda s: (s.created_at, s.id))
    return ordered[-MAX_FOUND:], len(ordered) > MAX_FOUND
