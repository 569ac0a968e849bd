"""Serials apart from the shipment document (issue 14): one row each, written with their
scan, counted once per line through the service's ledger, paged over HTTP, loaded lazily
after a restart, and taken back out of the ledger when their write fails."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.core.shipment_values import Shipment, evolve
from gate.errors import InvalidShipment, StaleDecision
from gate.service.commit_step import Change
from gate.service.docks import Docks
from gate.storage.store import Store
from gate.web import app_keys
from tests.old_schema import database_at
from tests.service.harness import OPERATOR, SCANNER_TOKEN, Gate, Gates, gtin_with, serials_path

#: The controlled gyro of the demo catalogue (9.A.4), read with serials.
CONTROL = "9.A.4"


def read(gtin: str, serial: str, n: str) -> dict[str, str]:
    """A GS1 element string read of one serialised unit, under scan id ``n``."""
    return {"scan_id": n, "reader": "r1", "door": "D1", "code": f"]C101{gtin}21{serial}"}


def docks_of(gate: Gate) -> Docks:
    return gate.app[app_keys.DOCKS]


def stored_serials(path: Path, sid: str) -> list[tuple[str, int, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT line, epoch, serial FROM serials WHERE shipment = ? ORDER BY serial", (sid,)
        ).fetchall()
    finally:
        conn.close()


async def test_a_line_pages_its_serials_and_the_document_only_counts_them(
    gate: Gate, demo_config: Path
) -> None:
    """The shipment document gives a line's serial count and the link that pages them; the
    pages give every serial once, in order, and say where the next page starts."""
    gtin = gtin_with(demo_config, CONTROL)
    await gate.create()
    for serial in ["S3", "S1", "S2", "S1"]:
        await gate.scan(f"]C101{gtin}21{serial}")
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    (line,) = doc["lines"]
    assert (3, 3) == (line["quantity"], line["serials"]["count"])
    href = f"/api/v1/shipments/S1/lines/{gtin}/serials"
    assert href == line["serials"]["href"]
    status, first = await gate.call("GET", href + "?limit=2")
    assert (200, ["S1", "S2"], "S2") == (status, first["serials"], first["next"])
    _, last = await gate.call("GET", serials_path("S1", gtin, "S2", 2))
    assert (["S3"], None, 3) == (last["serials"], last["next"], last["count"])


async def test_serial_pages_refuse_bad_queries_and_unknown_lines(
    gate: Gate, demo_config: Path
) -> None:
    """A limit outside 1 to 10,000 is a 400 problem, an unknown line or shipment a 404, and
    a scanner may not read them (403)."""
    gtin = gtin_with(demo_config, CONTROL)
    await gate.create()
    await gate.scan(f"]C101{gtin}21S1")
    base = f"/api/v1/shipments/S1/lines/{gtin}/serials"
    statuses = [
        (await gate.call("GET", base + "?limit=0"))[0],
        (await gate.call("GET", base + "?limit=10001"))[0],
        (await gate.call("GET", base + "?limit=x"))[0],
        (await gate.call("GET", "/api/v1/shipments/S1/lines/04012345000016/serials"))[0],
        (await gate.call("GET", f"/api/v1/shipments/NOPE/lines/{gtin}/serials"))[0],
        (await gate.call("GET", base, token=SCANNER_TOKEN))[0],
    ]
    assert [400, 400, 400, 404, 404, 403] == statuses


async def test_serials_are_loaded_again_after_a_restart_and_still_count_once(
    gates: Gates, demo_config: Path
) -> None:
    """After a restart (which reads no serials) a unit read again is still counted once,
    and a new one still counts: the ledger loads the shipment's serials before deciding."""
    gtin = gtin_with(demo_config, CONTROL)
    gate = await gates.start()
    await gate.create()
    await gate.scan(f"]C101{gtin}21S1")
    await gate.scan(f"]C101{gtin}21S2")
    await gates.stop(gate)
    gate = await gates.start()
    assert 0 == docks_of(gate).scan_path.ledger.loaded()
    again = await gate.scan(f"]C101{gtin}21S1", scan_id="after-1")
    new = await gate.scan(f"]C101{gtin}21S3", scan_id="after-2")
    assert (2, 3) == (again["line"]["quantity"], new["line"]["quantity"])
    database = load_config(demo_config).database
    assert ["S1", "S2", "S3"] == [s for _, _, s in stored_serials(database, "S1")]


async def failing_change(docks: Docks, shipment: Shipment) -> asyncio.Future[None]:
    """A change of ``shipment`` whose write will fail (``InvalidShipment``), staged and left
    for the caller to await: scans decided meanwhile build on it and are refused with it."""

    def refuse(conn: sqlite3.Connection) -> None:
        raise InvalidShipment("refused inside the write")

    failing = Change(sql=[refuse])
    failing.add(shipment, evolve(shipment, end_use="civil aviation spares"))
    doomed = asyncio.ensure_future(docks.committer.apply(failing))
    await asyncio.sleep(0)  # one turn of the loop: the failing change is staged, not written
    return doomed


async def test_a_serial_whose_write_failed_counts_when_read_again(
    gate: Gate, demo_config: Path
) -> None:
    """A scan decided on top of a change whose write then fails is refused with it, and its
    serial leaves the ledger: read again, it counts (it was never stored)."""
    gtin = gtin_with(demo_config, CONTROL)
    docks = docks_of(gate)
    shipment = await docks.create(
        {
            "id": "S1",
            "door": "D1",
            "destination": "DE",
            "consignee": {"name": "Acme Precision GmbH", "country": "DE"},
        },
        "wms",
    )
    doomed = await failing_change(docks, shipment)
    with pytest.raises(StaleDecision):
        await docks.scans([read(gtin, "S1", "a")], "scanner-door-1")
    with pytest.raises(InvalidShipment):
        await doomed
    (result,) = await docks.scans([read(gtin, "S1", "b")], "scanner-door-1")
    assert ("accepted", 1) == (result["status"], result["line"]["quantity"])
    assert [(gtin, 0, "S1")] == stored_serials(load_config(demo_config).database, "S1")


async def test_serials_in_documents_before_migration_6_move_to_their_table(
    tmp_path: Path,
) -> None:
    """A database at schema 5 whose documents list their lines' serials gets one row per
    serial (epoch 0) when it opens at schema 6."""
    path = tmp_path / "gate.db"
    conn = database_at(path, 5)
    try:
        doc = {"id": "OLD", "lines": [{"key": "K1", "serials": ["A", "B"]}, {"key": "K2"}]}
        conn.execute(
            "INSERT INTO shipments (id, door, state, doc) VALUES ('OLD', 'D1', 'open', ?)",
            (json.dumps(doc),),
        )
    finally:
        conn.close()
    async with await Store.open(path) as store:
        rows = await store.read(
            lambda c: c.execute(
                "SELECT shipment, line, epoch, serial FROM serials ORDER BY serial"
            ).fetchall()
        )
    assert [("OLD", "K1", 0, "A"), ("OLD", "K1", 0, "B")] == rows


@pytest.mark.slow
async def test_a_100000_unit_shipment_keeps_a_small_document_and_pages_every_serial_once(
    gate: Gate, demo_config: Path
) -> None:
    """100,000 serialised units of one item: the shipment document stays a few KB, and the
    pages give back every serial exactly once."""
    gtin = gtin_with(demo_config, CONTROL)
    await gate.create()
    docks = docks_of(gate)
    units = 100_000
    for start in range(0, units, 500):
        batch = [read(gtin, f"U{i:06d}", f"u{i}") for i in range(start, start + 500)]
        results = await docks.scans(batch, "scanner-door-1")
        assert {"accepted"} == {r["status"] for r in results}
    status, body = await gate.call("GET", "/api/v1/shipments/S1")
    text = json.dumps(body)
    assert (200, units) == (status, body["lines"][0]["quantity"])
    assert len(text) < 4096, len(text)
    paged = await gate.serials("S1", gtin, limit=10_000)
    assert [f"U{i:06d}" for i in range(units)] == paged


async def test_a_walk_names_its_epoch_and_is_refused_once_the_line_started_again(
    gate: Gate, demo_config: Path
) -> None:
    """A page names the line's epoch; a walk that passes it back is refused (409) once the
    goods were unloaded and read again, instead of mixing the serials of goods that left with
    those loaded since. A limit that only looks like digits ("²") is a 400, not a 500."""
    gtin = gtin_with(demo_config, CONTROL)
    await gate.create()
    await gate.scan(f"]C101{gtin}21S1")
    await gate.scan(f"]C101{gtin}21S2")
    base = f"/api/v1/shipments/S1/lines/{gtin}/serials"
    _, first = await gate.call("GET", base + "?limit=1")
    assert (0, ["S1"]) == (first["epoch"], first["serials"])
    status, _ = await gate.call("POST", f"/api/v1/shipments/S1/lines/{gtin}/remove", auth=OPERATOR)
    assert 200 == status
    await gate.scan(f"]C101{gtin}21S3")
    status, problem = await gate.call("GET", base + f"?limit=1&after=S1&epoch={first['epoch']}")
    assert (409, "conflict") == (status, problem["type"].rsplit("/", 1)[-1])
    _, fresh = await gate.call("GET", base)
    assert (1, ["S3"]) == (fresh["epoch"], fresh["serials"])
    assert 400 == (await gate.call("GET", base + "?limit=%C2%B2"))[0]
    assert 400 == (await gate.call("GET", "/api/v1/shipments/S1/history?limit=%C2%B2"))[0]
