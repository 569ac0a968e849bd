"""The HTTP API end to end: shipments, scans, seal, remove, dispatch, cancel, doors, events.

Each test runs the real app on a real socket over a real SQLite file (tests/service/harness).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from gate.storage import journal
from gate.storage.store import connect_readonly
from gate.table.compiler import compile_table
from gate.web import app_keys
from tests.conftest import SCANNER_TOKEN, WMS_TOKEN
from tests.service.harness import OPERATOR, READY_CHECKS, Gate, Gates, basic, gtin_with


def audit_count(g: Gate) -> int:
    conn = connect_readonly(g.config.database)
    try:
        return int(conn.execute("SELECT count(*) FROM audit").fetchone()[0])
    finally:
        conn.close()


def audit_kinds(g: Gate) -> list[str]:
    conn = connect_readonly(g.config.database)
    try:
        return [k for (k,) in conn.execute("SELECT kind FROM audit ORDER BY seq")]
    finally:
        conn.close()


async def test_held_shipment_path(gate: Gate, demo_config: Path) -> None:
    """A Category II item to a destination without a general licence holds the shipment at
    seal, queues a licence request, and dispatch is refused with the blocking line."""
    await gate.create()
    gyro = gtin_with(demo_config, "9.A.4")
    result = await gate.scan(gyro)
    assert ("accepted", "licence_required", ["cat2"]) == (
        result["status"],
        result["decision"],
        result["reasons"],
    )
    assert ("9.A.4", 2) == (
        result["classification"]["control"],
        result["classification"]["category"],
    )
    await gate.scan(gtin_with(demo_config, ""))
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held", "amber") == (status, doc["state"], doc["signal"])
    assert [gyro] == [line["key"] for line in doc["requests"][0]["lines"]]
    conn = connect_readonly(gate.config.database)
    body = json.loads(conn.execute("SELECT body FROM outbox").fetchone()[0])
    conn.close()
    assert ("dock-a", "S1", "DE") == (
        body["gate_id"],
        body["shipment"]["id"],
        body["shipment"]["destination"],
    )
    status, problem = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (409, "Dispatch refused") == (status, problem["title"])
    assert [{"key": gyro, "decision": "licence_required", "reasons": ["cat2"]}] == problem[
        "blocking"
    ]
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/cancel")
    assert (200, "cancelled") == (status, doc["state"])
    status, door = await gate.call("GET", "/api/v1/doors/D1")
    # The gyro may still be on the truck: the door is held (amber) until an operator has
    # checked (attack15: a cancel is not an unloading).
    assert (200, None, "amber") == (status, door["shipment"], door["signal"])
    assert door["hold"] is not None and "cancelled" in door["hold"]["reason"]


async def test_cleared_shipment_dispatches(gate: Gate, demo_config: Path) -> None:
    """Category II goods to a general-licence destination clear and dispatch."""
    await gate.create(destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"})
    result = await gate.scan(gtin_with(demo_config, "9.A.4"))
    assert ("clear", ["general_licence"]) == (result["decision"], result["reasons"])
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared", "green") == (status, doc["state"], doc["signal"])
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"])
    status, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert "dispatched" == doc["state"]
    assert journal.verify(connect_readonly(gate.config.database)).ok


async def test_prohibited_scan_turns_door_red_and_alerts(gate: Gate, demo_config: Path) -> None:
    """A Category I production item is prohibited at once: red door, an alert event."""
    await gate.create()
    async with gate.session.get(
        gate.url + "/api/v1/events", headers={"Authorization": f"Bearer {WMS_TOKEN}"}
    ) as stream:
        await asyncio.wait_for(stream.content.readline(), 5)  # the hello event
        result = await gate.scan(gtin_with(demo_config, "1.E.1"))
        assert ("prohibited", "cat1_production", "red") == (
            result["decision"],
            result["reasons"][0],
            result["door"]["signal"],
        )
        kinds = set()
        while "alert" not in kinds:
            line = await asyncio.wait_for(stream.content.readline(), 5)
            if line.startswith(b"event:"):
                kinds.add(line.decode().split(":", 1)[1].strip())
    assert {"scan", "alert"} <= kinds
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "blocked", "red") == (status, doc["state"], doc["signal"])


async def test_retried_scan_answers_first_result(gate: Gate, demo_config: Path) -> None:
    """The same scan_id again is a duplicate with the first result and counts nothing."""
    await gate.create()
    scan = {"scan_id": "x1", "reader": "r9", "door": "D1", "code": gtin_with(demo_config, "")}
    first = await gate.call("POST", "/api/v1/scans", scan, token=SCANNER_TOKEN)
    again = await gate.call("POST", "/api/v1/scans", scan, token=SCANNER_TOKEN)
    assert ("accepted", "duplicate") == (
        first[1]["results"][0]["status"],
        again[1]["results"][0]["status"],
    )
    assert first[1]["results"][0]["line"] == again[1]["results"][0]["line"]
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert 1 == doc["lines"][0]["quantity"]


async def test_serial_counts_once_and_msgpack_works(gate: Gate, demo_config: Path) -> None:
    """Repeated reads of one serial count once; msgpack in and out give the same answer."""
    await gate.create()
    gtin = gtin_with(demo_config, "")
    scans = [
        {"scan_id": f"m{i}", "reader": "portal", "door": "D1", "code": f"(01){gtin}(21)SN{i % 2}"}
        for i in range(6)
    ]
    status, body = await gate.call(
        "POST",
        "/api/v1/scans",
        {"scans": scans},
        token=SCANNER_TOKEN,
        msgpack_in=True,
        msgpack_out=True,
    )
    assert 200 == status, body
    assert ["accepted"] * 6 == [r["status"] for r in body["results"]]
    assert [1, 2, 2, 2, 2, 2] == [r["line"]["quantity"] for r in body["results"]]
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    line = doc["lines"][0]
    assert (2, 2) == (line["quantity"], line["serials"]["count"])
    assert ["SN0", "SN1"] == await gate.serials("S1", line["key"])


async def test_operator_removal_releases_a_hold(gate: Gate, demo_config: Path) -> None:
    """Unloading the only controlled line of a held shipment (operator) clears it."""
    await gate.create()
    gyro = gtin_with(demo_config, "9.A.4")
    await gate.scan(gyro)
    await gate.scan(gtin_with(demo_config, ""))
    await gate.call("POST", "/api/v1/shipments/S1/seal")
    status, problem = await gate.call("POST", f"/api/v1/shipments/S1/lines/{gyro}/remove")
    assert (403, "forbidden") == (status, problem["type"].rsplit("/", 1)[1])
    status, doc = await gate.call(
        "POST", f"/api/v1/shipments/S1/lines/{gyro}/remove", auth=OPERATOR
    )
    assert (200, "cleared") == (status, doc["state"])
    assert "line.removed" in audit_kinds(gate)
    line = next(x for x in doc["lines"] if x["key"] == gyro)
    assert line["removed"]


async def test_doors_metrics_and_licences(gate: Gate, demo_config: Path) -> None:
    """Doors list their signal and shipment; metrics count scans; licences list (empty)."""
    await gate.create(door="D2")
    await gate.scan(gtin_with(demo_config, ""), door="D2")
    status, body = await gate.call("GET", "/api/v1/doors")
    assert (200, ["D1", "D2", "D3"]) == (status, [d["id"] for d in body["doors"]])
    assert {"id": "S1", "state": "open"} == body["doors"][1]["shipment"]
    status, text = await gate.call("GET", "/metrics")
    assert 200 == status
    assert 'gate_scans_total{status="accepted"} 1.0' in text
    status, body = await gate.call("GET", "/api/v1/licences")
    assert (200, {"licences": []}) == (status, body)


def nothing_changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return before == after


BAD_REQUESTS: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    # (name, method, path, request kwargs, status, problem type)
    (
        "malformed JSON",
        "POST",
        "/api/v1/shipments",
        {"raw": b'{"id": ', "content_type": "application/json"},
        400,
        "malformed-body",
    ),
    (
        "malformed msgpack",
        "POST",
        "/api/v1/shipments",
        {"raw": b"\xc1\xc1", "content_type": "application/msgpack"},
        400,
        "malformed-body",
    ),
    (
        "wrong content type",
        "POST",
        "/api/v1/shipments",
        {"raw": b"id=S2", "content_type": "text/plain"},
        415,
        "unsupported-media-type",
    ),
    (
        "wrong types",
        "POST",
        "/api/v1/shipments",
        {
            "body": {
                "id": 7,
                "door": "D2",
                "destination": "DE",
                "consignee": {"name": "Xeron Optics", "country": "DE"},
            }
        },
        400,
        "invalid-fields",
    ),
    (
        "unknown field",
        "POST",
        "/api/v1/shipments",
        {
            "body": {
                "id": "S2",
                "door": "D2",
                "destination": "DE",
                "consignee": {"name": "Xeron Optics", "country": "DE"},
                "priority": 1,
            }
        },
        400,
        "invalid-fields",
    ),
    (
        "unknown country",
        "POST",
        "/api/v1/shipments",
        {
            "body": {
                "id": "S2",
                "door": "D2",
                "destination": "XX",
                "consignee": {"name": "Xeron Optics", "country": "DE"},
            }
        },
        400,
        "invalid-country",
    ),
    (
        "unknown door",
        "POST",
        "/api/v1/shipments",
        {
            "body": {
                "id": "S2",
                "door": "D9",
                "destination": "DE",
                "consignee": {"name": "Xeron Optics", "country": "DE"},
            }
        },
        404,
        "not-found",
    ),
    (
        "second shipment at a door",
        "POST",
        "/api/v1/shipments",
        {
            "body": {
                "id": "S2",
                "door": "D1",
                "destination": "DE",
                "consignee": {"name": "Xeron Optics", "country": "DE"},
            }
        },
        409,
        "conflict",
    ),
    (
        "same id again",
        "POST",
        "/api/v1/shipments",
        {
            "body": {
                "id": "S1",
                "door": "D2",
                "destination": "DE",
                "consignee": {"name": "Xeron Optics", "country": "DE"},
            }
        },
        409,
        "conflict",
    ),
    (
        "huge body",
        "POST",
        "/api/v1/scans",
        {
            "raw": b"[" + b"0," * 600_000 + b"0]",
            "content_type": "application/json",
            "token": SCANNER_TOKEN,
        },
        413,
        "too-large",
    ),
    (
        "scans not a list",
        "POST",
        "/api/v1/scans",
        {"body": {"scans": "x"}, "token": SCANNER_TOKEN},
        400,
        "invalid-fields",
    ),
    ("no token", "POST", "/api/v1/shipments/S1/seal", {"token": None}, 401, "unauthorized"),
    (
        "wrong token",
        "POST",
        "/api/v1/shipments/S1/seal",
        {"token": "not-a-real-token-at-all"},
        401,
        "unauthorized",
    ),
    (
        "scanner may not seal",
        "POST",
        "/api/v1/shipments/S1/seal",
        {"token": SCANNER_TOKEN},
        403,
        "forbidden",
    ),
    (
        "wms may not scan",
        "POST",
        "/api/v1/scans",
        {"body": {"scan_id": "1", "reader": "r", "door": "D1", "code": "x"}},
        403,
        "forbidden",
    ),
    (
        "wrong operator password",
        "GET",
        "/api/v1/shipments",
        {"auth": basic("ops", "nope")},
        401,
        "unauthorized",
    ),
    ("unknown shipment", "POST", "/api/v1/shipments/NOPE/seal", {}, 404, "not-found"),
    ("dispatch while open", "POST", "/api/v1/shipments/S1/dispatch", {}, 409, "dispatch-refused"),
    (
        "remove unknown line",
        "POST",
        "/api/v1/shipments/S1/lines/09506000000000/remove",
        {"auth": OPERATOR},
        404,
        "not-found",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "kind"),
    [row[1:] for row in BAD_REQUESTS],
    ids=[row[0] for row in BAD_REQUESTS],
)
async def test_bad_requests_get_problems_and_change_nothing(
    gate: Gate,
    demo_config: Path,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    kind: str,
) -> None:
    """Each bad request gets its RFC 9457 problem; shipments and doors are unchanged, and the
    refusal itself is journaled."""
    await gate.create()
    await gate.scan(gtin_with(demo_config, "9.A.4"))
    before = (
        (await gate.call("GET", "/api/v1/shipments"))[1],
        (await gate.call("GET", "/api/v1/doors"))[1],
    )
    records = audit_count(gate)
    got, problem = await gate.call(method, path, **kwargs)
    assert (status, kind) == (got, problem["type"].rsplit("/", 1)[1]), problem
    assert (status, True) == (problem["status"], bool(problem["detail"]))
    after = (
        (await gate.call("GET", "/api/v1/shipments"))[1],
        (await gate.call("GET", "/api/v1/doors"))[1],
    )
    if kind != "dispatch-refused":
        assert before == after
        assert records + 1 == audit_count(gate)
        assert "request.rejected" == audit_kinds(gate)[-1]


async def test_bad_scans_are_rejected_in_a_200_batch(demo_config: Path, gates: Gates) -> None:
    """Bad codes, unknown doors, wrong types and unknown fields are per-scan rejections;
    the good scan in the same batch still counts (from a scanner bound to no door: a bound
    one is refused the whole batch, tests/service/test_scan_id_reuse.py)."""
    roaming = "roaming-scanner-token-0123"
    with demo_config.open("a") as f:
        f.write(f'\n[[clients]]\nname = "roaming"\nrole = "scanner"\ntoken = "{roaming}"\n')
    gate = await gates.start()
    await gate.create()
    good = gtin_with(demo_config, "")
    scans = [
        {"scan_id": "b1", "reader": "r", "door": "D1", "code": "09506000134353"},
        {"scan_id": "b2", "reader": "r", "door": "D9", "code": good},
        {"scan_id": 3, "reader": "r", "door": "D1", "code": good},
        {"scan_id": "b4", "reader": "r", "door": "D1", "code": good, "colour": "red"},
        {"scan_id": "b5", "reader": "r", "door": "D2", "code": good},
        {"scan_id": "b6", "reader": "r", "door": "D1", "code": "3074257BF7194E4000001A8"},
        {"scan_id": "b7", "reader": "r", "door": "D1", "code": good},
    ]
    status, body = await gate.call("POST", "/api/v1/scans", {"scans": scans}, token=roaming)
    results = body["results"]
    assert (200, ["rejected"] * 6 + ["accepted"]) == (status, [r["status"] for r in results])
    assert "check digit" in results[0]["error"]
    assert "unknown door" in results[1]["error"]
    assert ("scan_id", "colour") == (results[2]["field"], results[3]["field"])
    assert "no open shipment" in results[4]["error"]
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert [(good, 1)] == [(x["key"], x["quantity"]) for x in doc["lines"]]


async def test_scans_after_seal_are_rejected(gate: Gate, demo_config: Path) -> None:
    """After seal a scan is rejected with the reason, and the shipment does not change."""
    await gate.create()
    await gate.scan(gtin_with(demo_config, ""))
    await gate.call("POST", "/api/v1/shipments/S1/seal")
    _, before = await gate.call("GET", "/api/v1/shipments/S1")
    result = await gate.scan(gtin_with(demo_config, "9.A.4"))
    assert ("rejected", True) == (result["status"], "is sealed" in result["error"])
    _, after = await gate.call("GET", "/api/v1/shipments/S1")
    assert before == after


async def test_state_survives_restart(demo_config: Path, gates: Gates) -> None:
    """A held shipment, its lines and scan ids are there after a restart."""
    g = await gates.start()
    await g.create()
    gyro = gtin_with(demo_config, "9.A.4")
    await g.scan(gyro, scan_id="keep-1")
    await g.call("POST", "/api/v1/shipments/S1/seal")
    _, before = await g.call("GET", "/api/v1/shipments/S1")
    await gates.stop(g)
    g = await gates.start()
    _, after = await g.call("GET", "/api/v1/shipments/S1")
    assert (before["state"], before["lines"]) == (after["state"], after["lines"])
    again = await g.call(
        "POST",
        "/api/v1/scans",
        {"scan_id": "keep-1", "reader": "r1", "door": "D1", "code": gyro},
        token=SCANNER_TOKEN,
    )
    assert "duplicate" == again[1]["results"][0]["status"]


async def test_rate_limit_keeps_one_client_from_starving_others(
    demo_config: Path, gates: Gates
) -> None:
    """A client over its rate gets 429 with Retry-After; another client is still served."""
    text = demo_config.read_text().replace("[http]\n", "[http]\nrate_limit = 0.01\nburst = 5\n", 1)
    demo_config.write_text(text)
    g = await gates.start()
    statuses = [(await g.call("GET", "/api/v1/doors"))[0] for _ in range(8)]
    assert [200] * 5 + [429] * 3 == statuses
    status, _ = await g.call("GET", "/api/v1/doors", auth=OPERATOR)
    assert 200 == status


async def test_table_reload_reevaluates_and_bad_table_is_refused(
    gate: Gate, demo_config: Path
) -> None:
    """A new table re-decides live shipments (cleared becomes held); a corrupt one is refused
    with an alert and the old table stays."""
    plain = gtin_with(demo_config, "")
    await gate.create()
    await gate.scan(plain)
    _, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert "cleared" == doc["state"]
    catalogue = demo_config.parent / "catalogue.csv"
    lines = catalogue.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(plain + ","))
    lines[at] += "9.A.4"  # the item is now listed under 9.A.4
    catalogue.write_text("\n".join(lines) + "\n")

    cfg = gate.config
    compile_table(cfg.table.control_list, cfg.table.catalogues, cfg.table.path)
    reloader = gate.app[app_keys.RELOADER]
    assert await reloader.reload("test")
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert ("held", ["cat2"]) == (doc["state"], doc["lines"][0]["reasons"])
    version = gate.app[app_keys.TABLE].current().info.version
    cfg.table.path.write_bytes(cfg.table.path.read_bytes()[:-10])
    assert not await reloader.reload("test")
    assert version == gate.app[app_keys.TABLE].current().info.version
    status, item = await gate.call("GET", f"/api/v1/items/{plain}")
    assert (200, "9.A.4") == (status, item["classification"]["control"])


async def test_readyz_reports_database(gate: Gate) -> None:
    """/readyz checks the table and that the database takes writes."""
    status, body = await gate.call("GET", "/readyz", token=None)
    assert (200, READY_CHECKS) == (status, body["checks"])


@pytest.mark.parametrize(
    ("change", "field", "where"),
    [
        ({"destination": "Germany"}, "destination", "the shipment's destination"),
        (
            {"consignee": {"name": "Acme", "country": "Germany"}},
            "consignee.country",
            "the consignee's country",
        ),
        ({"transit": ["Germany"]}, "transit", "the shipment's transit countries"),
        (
            {"parties": [{"role": "end_user", "name": "Ypsilon Werke", "country": "Germany"}]},
            "parties",
            "the end_user's country",
        ),
    ],
)
async def test_a_country_named_in_words_is_told_the_form_the_field_takes(
    gate: Gate, change: dict[str, Any], field: str, where: str
) -> None:
    """ "Germany" is refused as what it is (not an ISO 3166-1 alpha-2 code), in the field
    that held it, never as "at most 2 characters"; nothing is created."""
    body = {"id": "S9", "door": "D1", "destination": "DE", **change}
    body.setdefault("consignee", {"name": "Acme", "country": "DE"})
    status, problem = await gate.call("POST", "/api/v1/shipments", body)
    assert (400, "invalid-country") == (status, problem["type"].rsplit("/", 1)[1])
    assert [field] == [e["field"] for e in problem["errors"]]
    assert (
        f"'Germany' in {where} is not an officially assigned ISO 3166-1 alpha-2"
        in (problem["detail"])
    )
    assert "such as 'DE'" in problem["detail"]
    assert 404 == (await gate.call("GET", "/api/v1/shipments/S9"))[0]
