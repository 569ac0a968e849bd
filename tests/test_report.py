"""``gate report`` over a day of traffic driven through the API of a real gate (real socket,
real SQLite file, the fake central office for approvals and a standing licence): every unit
that left appears once, with what let it leave; nothing cancelled or unloaded appears."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hashlib
import html
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gate.cli.main import main
from gate.cli.simulate import Options, Report, simulate
from gate.config.settings import load_config
from gate.storage.store import Store
from gate.web import app_keys
from tests.central.test_central_link import approval, callback, licence_body, office_key
from tests.fake_office import Office
from tests.service.harness import OPERATOR, ROOT, Gate, Served, gtin_with


async def _sealed(gate: Gate, sid: str, door: str, codes: list[str], **extra: Any) -> str:
    await gate.create(sid, door, **extra)
    for code in codes:
        await gate.scan(code, door)
    status, doc = await gate.call("POST", f"/api/v1/shipments/{sid}/seal")
    assert 200 == status, doc
    return str(doc["state"])


async def _dispatch(gate: Gate, sid: str) -> None:
    status, doc = await gate.call("POST", f"/api/v1/shipments/{sid}/dispatch")
    assert (200, "dispatched") == (status, doc["state"]), doc


async def day_of_traffic(gate: Gate, config: Path, office: Office) -> None:
    """Shipments as a day brings them: under the office's approval, under a standing licence,
    under a general licence, with no licence needed (serialised and not), one with a line
    unloaded, one blocked and cancelled."""
    gyro, gyro2 = gtin_with(config, "9.A.4"), gtin_with(config, "9.A.4", 1)
    plain, plain2 = gtin_with(config, ""), gtin_with(config, "", 1)
    # Approval: two serialised gyros and a plain bearing to DE.
    codes = [f"]C101{gyro}21A{n}" for n in (2, 1)] + [plain]
    assert "held" == await _sealed(gate, "S1", "D1", codes)
    await office.wait_for(1)
    request = json.loads(office.received[-1][1])
    body = approval(request["request_id"], "EXP-1", shipment="S1")
    status, _ = await callback(gate, "/api/v1/approvals", body, key=office_key(config))
    assert 200 == status
    await _dispatch(gate, "S1")
    # No licence needed: serialised and unserialised goods to DE.
    codes = [f"]C101{plain}21B{n}" for n in range(5)] + [plain2, plain2]
    assert "cleared" == await _sealed(gate, "S2", "D2", codes)
    await _dispatch(gate, "S2")
    # A general licence: a gyro to the US.
    us = {"destination": "US", "consignee": {"name": "Lakeside Tools Inc", "country": "US"}}
    assert "cleared" == await _sealed(gate, "S3", "D3", [gyro2, gyro2, gyro2], **us)
    await _dispatch(gate, "S3")
    # A line unloaded: the gyro leaves the building with the bearings staying behind? No:
    # the gyro is unloaded, the bearings leave.
    assert "held" == await _sealed(gate, "S4", "D1", [gyro, plain, plain])
    status, doc = await gate.call(
        "POST", f"/api/v1/shipments/S4/lines/{gyro}/remove", auth=OPERATOR, token=None
    )
    assert (200, "cleared") == (status, doc["state"]), doc
    await _dispatch(gate, "S4")
    # A standing licence clears a held shipment of four gyros.
    assert "held" == await _sealed(gate, "S5", "D2", [gyro] * 4)
    status, answer = await callback(
        gate, "/api/v1/licences", licence_body(10), key=office_key(config), msg_id="msg_2"
    )
    assert 200 == status, answer
    await _dispatch(gate, "S5")
    # Blocked (a Category I production item) and cancelled: nothing leaves.
    assert "blocked" == await _sealed(gate, "S6", "D3", [gtin_with(config, "1.E.1"), plain])
    status, _ = await gate.call("POST", "/api/v1/shipments/S6/cancel")
    assert 200 == status


def report(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> str:
    assert 0 == main(["report", "--config", str(config), *args])
    return capsys.readouterr().out


async def expected_units(gate: Gate) -> dict[tuple[str, str], dict[str, Any]]:
    """Every dispatched line as the API shows it, with its serials' digest."""
    _, listing = await gate.call("GET", "/api/v1/shipments")
    found = {}
    for summary in listing["shipments"]:
        _, doc = await gate.call("GET", f"/api/v1/shipments/{summary['id']}")
        if doc["state"] != "dispatched":
            continue
        for line in doc["lines"]:
            if line["removed"]:
                continue
            serials = await gate.serials(doc["id"], line["key"])
            text = "".join(f"{s}\n" for s in sorted(serials))
            covered = line["covered_by"] or {}
            found[(doc["id"], line["key"])] = {
                "quantity": line["quantity"],
                "serials": len(serials),
                "serials_sha256": hashlib.sha256(text.encode()).hexdigest() if serials else None,
                "licence": covered.get("licence") or line.get("general_licence"),
            }
    return found


async def test_every_dispatched_unit_appears_once_with_its_licence(
    gate: Gate, demo_config: Path, office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    await day_of_traffic(gate, demo_config, office)
    expected = await expected_units(gate)
    assert {"S1", "S2", "S3", "S4", "S5"} == {sid for sid, _ in expected}
    today = dt.datetime.now(dt.UTC).date().isoformat()

    doc = json.loads(report(capsys, demo_config, "dispatched", "--day", today, "--format", "json"))
    rows = doc["rows"]
    keys = [(r["shipment"], r["line"]) for r in rows]
    assert sorted(keys) == sorted(expected), "each dispatched line once, nothing else"
    for row in rows:
        want = expected[(row["shipment"], row["line"])]
        licence = row["licence"] if row["cover"] != "general_licence" else row["general_licence"]
        assert want == {
            "quantity": row["quantity"],
            "serials": row["serials"],
            "serials_sha256": row["serials_sha256"],
            "licence": licence,
        }
        assert row["dispatched_by"] == "wms"
    covers = {(r["shipment"], r["cover"], r["licence"] or r["general_licence"]) for r in rows}
    assert {("S1", "approval", "EXP-1"), ("S3", "general_licence", "eu001")} <= covers
    assert ("S5", "standing", "SL-1") in covers
    units = sum(r["quantity"] for r in rows)
    assert units == sum(x["quantity"] for x in expected.values())

    # The same report as CSV, and with an explicit range: the same rows.
    text = report(capsys, demo_config, "--kind", "dispatched", "--from", today, "--format", "csv")
    table = list(csv.DictReader(io.StringIO(text)))
    assert sorted(keys) == sorted((r["shipment"], r["line"]) for r in table)
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    later = report(capsys, demo_config, "dispatched", "--from", tomorrow, "--format", "json")
    assert [] == json.loads(later)["rows"]

    # Licences used, and what is left of the standing licence (10 less the 4 gyros of S5).
    used = json.loads(report(capsys, demo_config, "licences", "--day", today, "--format", "json"))
    by = {(r["cover"], r["licence"]): r for r in used["rows"]}
    assert (4, 1, 10, 6) == tuple(
        by[("standing", "SL-1")][k] for k in ("units", "shipments", "quantity", "remaining")
    )
    assert 2 == by[("approval", "EXP-1")]["units"]
    assert 3 == by[("general_licence", "eu001")]["units"]

    # Time held and why: S1, S4 and S5 were held, S6 blocked; each spell says why and how
    # it ended.
    spells = json.loads(report(capsys, demo_config, "holds", "--day", today, "--format", "json"))
    ended = {(r["shipment"], r["state"], r["then"]) for r in spells["rows"]}
    assert {
        ("S1", "held", "cleared"),
        ("S4", "held", "cleared"),
        ("S5", "held", "cleared"),
        ("S6", "blocked", "cancelled"),
    } <= ended
    s6 = next(r for r in spells["rows"] if r["shipment"] == "S6")
    assert "cat1_production" in s6["why"]
    assert all(r["seconds"] is not None and r["seconds"] >= 0 for r in spells["rows"])


async def test_records_stand_alone(gate: Gate, demo_config: Path, office: Office) -> None:
    """The dispatch record names every line with quantity, serials' count and digest and its
    licence; line.removed names the quantity; a scan record names its rule."""
    await day_of_traffic(gate, demo_config, office)
    from gate.storage.store import connect_readonly

    conn = connect_readonly(gate.config.database)
    try:
        rows = conn.execute("SELECT kind, subject, data FROM audit ORDER BY seq").fetchall()
    finally:
        conn.close()
    records = [(kind, subject, json.loads(data)) for kind, subject, data in rows]
    (s1,) = [d for k, s, d in records if k == "shipment.dispatched" and s == "S1"]
    gyro = gtin_with(demo_config, "9.A.4")
    line = next(x for x in s1["lines"] if x["key"] == gyro)
    want = hashlib.sha256(b"A1\nA2\n").hexdigest()
    assert (2, 2, want, "approval", "EXP-1") == (
        line["quantity"],
        line["serials"],
        line["serials_sha256"],
        line["cover"],
        line["licence"],
    )
    assert ("wms", "DE", 3) == (s1["dispatched_by"], s1["destination"], s1["units"])
    (removed,) = [d for k, s, d in records if k == "line.removed"]
    assert (gyro, 1) == (removed["key"], removed["quantity"])
    scan = next(d for k, s, d in records if k == "scan" and d["key"] == gyro)
    assert scan["rule"] > 0 and scan["decision"] == "licence_required"
    held = next(d for k, s, d in records if k == "shipment.sealed" and s == "S1")
    assert [gyro] == [x["key"] for x in held["blocking"]]


async def test_reports_page_and_downloads(
    gate: Gate, demo_config: Path, office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    """``/reports`` (operator login) counts each report's rows for the range and links its
    downloads; a download is byte for byte what ``gate report`` writes."""
    from tests.page.test_page_http import get, session_of

    await day_of_traffic(gate, demo_config, office)
    status, headers, _ = await get(gate, "/reports")
    assert (303, "/login") == (status, headers["Location"])
    cookie, _ = await session_of(gate)
    status, _, page = await get(gate, "/", Cookie=cookie)
    assert 'href="/reports"' in page
    today = dt.datetime.now(dt.UTC).date()
    status, _, page = await get(gate, f"/reports?from={today.isoformat()}", Cookie=cookie)
    assert 200 == status
    lines = len(await expected_units(gate))
    assert re.search(rf"<td>dispatched</td><td>[^<]*</td><td>{lines}</td>", page), page
    links = re.findall(r'href="(/reports/dispatched\.csv\?[^"]+)"', page)
    assert 1 == len(links)
    status, headers, body = await get(gate, html.unescape(links[0]), Cookie=cookie)
    assert (200, "text/csv") == (status, headers["Content-Type"].split(";")[0])
    assert headers["Content-Disposition"].startswith("attachment;")
    start = dt.datetime.combine(today, dt.time(), dt.UTC).isoformat()
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), dt.UTC).isoformat()
    cli = report(capsys, demo_config, "dispatched", "--from", start, "--to", end)
    assert cli == body
    status, _, _ = await get(gate, "/reports/dispatched.json")  # neither cookie nor token
    assert 401 == status
    status, _, _ = await get(gate, "/reports/nothing.csv", Cookie=cookie)
    assert 404 == status
    status, _, _ = await get(gate, "/reports?from=2024-05-02&to=2024-05-01", Cookie=cookie)
    assert 400 == status


async def test_screening_hits_and_how_they_were_resolved(
    gate: Gate, demo_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A listed end user cleared by the office and a UN-listed consignee whose shipment was
    cancelled: each hit once, with its score and resolution; the scan records name them."""
    from tests.screening.test_screening_api import ORBITAL, clear, orbital_clearance
    from tests.service.test_party_screening import UN_ENTITY, US_CONSIGNEE

    gyro = gtin_with(demo_config, "9.A.4")
    end_user = {"role": "end_user", "name": "Orbital Tradewinds Holding LLC", "country": "US"}
    us = {"destination": "US", "consignee": US_CONSIGNEE, "parties": [end_user]}
    assert "held" == await _sealed(gate, "S1", "D1", [gyro], **us)
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    (found,) = [f for f in doc["screening"] if f["party"]["role"] == "end_user"]
    version = next(h["version"] for h in found["hits"] if h["entry"] == ORBITAL)
    status, _, _ = await clear(gate, orbital_clearance(version), "msg_clear_1")
    assert 200 == status
    un = {"destination": "US", "consignee": {"name": UN_ENTITY, "country": "US"}}
    assert "blocked" == await _sealed(gate, "S2", "D2", [gyro], **un)
    assert 200 == (await gate.call("POST", "/api/v1/shipments/S2/cancel"))[0]

    today = dt.datetime.now(dt.UTC).date().isoformat()
    doc = json.loads(report(capsys, demo_config, "screening", "--day", today, "--format", "json"))
    rows = {(r["shipment"], r["role"], r["list"], r["entry"]): r for r in doc["rows"]}
    orbital = rows[("S1", "end_user", "notices", ORBITAL)]
    assert ("cleared by the office", "licence") == (orbital["resolution"], orbital["action"])
    assert orbital["resolved_at"] and 0 < orbital["score"] <= 1
    un_hits = [r for (sid, role, _, _), r in rows.items() if (sid, role) == ("S2", "consignee")]
    assert {"shipment cancelled"} == {r["resolution"] for r in un_hits}
    assert "prohibit" in {r["action"] for r in un_hits}
    assert len(doc["rows"]) == len(rows), "each hit once"

    from gate.storage.store import connect_readonly

    conn = connect_readonly(gate.config.database)
    try:
        (data,) = conn.execute(
            "SELECT data FROM audit WHERE kind = 'scan' AND subject = 'S2'"
        ).fetchone()
    finally:
        conn.close()
    scan = json.loads(data)
    assert ("prohibited", "consignee", UN_ENTITY) == (
        scan["decision"],
        scan["hits"][0]["role"],
        scan["hits"][0]["party"],
    )
    assert scan["rule"] > 0 and scan["detail"]
    assert "prohibit" in {h["action"] for h in scan["hits"]}
    assert all(0 < h["score"] <= 1 and h["entry"] and h["list"] for h in scan["hits"])

    # Data freshness: a new version of the notices list, with its entries and its date.
    notices = demo_config.parent / "lists" / "notices.csv"
    notices.write_text(notices.read_text() + "Quillfeather Avionics Ltd,,GB,DEMO-DN-2026-900,\n")
    assert await gate.app[app_keys.RELOADER].reload("test")
    doc = json.loads(report(capsys, demo_config, "freshness", "--day", today, "--format", "json"))
    (row,) = [r for r in doc["rows"] if r["kind"] == "lists.changed"]
    assert ("notices", 1, 0, "test") == (row["source"], row["added"], row["removed"], row["why"])
    assert row["entries"] > 1


async def test_report_beside_a_served_gate_after_simulated_traffic(served: Served) -> None:
    """`gate simulate` drives three doors of a real `gate serve`; `gate report dispatched`,
    run beside it on the read-only database, lists every line of every dispatched shipment
    once, with its quantity, serial count and what let it leave, and nothing else."""
    options = Options(served.config, ("D1", "D2", "D3"), 3, 1000.0, seed=7, close_all=True)
    sim: Report = await simulate(options, io.StringIO())
    assert sim.final("dispatched") > 0
    expected = {}
    for doc in served.api("/shipments?state=dispatched")["shipments"]:
        for line in doc["lines"]:
            if not line["removed"]:
                covered = line["covered_by"] or {}
                expected[(doc["id"], line["key"])] = (
                    line["quantity"],
                    line["serials"]["count"],
                    covered.get("licence") or line.get("general_licence"),
                )
    today = dt.datetime.now(dt.UTC).date().isoformat()
    done = subprocess.run(
        [
            *(sys.executable, "-m", "gate", "report", "dispatched"),
            *("--config", str(served.config), "--day", today, "--format", "json"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    rows = json.loads(done.stdout)["rows"]
    got = {
        (r["shipment"], r["line"]): (
            r["quantity"],
            r["serials"],
            r["general_licence"] if r["cover"] == "general_licence" else r["licence"],
        )
        for r in rows
    }
    assert len(rows) == len(got), "each line once"
    assert expected == got
    assert sum(q for q, _, _ in expected.values()) == sum(r["quantity"] for r in rows)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("dispatched", "--from", "2024-05-02", "--to", "2024-05-01"), "empty range"),
        (("dispatched", "--day", "2024-05-01", "--from", "2024-05-01"), "not both"),
        (("dispatched", "--kind", "holds"), "name one report"),
        ((), "name one report"),
        (("dispatched", "-o", "/nonexistent-folder/dispatched.csv"), "cannot write"),
    ],
)
def test_report_refusals_are_one_line(
    demo_config: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], error: str
) -> None:
    """A bad range or report name: exit 1, one line saying why, nothing on stdout (the
    database is opened read-only: a missing one is refused the same way)."""

    async def create() -> None:
        async with await Store.open(load_config(demo_config).database):
            pass

    asyncio.run(create())
    assert 1 == main(["report", "--config", str(demo_config), *args])
    out, err = capsys.readouterr()
    assert "" == out
    assert 1 == len(err.splitlines()) and error in err, err


def test_report_without_a_database_is_refused(
    demo_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert 1 == main(["report", "dispatched", "--config", str(demo_config)])
    out, err = capsys.readouterr()
    assert ("", 1) == (out, len(err.splitlines()))
    assert "does not exist" in err


async def test_a_dispatch_record_without_lines_is_completed_from_the_store(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """A ``shipment.dispatched`` record written before records named their lines (only its
    drawdowns) is reported from the stored shipment: the same lines, quantities, serials'
    digests and licences as a record that names them."""
    from gate.storage import journal, reports

    await day_of_traffic(gate, demo_config, office)
    store = gate.app[app_keys.DOCKS].store

    def old_style(conn: Any) -> None:
        journal.append(
            conn,
            kind="shipment.dispatched",
            actor="wms",
            subject="S1",
            data={"drawdowns": [], "gate_id": "dock-a", "state": "dispatched"},
            ts=dt.datetime.now(dt.UTC),
        )

    await store.write(old_style)
    from gate.storage.store import connect_readonly

    conn = connect_readonly(gate.config.database)
    try:
        rows = reports.run(conn, "dispatched", None, None)
    finally:
        conn.close()
    s1 = [r for r in rows if r["shipment"] == "S1"]
    last = max(r["seq"] for r in s1)
    old = [r for r in s1 if r["seq"] == last]
    new = [r for r in s1 if r["seq"] != last]
    same = ("line", "quantity", "serials", "serials_sha256", "cover", "licence", "door")
    assert sorted(tuple(r[k] for k in same) for r in new) == sorted(
        tuple(r[k] for k in same) for r in old
    )
    assert len(new) == 2
