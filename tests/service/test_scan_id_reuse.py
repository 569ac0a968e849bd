"""Scan ids attacked on a running gate: a reused id, another client's ids, a scan for a door
the client is not bound to, over HTTP and the scanner socket, and across a restart.

A retry (the same client, reader, scan id, code, door, kind and named shipment) is answered
``duplicate`` with the first answer; any other scan under a used id is rejected naming the
first use and journaled (``scan.id_reused``), never answered from the old result; ids are
scoped to the authenticated client; a client bound to doors cannot scan elsewhere.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest

from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.service.harness import SCANNER_TOKEN, SCANNER_TOKENS, Gate, Gates, gtin_with
from tests.service.test_scanner_socket import Reader

#: Two more handhelds, appended to the demo config by the tests that need them: one bound to
#: doors D1 and D2, one to D1 (where the demo's scanner-door-1 scans too).
HANDHELD_A = "handheld-a-token-0123456789"
HANDHELD_B = "handheld-b-token-0123456789"
HANDHELDS = f"""
[[clients]]
name = "handheld-a"
role = "scanner"
token = "{HANDHELD_A}"
doors = ["D1", "D2"]

[[clients]]
name = "handheld-b"
role = "scanner"
token = "{HANDHELD_B}"
doors = ["D1"]
"""


def add_handhelds(config: Path) -> None:
    with config.open("a") as f:
        f.write(HANDHELDS)


def scan(sid: str, code: str, door: str = "D1", reader: str = "hh-7", **extra: Any) -> Any:
    return {"scan_id": sid, "reader": reader, "door": door, "code": code, **extra}


async def post(gate: Gate, *scans: Any, token: str = SCANNER_TOKEN) -> tuple[int, Any]:
    """Posts the scans as one batch; (status, the results or the problem document)."""
    status, body = await gate.call("POST", "/api/v1/scans", {"scans": list(scans)}, token=token)
    return status, body["results"] if status == 200 else body


def journal(gate: Gate, kind: str | None = None) -> list[tuple[str, str, str | None, Any]]:
    """The audit records (kind, actor, subject, data), oldest first; only ``kind`` if given."""
    db = connect_readonly(gate.config.database)
    try:
        rows = db.execute("SELECT kind, actor, subject, data FROM audit ORDER BY seq").fetchall()
    finally:
        db.close()
    return [(k, a, s, json.loads(d)) for k, a, s, d in rows if kind is None or k == kind]


def stored_scans(gate: Gate) -> list[tuple[str, str, str, str]]:
    """The scans table: (client, reader, scan_id, code), oldest first."""
    db = connect_readonly(gate.config.database)
    try:
        rows = db.execute(
            "SELECT client, reader, scan_id, code FROM scans ORDER BY rowid"
        ).fetchall()
    finally:
        db.close()
    return [tuple(r) for r in rows]


async def lines(gate: Gate, sid: str = "S1") -> dict[str, int]:
    _, doc = await gate.call("GET", f"/api/v1/shipments/{sid}")
    return {line["key"]: line["quantity"] for line in doc["lines"]}


async def test_restarted_counter_new_item_under_used_id_is_rejected_and_not_lost(
    gate: Gate, demo_config: Path
) -> None:
    """Reused-id attack: a handheld whose counter restarted sends a gyro for Iran under an id
    it used for a plain item. The gyro is rejected naming the first use, journaled, and
    alerted; sent again under a new id it is recorded, and the sealed shipment is not
    cleared."""
    await gate.create(destination="IR", consignee={"name": "Pars Trading", "country": "IR"})
    plain, gyro = gtin_with(demo_config, ""), gtin_with(demo_config, "9.A.4")
    status, first = await post(gate, scan("1", plain))
    assert (200, "accepted") == (status, first[0]["status"])

    status, reused = await post(gate, scan("1", gyro))
    assert (200, "rejected", "scan_id") == (status, reused[0]["status"], reused[0].get("field"))
    error = reused[0]["error"]
    assert "already used" in error and plain in error and "'D1'" in error, error
    assert {plain: 1} == await lines(gate)
    kind, actor, subject, data = journal(gate)[-1]
    assert ("scan.id_reused", "scanner-door-1", "S1") == (kind, actor, subject)
    assert (gyro, plain, ["code"]) == (data["code"], data["first"]["code"], data["differs"])

    status, again = await post(gate, scan("2", gyro))
    assert (200, "accepted") == (status, again[0]["status"])
    assert {plain: 1, gyro: 1} == await lines(gate)
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert 200 == status, sealed
    assert "cleared" != sealed["state"]


@pytest.mark.parametrize(
    ("changed", "extra"),
    [
        ("code", {"code": "OTHER"}),
        ("door", {"door": "D2"}),
        ("kind", {"kind": "gtin"}),
        ("shipment", {"shipment": "S1"}),
    ],
)
async def test_same_id_for_a_different_scan_is_rejected_never_answered_from_the_first(
    gates: Gates, demo_config: Path, changed: str, extra: dict[str, str]
) -> None:
    """Reused-id attack, field by field: the same client, reader and id with another code,
    door, kind or named shipment is rejected naming the field, and records nothing."""
    add_handhelds(demo_config)
    gate = await gates.start()
    await gate.create("S1", "D1")
    await gate.create("S2", "D2")
    plain, other = gtin_with(demo_config, ""), gtin_with(demo_config, "", 1)
    first = scan("y1", plain)
    status, answered = await post(gate, first, token=HANDHELD_A)
    assert (200, "accepted") == (status, answered[0]["status"])
    changes = {k: other if v == "OTHER" else v for k, v in extra.items()}

    status, reused = await post(gate, {**first, **changes}, token=HANDHELD_A)
    assert (200, "rejected") == (status, reused[0]["status"])
    assert f"differs in {changed}" in reused[0]["error"]
    assert "first_status" not in reused[0]
    assert ({plain: 1}, {}) == (await lines(gate, "S1"), await lines(gate, "S2"))
    assert [("handheld-a", "hh-7", "y1", plain)] == stored_scans(gate)
    assert [changed] == journal(gate, "scan.id_reused")[-1][3]["differs"]


async def test_retry_of_the_identical_scan_is_a_duplicate_with_the_first_answer(
    gate: Gate, demo_config: Path
) -> None:
    """A retry (every compared field the same; a later ``ts`` is still the same scan) gets
    the first answer marked duplicate and counts nothing."""
    await gate.create()
    gyro = gtin_with(demo_config, "9.A.4")
    sent = scan("r1", gyro, kind="gtin", shipment="S1", ts="2026-11-29T10:00:00+00:00")
    _, first = await post(gate, sent)
    _, again = await post(gate, {**sent, "ts": "2026-11-29T10:00:05+00:00"})
    assert {**first[0], "status": "duplicate", "first_status": "accepted"} == again[0]
    assert {gyro: 1} == await lines(gate)
    assert [] == journal(gate, "scan.id_reused")


async def test_another_clients_ids_neither_collide_nor_read_back(
    gates: Gates, demo_config: Path
) -> None:
    """Cross-client attack: a second token at the same door posting the first one's reader
    and scan id has its own scan decided and recorded, never the first client's answer, and
    its own retry is answered from its own scan."""
    add_handhelds(demo_config)
    gate = await gates.start()
    await gate.create()
    plain, gyro = gtin_with(demo_config, ""), gtin_with(demo_config, "9.A.4")
    _, mine = await post(gate, scan("x1", plain), token=SCANNER_TOKEN)
    _, theirs = await post(gate, scan("x1", gyro), token=HANDHELD_B)
    _, same = await post(gate, scan("x1", plain), token=HANDHELD_B)
    assert ["accepted", "rejected"] == [theirs[0]["status"], same[0]["status"]]
    assert gyro == theirs[0]["item"]["key"]
    assert plain not in json.dumps([theirs, same[0]["item"]])
    _, retried = await post(gate, scan("x1", gyro), token=HANDHELD_B)
    assert {**theirs[0], "status": "duplicate", "first_status": "accepted"} == retried[0]
    assert {plain: 1, gyro: 1} == await lines(gate)
    assert [
        ("scanner-door-1", "hh-7", "x1", plain),
        ("handheld-b", "hh-7", "x1", gyro),
    ] == stored_scans(gate)
    assert "accepted" == mine[0]["status"]


async def test_reuse_within_one_batch_is_rejected(gate: Gate, demo_config: Path) -> None:
    """Batch-internal reuse: two scans with one id and different codes in one request give
    accepted then rejected; the same scan twice gives accepted then duplicate."""
    await gate.create()
    plain, gyro = gtin_with(demo_config, ""), gtin_with(demo_config, "9.A.4")
    status, results = await post(
        gate, scan("b1", plain), scan("b1", gyro), scan("b2", plain), scan("b2", plain)
    )
    assert (200, ["accepted", "rejected", "accepted", "duplicate"]) == (
        status,
        [r["status"] for r in results],
    )
    assert "already used" in results[1]["error"]
    assert {plain: 2} == await lines(gate)
    assert 1 == len(journal(gate, "scan.id_reused"))


async def test_scanner_socket_rejects_a_reused_id_and_a_foreign_door(
    gate: Gate, demo_config: Path, address: tuple[str, int]
) -> None:
    """The socket path: a reused id is a rejected answer naming the first use; a scan for a
    door the client is not bound to is a rejected answer naming the door, journaled, with
    nothing recorded at that door."""
    await gate.create("S1", "D1")
    await gate.create("S2", "D2")
    plain, gyro = gtin_with(demo_config, ""), gtin_with(demo_config, "9.A.4")
    conn = await Reader.connect(address)
    try:
        assert "scanner-door-1" == (await conn.auth())["client"]
        await conn.write(scan("k1", plain), scan("k1", gyro), scan("k2", gyro, door="D2"))
        answers = [await conn.recv() for _ in range(3)]
    finally:
        await conn.close()
    assert ["accepted", "rejected", "rejected"] == [a["status"] for a in answers]
    assert ("scan_id", "door") == (answers[1]["field"], answers[2]["field"])
    assert "already used" in answers[1]["error"] and "'D2'" in answers[2]["error"]
    assert ({plain: 1}, {}) == (await lines(gate, "S1"), await lines(gate, "S2"))
    refused = journal(gate, "scan.door_refused")
    assert [("scanner-door-1", "D2", ["D1"])] == [
        (actor, data["door"], data["doors"]) for _, actor, _, data in refused
    ]


async def test_door_binding_refuses_the_whole_http_request_with_403(
    gate: Gate, demo_config: Path
) -> None:
    """Door attack over HTTP: a bound scanner token posting a batch with a scan for another
    door gets a 403 problem naming the door; nothing of the batch is decided or stored, and
    the refusal is journaled."""
    await gate.create("S1", "D1")
    await gate.create("S2", "D2")
    plain = gtin_with(demo_config, "")
    status, problem = await post(gate, scan("d1", plain), scan("d2", plain, door="D2"))
    assert (403, "door-not-allowed") == (status, problem["type"].rsplit("/", 1)[1])
    assert "D2" in problem["detail"]
    assert ({}, {}, []) == (await lines(gate, "S1"), await lines(gate, "S2"), stored_scans(gate))
    kind, actor, _, data = journal(gate)[-1]
    assert ("request.rejected", "scanner-door-1", 403) == (kind, actor, data["status"])
    status, results = await post(gate, scan("d2", plain, door="D2"), token=SCANNER_TOKENS["D2"])
    assert (200, "accepted") == (status, results[0]["status"])


async def test_a_restart_keeps_the_ids(gates: Gates, demo_config: Path) -> None:
    """Persisted ids: after a restart of the gate, a retry is still a duplicate with the
    first answer and a different scan under the id is still rejected."""
    gate = await gates.start()
    await gate.create()
    plain, gyro = gtin_with(demo_config, ""), gtin_with(demo_config, "9.A.4")
    _, first = await post(gate, scan("p1", plain, kind="gtin"))
    await gates.stop(gate)
    gate = await gates.start()
    _, reused = await post(gate, scan("p1", gyro, kind="gtin"))
    _, retried = await post(gate, scan("p1", plain, kind="gtin"))
    _, no_kind = await post(gate, scan("p1", plain))
    assert ("rejected", "rejected") == (reused[0]["status"], no_kind[0]["status"])
    assert {**first[0], "status": "duplicate", "first_status": "accepted"} == retried[0]
    assert {plain: 1} == await lines(gate)


async def test_an_id_memory_let_go_is_looked_up_before_it_counts_again(
    gate: Gate, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eviction attack: once other scans push an id out of the gate's memory of recent ids
    (one window for every client), a retry of it is still a duplicate with its first answer
    and a new code under it is still refused: the database is asked, nothing counts twice."""
    from gate.service import scan_ids

    monkeypatch.setattr(scan_ids, "RECENT_SCANS", 2)
    await gate.create()
    plain = gtin_with(demo_config, "")
    first = scan("old-1", plain)
    _, (answer,) = await post(gate, first)
    assert "accepted" == answer["status"]
    for n in range(3):  # another reader's scans fill the window and push old-1 out
        status, _ = await post(gate, scan(f"other-{n}", plain, reader="hh-9"))
        assert 200 == status
    assert ("hh-7", "old-1") not in {
        (r, s) for _, r, s in gate.app[app_keys.DOCKS].scan_path.recent
    }
    _, (again,) = await post(gate, first)
    assert ("duplicate", answer["line"]) == (again["status"], again.get("line")), again
    _, (reused,) = await post(gate, scan("old-1", gtin_with(demo_config, "9.A.4")))
    assert ("rejected", "scan_id") == (reused["status"], reused.get("field")), reused
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert [4] == [line["quantity"] for line in doc["lines"] if line["key"] == plain]


async def test_a_forgotten_id_is_looked_up_by_the_writer_when_the_side_read_cannot(
    gate: Gate, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop's own read-only lookup is closed (as it would fail busy): the writer's thread
    answers instead, and a retry of a forgotten id is still a duplicate."""
    from gate.service import scan_ids

    monkeypatch.setattr(scan_ids, "RECENT_SCANS", 2)
    await gate.create()
    plain = gtin_with(demo_config, "")
    first = scan("old-1", plain)
    _, (answer,) = await post(gate, first)
    for n in range(3):
        await post(gate, scan(f"other-{n}", plain, reader="hh-9"))
    gate.app[app_keys.DOCKS].scan_path.side.close()
    _, (again,) = await post(gate, first)
    assert ("duplicate", answer["line"]) == (again["status"], again.get("line")), again


async def test_remembered_scans_leave_the_collector_nothing_to_walk(
    gate: Gate, demo_config: Path
) -> None:
    """What memory keeps of each answered scan, for retries, is text the garbage collector
    stops tracking after one look (a gate remembers 200,000: as objects they made every
    older-generation collection a pause of tens of milliseconds), and a retry of a remembered
    scan still gets its first answer."""
    await gate.create()
    plain = gtin_with(demo_config, "")
    answers = [(await post(gate, scan(f"gc-{n}", plain)))[1][0] for n in range(5)]
    gc.collect()
    recent = gate.app[app_keys.DOCKS].scan_path.recent
    assert 5 <= len(recent)
    assert [] == [first for first in recent.values() if gc.is_tracked(first)]
    _, (again,) = await post(gate, scan("gc-3", plain))
    assert {**answers[3], "status": "duplicate", "first_status": "accepted"} == again
