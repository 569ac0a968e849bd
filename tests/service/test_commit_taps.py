"""Committer taps: a link stores what it must send about a change inside that change's write
transaction, so the two commit or fail together."""

from __future__ import annotations

import sqlite3

from gate.service.commit_step import Change
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.service.harness import Gate


async def test_a_tap_writes_in_the_change_transaction(gate: Gate) -> None:
    """A tap sees each change's events with the transaction open, and what it writes is
    committed with the change."""
    seen: list[tuple[bool, list[str]]] = []

    def tap(conn: sqlite3.Connection, change: Change) -> None:
        seen.append((conn.in_transaction, [kind for kind, _ in change.events]))
        conn.execute("CREATE TABLE IF NOT EXISTS tapped (kinds TEXT)")
        conn.execute("INSERT INTO tapped VALUES (?)", (",".join(k for k, _ in change.events),))

    gate.app[app_keys.DOCKS].committer.taps.append(tap)
    await gate.create()
    assert [(True, ["shipment", "door"])] == seen
    conn = connect_readonly(gate.config.database)
    try:
        assert [("shipment,door",)] == conn.execute("SELECT kinds FROM tapped").fetchall()
    finally:
        conn.close()


async def test_a_tap_that_raises_stores_nothing_of_the_change(gate: Gate) -> None:
    """A tap that fails fails its change: nothing of it is stored or shown."""

    def tap(conn: sqlite3.Connection, change: Change) -> None:
        raise RuntimeError("tap broke")

    gate.app[app_keys.DOCKS].committer.taps.append(tap)
    status, _ = await gate.call(
        "POST",
        "/api/v1/shipments",
        {
            "id": "S1",
            "door": "D1",
            "destination": "DE",
            "consignee": {"name": "Acme Optics", "country": "DE"},
        },
    )
    assert 500 <= status
    gate.app[app_keys.DOCKS].committer.taps.clear()
    status, _ = await gate.call("GET", "/api/v1/shipments/S1")
    assert 404 == status
