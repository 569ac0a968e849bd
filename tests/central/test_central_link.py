"""The central approval link end to end, against a real fake central office (an aiohttp
server in the test) and a real gate on a real socket with a real SQLite file.

Retries, backoff and expiry run on a ManualClock the test moves: nothing here sleeps."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gate.core.signatures import Verifier, parse_private_key, parse_secret, signed_headers
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.fake_office import Answer, Office
from tests.service.harness import OPERATOR, Gate, Gates, ManualClock, gtin_with, idle, tick, until

GATE_SIGNING = "whsec_Iom5HifUyyy1Fp7cz97WlZLY6WvWrCp7eAAcuovO7kM="
OFFICE_SECRET = "whsec_y9iZlFpigdEAohCe3PyZSWTamRL4s5UHdR+a1Io9yic="


def approval(
    request_id: str,
    number: str,
    *,
    shipment: str = "S1",
    seconds: float = 10 * 86400,
    now: dt.datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The body of an approval callback, its licence valid for `seconds` from ``now`` (the
    real time unless a test's clock is given)."""
    start = now if now is not None else dt.datetime.now(dt.UTC)
    until = (start + dt.timedelta(seconds=seconds)).isoformat()
    return {
        "request_id": request_id,
        "shipment_id": shipment,
        "decision": "approved",
        **extra,
        "licence": {"number": number, "valid_until": until},
    }


def office_key(config: Path) -> Any:
    return parse_private_key((config.parent / "demo-office.key").read_text().strip())


async def callback(
    g: Gate,
    path: str,
    body: dict[str, Any] | bytes,
    *,
    headers: dict[str, str] | None = None,
    msg_id: str = "msg_1",
    ts: int | None = None,
    key: Any = None,
    secret: str | None = None,
) -> tuple[int, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = ts if ts is not None else int(time.time())
    if headers is None:
        headers = signed_headers(
            msg_id,
            stamp,
            raw,
            private_key=key,
            secret=None if secret is None else parse_secret(secret),
        )
    async with g.session.post(
        g.url + path, data=raw, headers={**headers, "Content-Type": "application/json"}
    ) as r:
        return r.status, await r.json(content_type=None)


async def held(
    g: Gate, config: Path, office: Office, *, units: int = 1
) -> tuple[str, dict[str, Any]]:
    """A sealed, held shipment S1 with `units` gyros; returns the gyro key and the request."""
    await g.create()
    gyro = gtin_with(config, "9.A.4")
    for _ in range(units):
        await g.scan(gyro)
    status, doc = await g.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, doc["state"])
    await office.wait_for(1)
    return gyro, json.loads(office.received[-1][1])


async def test_request_arrives_signed_and_approval_releases(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """A held shipment's request reaches the office signed by the gate; the office's signed
    approval (v1a) clears it, and it dispatches."""
    gyro, request = await held(gate, demo_config, office)
    headers, raw = office.received[0]
    msg_id, scheme = Verifier(secret=parse_secret(GATE_SIGNING)).verify(
        {k.lower(): v for k, v in headers.items()}, raw, time.time()
    )
    assert (request["request_id"], "v1") == (msg_id, scheme)
    assert ("dock-a", "S1", "DE") == (
        request["gate_id"],
        request["shipment"]["id"],
        request["shipment"]["destination"],
    )
    assert [(gyro, 1, ["cat2"])] == [
        (x["key"], x["quantity"], x["reasons"]) for x in request["lines"]
    ]
    body = approval(request["request_id"], "EXP-2026-0042")
    status, answer = await callback(gate, "/api/v1/approvals", body, key=office_key(demo_config))
    assert (200, "cleared") == (status, answer["shipment"]["state"])
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert "EXP-2026-0042" == doc["lines"][0]["covered_by"]["licence"]
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"])


async def link_doc(g: Gate) -> dict[str, Any]:
    status, link = await g.call("GET", "/api/v1/link")
    assert 200 == status, link
    return dict(link)


async def alert_kinds(g: Gate) -> list[str]:
    """The kinds of the recent alerts on the status page, newest first."""
    status, doc = await g.call("GET", "/api/v1/status")
    assert 200 == status, doc
    return [a["kind"] for a in doc["alerts"]]


async def test_office_down_then_up(gates: Gates, demo_config: Path, office: Office) -> None:
    """While the office is unreachable the request waits, and once it has been down for
    unreachable_alert_seconds an alert says so; once it is up, the request arrives."""
    await office.stop()
    clock = ManualClock()
    g = await gates.start(clock=clock)
    await g.create()
    await g.scan(gtin_with(demo_config, "9.A.4"))
    await g.call("POST", "/api/v1/shipments/S1/seal")
    await idle(clock)
    link = await link_doc(g)
    assert (1, True, False) == (
        link["backlog"],
        link["last_error"] is not None,
        "link_down" in await alert_kinds(g),
    )
    await tick(clock, 1.0)  # unreachable_alert_seconds = 1 (point_at)
    await until(lambda: _has_alert(g, "link_down"), "the link_down alert")
    await office.start()
    await tick(clock, 1.0)
    assert 1 == len(office.received)
    link = await link_doc(g)
    assert (0, None, 1) == (link["backlog"], link["unreachable_since"], link["delivered"])


async def _has_alert(g: Gate, kind: str) -> bool:
    return kind in await alert_kinds(g)


async def test_pending_requests_survive_a_restart(
    gates: Gates, demo_config: Path, office: Office
) -> None:
    """A request queued while the office was down is delivered by the restarted gate."""
    await office.stop()
    g = await gates.start()
    await g.create()
    await g.scan(gtin_with(demo_config, "9.A.4"))
    await g.call("POST", "/api/v1/shipments/S1/seal")
    await gates.stop(g)
    await office.start()
    await gates.start()
    await office.wait_for(1)
    assert "S1-r1@dock-a" == json.loads(office.received[0][1])["request_id"]


async def test_500_is_retried_then_202_stops(
    gates: Gates, demo_config: Path, office: Office
) -> None:
    """Answers 500, 500, then 202: each retry waits for its backoff, three deliveries of the
    same request in all, then no more however long the gate runs."""
    clock = ManualClock()
    gate = await gates.start(clock=clock)
    office.answers = [500, 500]
    await gate.create()
    await gate.scan(gtin_with(demo_config, "9.A.4"))
    await gate.call("POST", "/api/v1/shipments/S1/seal")
    await office.wait_for(1)
    await idle(clock)
    assert 1 == len(office.received)  # the backoff holds the retry until the clock moves
    await tick(clock, 1.0)  # retry_max_seconds = 0.3 (point_at)
    assert 2 == len(office.received)
    await tick(clock, 1.0)
    assert 3 == len(office.received)
    await tick(clock, 86400.0)
    ids = {json.loads(raw)["request_id"] for _, raw in office.received}
    assert (3, {"S1-r1@dock-a"}) == (len(office.received), ids)
    conn = connect_readonly(gate.config.database)
    row = conn.execute("SELECT attempts, delivered_at IS NOT NULL FROM outbox").fetchone()
    conn.close()
    assert (3, 1) == tuple(row)


async def test_request_queued_while_a_round_runs_is_sent_at_once(
    gates: Gates, demo_config: Path, office: Office
) -> None:
    """A request queued while the sender waits for the office's answer to another is sent
    right after that answer, not after the next backoff elsewhere (no lost wake-up)."""
    clock = ManualClock()
    g = await gates.start(clock=clock)
    release = asyncio.Event()
    office.answers = [500, Answer(release=release)]
    gyro = gtin_with(demo_config, "9.A.4")
    for n, sid in enumerate(("S1", "S2", "S3"), 1):
        await g.create(sid, door=f"D{n}")
        await g.scan(gyro, door=f"D{n}")
        await g.call("POST", f"/api/v1/shipments/{sid}/seal")
        # S1 is answered 500 and backs off; S2's answer is held while S3 is queued.
        await office.wait_for(min(n, 2))
        if n == 1:
            await idle(clock)
    release.set()
    await office.wait_for(3)
    assert ["S1-r1@dock-a", "S2-r1@dock-a", "S3-r1@dock-a"] == [
        json.loads(raw)["request_id"] for _, raw in office.received
    ]


async def test_definitive_refusal_stops_retrying(
    gates: Gates, demo_config: Path, office: Office
) -> None:
    """A 400 from the office is final: one delivery, no retry, an alert-worthy error kept."""
    clock = ManualClock()
    gate = await gates.start(clock=clock)
    office.answers = [400]
    await gate.create()
    await gate.scan(gtin_with(demo_config, "9.A.4"))
    await gate.call("POST", "/api/v1/shipments/S1/seal")
    await office.wait_for(1)
    await tick(clock, 86400.0)
    assert 1 == len(office.received)
    link = await link_doc(gate)
    assert (0, 1) == (link["backlog"], link["refused"])
    await until(lambda: _has_alert(gate, "request_refused"), "the request_refused alert")


def shipment_state(g: Gate) -> Any:
    conn = connect_readonly(g.config.database)
    try:
        return conn.execute("SELECT doc FROM shipments WHERE id = 'S1'").fetchone()[0]
    finally:
        conn.close()


async def test_callbacks_that_change_nothing(gate: Gate, demo_config: Path, office: Office) -> None:
    """Bad, missing, foreign, stale, future and fractional signatures; an unknown request;
    lines not in the request; a malformed body: each a problem, and nothing changes."""
    _, request = await held(gate, demo_config, office)
    rid = request["request_id"]
    good = approval(rid, "L-1")
    raw = json.dumps(good).encode()
    key = office_key(demo_config)
    now = int(time.time())
    other = parse_private_key("whsk_" + "A" * 43 + "=")
    signed = signed_headers("msg_z", now, raw, private_key=key)
    cases: list[tuple[str, bytes, dict[str, str], int]] = [
        ("bad signature", raw, {**signed, "webhook-signature": "v1a," + "A" * 86 + "=="}, 401),
        ("no signature", raw, {k: v for k, v in signed.items() if k != "webhook-signature"}, 401),
        ("another key", raw, signed_headers("msg_z", now, raw, private_key=other), 401),
        ("stale", raw, signed_headers("msg_z", now - 600, raw, private_key=key), 401),
        ("future", raw, signed_headers("msg_z", now + 600, raw, private_key=key), 401),
        ("fractional", raw, {**signed, "webhook-timestamp": f"{now}.25"}, 401),
        ("body changed after signing", raw.replace(b"L-1", b"L-2"), signed, 401),
    ]
    for body, status in [
        ({**good, "request_id": "S1-r9@dock-a"}, 404),
        ({**good, "shipment_id": "S9"}, 404),
        ({**good, "lines": [{"key": "09999999999999", "quantity": 1}]}, 400),
        ({**good, "decision": "maybe"}, 400),
        ({**good, "extra": 1}, 400),
        ({k: v for k, v in good.items() if k != "licence"}, 400),
    ]:
        b = json.dumps(body).encode()
        cases.append(
            (
                f"body {body}",
                b,
                signed_headers(f"msg_{len(cases)}", now, b, private_key=key),
                status,
            )
        )
    b = b"{not json"
    cases.append(("malformed", b, signed_headers("msg_m", now, b, private_key=key), 400))
    before = shipment_state(gate)
    for name, body_bytes, headers, status in cases:
        got, problem = await callback(gate, "/api/v1/approvals", body_bytes, headers=headers)
        assert (status, True) == (got, "detail" in problem), name
        assert before == shipment_state(gate), name


async def test_redelivery_is_answered_as_before_and_applied_once(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """The same webhook-id and body again gets the same answer and is applied once; the same
    id with another body is refused."""
    _, request = await held(gate, demo_config, office)
    body = approval(request["request_id"], "L-7")
    key = office_key(demo_config)
    first = await callback(gate, "/api/v1/approvals", body, key=key, msg_id="msg_same")
    again = await callback(gate, "/api/v1/approvals", body, key=key, msg_id="msg_same")
    assert first == again
    other = await callback(
        gate, "/api/v1/approvals", {**body, "reason": "changed"}, key=key, msg_id="msg_same"
    )
    assert 409 == other[0]
    conn = connect_readonly(gate.config.database)
    approvals = conn.execute(
        "SELECT count(*) FROM audit WHERE kind = 'approval.approved'"
    ).fetchone()[0]
    conn.close()
    assert 1 == approvals


async def test_denial_is_final_and_denial_after_dispatch_refused(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """A denial makes its lines prohibited (door red); a denial after dispatch is refused."""
    _, request = await held(gate, demo_config, office)
    body = {
        "request_id": request["request_id"],
        "shipment_id": "S1",
        "decision": "denied",
        "reason": "end user",
    }
    status, answer = await callback(gate, "/api/v1/approvals", body, key=office_key(demo_config))
    assert (200, "blocked", "red") == (
        status,
        answer["shipment"]["state"],
        answer["shipment"]["signal"],
    )
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert ("prohibited", "denied") == (doc["lines"][0]["decision"], doc["lines"][0]["reasons"][0])
    # A second shipment that leaves, then a denial for it: refused, nothing changes. The
    # denied gyro is unloaded first: the cancel holds the door until an operator says so.
    await gate.call("POST", "/api/v1/shipments/S1/cancel")
    _, door = await gate.call("GET", "/api/v1/doors/D1")
    ack = {"windows": door["hold"]["windows"]}
    status, _ = await gate.call("POST", "/api/v1/doors/D1/acknowledge", ack, auth=OPERATOR)
    assert 200 == status
    await gate.create(
        "S2", destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"}
    )
    await gate.scan(gtin_with(demo_config, ""))
    await gate.call("POST", "/api/v1/shipments/S2/seal")
    await gate.call("POST", "/api/v1/shipments/S2/dispatch")
    late = {"request_id": "S2-r1@dock-a", "shipment_id": "S2", "decision": "denied"}
    status, problem = await callback(
        gate, "/api/v1/approvals", late, key=office_key(demo_config), msg_id="msg_late"
    )
    assert status in (404, 409), problem
    _, doc = await gate.call("GET", "/api/v1/shipments/S2")
    assert "dispatched" == doc["state"]


async def test_approval_for_fewer_units_keeps_the_hold(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """Approving 2 of 3 loaded units leaves the line uncovered and asks again for 3; the
    shipment's history says what was approved and what is asked for next."""
    gyro, request = await held(gate, demo_config, office, units=3)
    body = approval(request["request_id"], "L-2", lines=[{"key": gyro, "quantity": 2}])
    status, answer = await callback(gate, "/api/v1/approvals", body, key=office_key(demo_config))
    assert (200, "held") == (status, answer["shipment"]["state"])
    await office.wait_for(2)
    again = json.loads(office.received[1][1])
    assert [(gyro, 3)] == [(x["key"], x["quantity"]) for x in again["lines"]]
    _, history = await gate.call("GET", "/api/v1/shipments/S1/history")
    summaries = [r["summary"] for r in history["records"]]
    approved = f"Central office approved request {request['request_id']} for {gyro} ×2"
    assert any(s.startswith(approved + ", licence L-2") for s in summaries), summaries
    asked = f"Licence request {again['request_id']} queued for the central office: {gyro} ×3"
    assert any(s.startswith(asked) for s in summaries), summaries


async def test_approval_expiry_holds_the_shipment_again(
    gates: Gates, demo_config: Path, office: Office
) -> None:
    """Once the approving licence has run out, re-evaluating (what the review timer does when
    a licence runs out) holds the shipment again."""
    clock = ManualClock()
    gate = await gates.start(clock=clock)
    _, request = await held(gate, demo_config, office)
    # Valid for an hour of the gate's clock, however long the start took in real time.
    body = approval(request["request_id"], "L-short", seconds=3600, now=clock.now())
    status, answer = await callback(gate, "/api/v1/approvals", body, key=office_key(demo_config))
    assert (200, "cleared") == (status, answer["shipment"]["state"])
    docks = gate.app[app_keys.DOCKS]
    clock.advance(3599)
    await docks.reevaluate_all("licence expiry or stale data check")
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert "cleared" == doc["state"]
    clock.advance(2)
    await docks.reevaluate_all("licence expiry or stale data check")
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert "held" == doc["state"]


def licence_body(quantity: int, number: str = "SL-1") -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {
        "number": number,
        "consignee": {"name": "Acme Precision GmbH", "country": "DE"},
        "destination": "DE",
        "controls": ["9.A.4"],
        "quantity": quantity,
        "valid_from": (now - dt.timedelta(days=1)).isoformat(),
        "valid_until": (now + dt.timedelta(days=30)).isoformat(),
    }


async def test_standing_licence_covers_and_is_drawn_down(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """A pushed standing licence clears a held shipment; dispatch draws it down."""
    await held(gate, demo_config, office, units=2)
    status, _ = await callback(
        gate, "/api/v1/licences", licence_body(5), key=office_key(demo_config)
    )
    assert 200 == status
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert "cleared" == doc["state"]
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"])
    _, licences = await gate.call("GET", "/api/v1/licences")
    assert [("SL-1", 5, 3)] == [
        (x["number"], x["quantity"], x["remaining"]) for x in licences["licences"]
    ]


async def test_racing_dispatches_never_overdraw(gate: Gate, demo_config: Path) -> None:
    """Three cleared shipments each needing 2 units race for a licence of 5: at most two
    dispatch, and the licence never goes below zero."""
    g = gate
    key = office_key(demo_config)
    await callback(g, "/api/v1/licences", licence_body(5), key=key)
    gyro = gtin_with(demo_config, "9.A.4")
    for sid, door in (("S1", "D1"), ("S2", "D2"), ("S3", "D3")):
        await g.create(sid, door=door)
        for _ in range(2):
            await g.scan(gyro, door=door)
        _, doc = await g.call("POST", f"/api/v1/shipments/{sid}/seal")
        assert "cleared" == doc["state"]
    results = await asyncio.gather(
        *(g.call("POST", f"/api/v1/shipments/{sid}/dispatch") for sid in ("S1", "S2", "S3"))
    )
    assert 2 == [status for status, _ in results].count(200)
    _, licences = await g.call("GET", "/api/v1/licences")
    assert 1 == licences["licences"][0]["remaining"]
    conn = connect_readonly(g.config.database)
    assert 1 == conn.execute("SELECT remaining FROM licences").fetchone()[0]
    conn.close()


@pytest.mark.slow  # two `gate approve` processes
async def test_gate_approve_command(gate: Gate, demo_config: Path, office: Office) -> None:
    """`gate approve` signs (v1a with the office key file) and sends an approval that clears."""
    _, request = await held(gate, demo_config, office)
    run = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "gate",
            "approve",
            "--config",
            str(demo_config),
            "--request",
            request["request_id"],
            "--shipment",
            "S1",
            "--licence",
            "EXP-1",
            "--key-file",
            str(demo_config.parent / "demo-office.key"),
            "--url",
            gate.url + "/api/v1/approvals",
        ],
        capture_output=True,
        text=True,
    )
    assert 0 == run.returncode, run.stderr
    assert "cleared" == json.loads(run.stdout)["shipment"]["state"]
    run = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "gate",
            "approve",
            "--config",
            str(demo_config),
            "--request",
            "S1-r9@dock-a",
            "--shipment",
            "S1",
            "--deny",
            "--key-file",
            str(demo_config.parent / "demo-office.key"),
            "--url",
            gate.url + "/api/v1/approvals",
        ],
        capture_output=True,
        text=True,
    )
    assert 1 == run.returncode
    assert 1 == len(run.stderr.strip().splitlines()) and "404" in run.stderr


async def test_link_health_in_metrics(gate: Gate, demo_config: Path, office: Office) -> None:
    """/metrics shows the outbox backlog and deliveries."""
    await held(gate, demo_config, office)

    async def metrics() -> str | None:
        status, text = await gate.call("GET", "/metrics")
        assert 200 == status
        return text if "gate_central_delivered 1.0" in text else None

    text = await until(metrics, "the delivery counted in /metrics")
    assert "gate_central_backlog 0.0" in text


async def test_answered_or_cancelled_requests_are_not_sent_again(
    gates: Gates, demo_config: Path, office: Office
) -> None:
    """A request answered (or its shipment cancelled) while the office was unreachable is
    taken out of the outbox instead of being delivered late."""
    await office.stop()
    clock = ManualClock()
    g = await gates.start(clock=clock)
    await g.create()
    await g.scan(gtin_with(demo_config, "9.A.4"))
    await g.call("POST", "/api/v1/shipments/S1/seal")
    body = approval("S1-r1@dock-a", "L-9")
    status, _ = await callback(g, "/api/v1/approvals", body, key=office_key(demo_config))
    assert 200 == status
    await g.call("POST", "/api/v1/shipments/S1/cancel")
    await g.create("S2", door="D2")
    await g.scan(gtin_with(demo_config, "9.A.4"), door="D2")
    await g.call("POST", "/api/v1/shipments/S2/seal")
    await g.call("POST", "/api/v1/shipments/S2/cancel")
    # A round already sending when a request was taken out may still try it once (at least
    # once delivery): the office comes up only once the link has finished its rounds.
    await idle(clock)
    await office.start()
    await tick(clock, 86400.0)
    assert [] == office.received
    assert 0 == (await link_doc(g))["backlog"]
