"""Attack19: ``gate report screening`` said a listed consignee's hit "no longer matched" when
the goods left under the office's licence with the hit standing.

A hit on a ``licence`` list (an Entity List entry, a partner's denial notice) holds the
shipment for a licence; the office approves, and the shipment is dispatched with the hit
still on it. The report's ``resolution`` read only the shipment's final state, and for
``dispatched`` wrote "shipment dispatched (hit no longer matched)": the auditor read that the
party had stopped matching, when the gate had matched it and the office had licensed the
export.

Now a dispatched shipment's hit reads "shipment dispatched with the hit standing, under
licence EXP-9" when the shipment still carried it as it left, and "no longer matched" only
when it did not.

The same report kept one row per shipment, role, entry and listed name: a second party of
the same role matching the same entry (two end users) was left out, though its hit held the
shipment as much as the first one's. Each party's hit is now a row.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

from gate.storage import reports
from tests.central.test_central_link import approval, callback, office_key
from tests.fake_office import Office
from tests.service.harness import Gate, gtin_with

#: configs/lists/notices.csv, a ``licence`` list: a hit needs a licence.
NOTICED = {"name": "Kestrelmoor Aerotech Ltd", "country": "GB"}


async def test_a_hit_licensed_by_the_office_is_reported_standing(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """A consignee on a partner's denial notice, licensed by the office's approval and
    dispatched: the screening report names the hit as standing, under the licence."""
    status, doc = await gate.call(
        "POST",
        "/api/v1/shipments",
        {"id": "S1", "door": "D1", "destination": "GB", "consignee": NOTICED},
    )
    assert (201, "licence") == (status, doc["screening"][0]["hits"][0]["action"]), doc
    await gate.scan(gtin_with(demo_config, ""))
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, doc["state"]), doc
    await office.wait_for(1)
    request_id = json.loads(office.received[-1][1])["request_id"]
    body = approval(request_id, "EXP-9", shipment="S1")
    status, _ = await callback(gate, "/api/v1/approvals", body, key=office_key(demo_config))
    assert 200 == status
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"]), doc
    conn = sqlite3.connect(gate.config.database)
    try:
        rows = reports.run(conn, "screening", None, None)
    finally:
        conn.close()
    table = csv.DictReader(io.StringIO(reports.render("screening", rows, "csv", None, None)))
    assert [("notices", "shipment dispatched with the hit standing, under licence EXP-9")] == [
        (row["list"], row["resolution"]) for row in table
    ]


async def test_two_parties_matching_one_entry_are_two_hits(gate: Gate) -> None:
    """Two end users, each matching the same notice: the screening report has a row for each
    (the second one's hit was left out: one row per shipment, role, entry and listed name)."""
    names = ["Kestrelmoor Aerotech Ltd", "Kestrelmoor Aerotech Limited"]
    body = {
        "id": "S1",
        "door": "D1",
        "destination": "GB",
        "consignee": {"name": "Acme Precision GmbH", "country": "DE"},
        "parties": [{"role": "end_user", "name": n, "country": "GB"} for n in names],
    }
    status, doc = await gate.call("POST", "/api/v1/shipments", body)
    assert 201 == status, doc
    conn = sqlite3.connect(gate.config.database)
    try:
        rows = reports.run(conn, "screening", None, None)
    finally:
        conn.close()
    assert [(n, "DEMO-DN-2023-011") for n in names] == [(r["party"], r["entry"]) for r in rows]
