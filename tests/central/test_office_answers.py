"""The outbox against hostile answers from the office (issue 11, item 4): the fake office is a
real HTTP server answering a licence request with a body that is not UTF-8, a redirect, or a
50 MB body. Each time: the request is not counted as delivered, the sender does not crash,
the next shipment's request is still delivered at once, and the odd one is retried later.

Retries run on a ManualClock the test moves: nothing here sleeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.links.central import ERROR_TEXT_CHARS
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.fake_office import Answer, Office
from tests.service.harness import Gate, Gates, ManualClock, gtin_with, idle, tick, until

HUGE = 50 * 1024 * 1024


async def seal_held(g: Gate, config: Path, sid: str, door: str) -> None:
    """Opens shipment ``sid`` at ``door`` with one gyro and seals it: held, a request queued."""
    await g.create(sid, door=door)
    await g.scan(gtin_with(config, "9.A.4"), door=door)
    status, doc = await g.call("POST", f"/api/v1/shipments/{sid}/seal")
    assert (200, "held") == (status, doc["state"])


def outbox(g: Gate) -> dict[str, tuple[int, bool]]:
    """request_id -> (attempts, delivered) from the database."""
    conn = connect_readonly(g.config.database)
    try:
        rows = conn.execute(
            "SELECT request_id, attempts, delivered_at IS NOT NULL FROM outbox"
        ).fetchall()
    finally:
        conn.close()
    return {rid: (attempts, bool(delivered)) for rid, attempts, delivered in rows}


def request_ids(office: Office) -> list[str]:
    return [json.loads(raw)["request_id"] for _, raw in office.received]


async def alert_kinds(g: Gate) -> list[str]:
    status, doc = await g.call("GET", "/api/v1/status")
    assert 200 == status, doc
    return [a["kind"] for a in doc["alerts"]]


async def survives(
    gates: Gates, demo_config: Path, office: Office, hostile: Answer
) -> tuple[Gate, ManualClock, str]:
    """Answers S1's request with ``hostile``; checks that it is not delivered, that S2's
    request behind it is delivered without the clock moving, and that S1's is delivered on
    its retry. Returns the gate, its clock and the error the link showed for S1."""
    clock = ManualClock()
    g = await gates.start(clock=clock)
    office.answers = [hostile]
    await seal_held(g, demo_config, "S1", "D1")
    await office.wait_for(1)
    link = g.app[app_keys.CENTRAL]
    error = str(await until(lambda: link.health.last_error, "the failure shown"))
    await idle(clock)
    assert {"S1-r1@dock-a": (1, False)} == outbox(g)
    assert 0 == link.health.delivered

    await seal_held(g, demo_config, "S2", "D2")
    await office.wait_for(2)
    await idle(clock)
    assert (["S1-r1@dock-a", "S2-r1@dock-a"], (1, True)) == (
        request_ids(office),
        outbox(g)["S2-r1@dock-a"],
    )

    await tick(clock, 3600.0)  # S1's backoff has passed: tried again, answered 202
    assert ["S1-r1@dock-a", "S2-r1@dock-a", "S1-r1@dock-a"] == request_ids(office)
    assert {"S1-r1@dock-a": (2, True), "S2-r1@dock-a": (1, True)} == outbox(g)
    assert 2 == link.health.delivered
    return g, clock, error


async def test_non_utf8_error_body_neither_stalls_nor_crashes_the_outbox(
    gates: Gates, demo_config: Path, office: Office
) -> None:
    """A 500 whose body is not UTF-8 (though it says so) is a retryable failure shown with
    the undecodable bytes replaced; the requests behind it still go."""
    body = b"\xff\xfe upstream \x80\x81 failure \xc3"
    hostile = Answer(500, body, {"Content-Type": "text/plain; charset=utf-8"})
    _, _, error = await survives(gates, demo_config, office, hostile)
    assert error.startswith("HTTP 500: ") and "upstream" in error and "\ufffd" in error


@pytest.mark.parametrize("status", [302, 307])
async def test_redirect_is_not_followed_nor_counted_as_delivered(
    gates: Gates, demo_config: Path, office: Office, status: int
) -> None:
    """A 302 or 307 from the office is not followed (nothing reaches the Location) and not a
    delivery: it is retried, and an alert tells the operator to check the URL."""
    hostile = Answer(status, b"", {"Location": f"{office.url}/moved"})
    g, _, error = await survives(gates, demo_config, office, hostile)
    assert ([], True) == (office.elsewhere, "redirect" in error)
    assert "link_redirected" in await until(
        lambda: _alerted(g, "link_redirected"), "the link_redirected alert"
    )


async def _alerted(g: Gate, kind: str) -> list[str] | None:
    kinds = await alert_kinds(g)
    return kinds if kind in kinds else None


async def test_huge_error_body_is_read_only_up_to_the_limit(
    gates: Gates, demo_config: Path, office: Office
) -> None:
    """A 500 streaming a 50 MB body costs the sender a bounded excerpt: it stops reading
    (the office cannot send it all), keeps a short error, and the outbox goes on."""
    hostile = Answer(500, b"", {"Content-Type": "text/plain"}, stream=HUGE)
    _, _, error = await survives(gates, demo_config, office, hostile)
    await until(lambda: office.streams_ended, "the office's stream to end")
    # What the office got out is what the sockets' buffers took, not the body.
    assert office.streamed < HUGE // 2, office.streamed
    assert len(error) <= ERROR_TEXT_CHARS and error.startswith("HTTP 500: xxx")
