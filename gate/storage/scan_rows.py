"""The ``scans`` table: every answered scan under its client, reader and scan id, with what
was scanned and the outcome given (so a retry of the same id is answered as before, and a
reuse of the id for another scan is recognised, also after a restart). Every function runs
on the store's writer thread."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gate.core.frozen_init import quick_init
from gate.storage.row_inserts import insert_rows


@quick_init
@dataclass(frozen=True, slots=True)
class ScanRow:
    """One stored scan. ``client`` is the authenticated client that sent it (the journal's
    actor); ``shipment`` the shipment the scan named, if it named one. ``exact`` is False for
    a row stored before kind and shipment were kept (schema migration 4)."""

    client: str
    reader: str
    scan_id: str
    door: str | None
    code: str | None
    kind: str | None
    shipment: str | None
    received_at: str
    result: str  # the outcome, as ScanOutcome.to_record JSON
    exact: bool = True

    def values(
        self,
    ) -> tuple[str, str, str, str | None, str | None, str | None, str | None, str, str, bool]:
        """The fields in their order (``ScanRow(*row.values())`` is ``row``)."""
        return (
            self.client,
            self.reader,
            self.scan_id,
            self.door,
            self.code,
            self.kind,
            self.shipment,
            self.received_at,
            self.result,
            self.exact,
        )


def insert_many(conn: sqlite3.Connection, rows: Sequence[ScanRow]) -> None:
    """Stores scans. An id is only stored again once the gate no longer remembers it (it fell
    out of the recent scans): the newer use then replaces the row, so a retry of it gets its
    own answer."""
    insert_rows(
        conn,
        "INSERT OR REPLACE INTO scans (client, reader, scan_id, door, code, kind, shipment,"
        " received_at, result, exact)",
        [(*r.values()[:-1], int(r.exact)) for r in rows],
    )


#: Ids looked up per statement (three parameters each, well under SQLite's bound).
_LOOKUP_CHUNK = 300


def first_uses(conn: sqlite3.Connection, idents: Iterable[tuple[str, str, str]]) -> list[ScanRow]:
    """The stored scans under these (client, reader, scan_id) ids (those stored at all): one
    statement per ``_LOOKUP_CHUNK`` ids, each id found through the primary key. (The ids are
    joined as a VALUES list: a row-value ``IN`` would scan the whole table in SQLite 3.40.)"""
    wanted = list(idents)
    found: list[ScanRow] = []
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = wanted[start : start + _LOOKUP_CHUNK]
        values = ", ".join(["(?, ?, ?)"] * len(chunk))
        rows = conn.execute(
            "SELECT s.client, s.reader, s.scan_id, s.door, s.code, s.kind, s.shipment,"
            f" s.received_at, s.result, s.exact FROM (VALUES {values}) AS v"
            " CROSS JOIN scans AS s ON s.client = v.column1 AND s.reader = v.column2"
            " AND s.scan_id = v.column3",
            [part for ident in chunk for part in ident],
        ).fetchall()
        for c, r, sid, door, code, kind, shipment, at, result, exact in rows:
            found.append(ScanRow(c, r, sid, door, code, kind, shipment, at, result, bool(exact)))
    return found


def recent(conn: sqlite3.Connection, limit: int) -> list[ScanRow]:
    """The ``limit`` most recently stored scans, oldest first."""
    rows = conn.execute(
        "SELECT client, reader, scan_id, door, code, kind, shipment, received_at, result, exact"
        " FROM scans ORDER BY rowid DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        ScanRow(client, reader, sid, door, code, kind, shipment, at, result, bool(exact))
        for client, reader, sid, door, code, kind, shipment, at, result, exact in reversed(rows)
    ]
