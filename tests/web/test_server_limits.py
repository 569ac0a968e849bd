"""Slow and greedy clients cannot exhaust the gate (issue 11.10): request heads and bodies
have deadlines, connections and event streams have caps with a clear 503 problem, and a
limit met is logged once, not per request. Real sockets on loopback, bounded counts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from gate.config.settings import load_config
from gate.web import app_keys
from gate.web.app import create_app
from gate.web.limits import GateRunner, ServerLimits
from tests.conftest import WMS_TOKEN
from tests.service.harness import OPERATOR, Gate, lists_loaded, until

CAP = 50
FLOOD = 200
#: Deadlines long enough that nothing expires while a test fills the cap.
CAPPED = ServerLimits(header_seconds=60, max_connections=CAP, max_event_streams=2)
#: Short deadlines, for the tests of the deadlines.
HURRIED = ServerLimits(header_seconds=1.0, body_seconds=1.0, linger_seconds=0.5)


@contextlib.asynccontextmanager
async def serving(demo_config: Path, limits: ServerLimits) -> AsyncIterator[Gate]:
    """A gate served by GateRunner with these limits."""
    config = load_config(demo_config)
    app = create_app(config, limits=limits)
    runner = GateRunner(
        app, limits, app[app_keys.ALARM], app[app_keys.IN_REQUEST], shutdown_timeout=1.0
    )
    await runner.setup()
    await lists_loaded(app)
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    g = Gate(config, runner, url, aiohttp.ClientSession())
    try:
        yield g
    finally:
        await g.session.close()
        await runner.cleanup()


@pytest.fixture
async def capped(demo_config: Path) -> AsyncIterator[Gate]:
    async with serving(demo_config, CAPPED) as g:
        yield g


@pytest.fixture
async def hurried(demo_config: Path) -> AsyncIterator[Gate]:
    async with serving(demo_config, HURRIED) as g:
        yield g


def port_of(g: Gate) -> int:
    return int(g.url.rsplit(":", 1)[1])


async def read_all(reader: asyncio.StreamReader, seconds: float = 10) -> bytes:
    """Everything the server sends until it closes (bounded by ``seconds``)."""
    return await asyncio.wait_for(reader.read(), seconds)


def parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split(" ", 2)[1]), {k.lower(): v for k, v in headers.items()}, body


async def readyz(g: Gate) -> int:
    async with g.session.get(g.url + "/readyz") as r:
        return r.status


async def open_slow(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection that starts a request head and does not finish it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /readyz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    await writer.drain()
    return reader, writer


async def open_busy(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection inside a request: its head is in, its body is still coming."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /api/v1/shipments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {WMS_TOKEN}\r\nContent-Length: 100\r\n\r\n".encode()
        + b'{"id": "S'
    )
    await writer.drain()
    return reader, writer


async def ready(g: Gate) -> bool:
    return 200 == await readyz(g)


async def test_slowloris_flood_cannot_starve_real_requests(
    capped: Gate, caplog: pytest.LogCaptureFixture
) -> None:
    """200 connections that never finish their request heads, against a cap of 50: each new
    one closes the oldest still waiting for its head, so at most 50 stay open, /readyz is
    answered 200 in the middle of the flood, and the condition is logged once."""
    caplog.set_level(logging.WARNING, logger="gate.web.limits")
    port = port_of(capped)
    cap = capped.runner.server
    assert cap is not None
    flood = [await open_slow(port) for _ in range(FLOOD)]
    await until(lambda: len(cap.connections) <= CAP, "the gate to hold at most the cap")
    assert 200 == await readyz(capped)
    answers = await asyncio.gather(*(read_all(r) for r, _ in flood[: FLOOD - CAP]))
    assert [b""] * (FLOOD - CAP) == answers
    for _, writer in flood:
        writer.close()
    warnings = [r for r in caplog.records if "HTTP connections open" in r.getMessage()]
    assert 1 == len(warnings)


async def test_over_the_cap_of_busy_connections_is_a_503_problem_logged_once(
    capped: Gate, caplog: pytest.LogCaptureFixture
) -> None:
    """With the cap of 50 connections all inside requests (bodies still coming), each of 150
    more connections is answered at once with a 503 problem (Retry-After) and closed; the
    condition is logged once; once the busy ones go, /readyz answers 200 again."""
    caplog.set_level(logging.WARNING, logger="gate.web.limits")
    port = port_of(capped)
    cap = capped.runner.server
    assert cap is not None
    busy = [await open_busy(port) for _ in range(CAP)]
    in_request = capped.app[app_keys.IN_REQUEST]
    await until(lambda: CAP == sum(c in in_request for c in cap.connections), "the cap to fill")
    refused = []
    for _ in range(FLOOD - CAP):
        reader, writer = await open_slow(port)
        refused.append(parse(await read_all(reader)))
        writer.close()
    assert [503] * (FLOOD - CAP) == [status for status, _, _ in refused]
    _, headers, body = refused[0]
    assert ("application/problem+json", "1") == (headers["content-type"], headers["retry-after"])
    assert "https://gate.invalid/problems/too-many-connections" == json.loads(body)["type"]
    for _, writer in busy:
        writer.close()
    await until(lambda: ready(capped), "/readyz to answer 200")
    warnings = [r for r in caplog.records if "inside requests" in r.getMessage()]
    assert 1 == len(warnings)


async def test_slowloris_heads_are_closed_at_the_header_deadline(hurried: Gate) -> None:
    """Connections that keep sending a request head a byte at a time, never finishing it,
    are closed by the gate (its header deadline runs from the connection's start)."""
    port = port_of(hurried)
    slow = [await open_slow(port) for _ in range(20)]

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
        deadline = time.monotonic() + 30
        with contextlib.suppress(ConnectionError):
            while time.monotonic() < deadline:
                writer.write(b"x")
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    return await asyncio.wait_for(reader.read(), 0.2)
        return b"still open"

    answers = await asyncio.gather(*(trickle(r, w) for r, w in slow))
    for _, writer in slow:
        writer.close()
    assert [b""] * 20 == answers
    assert 200 == await readyz(hurried)


async def test_a_trickled_body_times_out_with_408(hurried: Gate) -> None:
    """A request whose body stops arriving gets a 408 problem at the body deadline."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(hurried))
    writer.write(
        b"POST /api/v1/shipments HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {WMS_TOKEN}\r\nContent-Length: 100\r\n\r\n".encode()
        + b'{"id": "S'
    )
    await writer.drain()
    status, headers, body = parse(await read_all(reader))
    writer.close()
    assert (408, "application/problem+json") == (status, headers["content-type"].split(";")[0])
    assert "https://gate.invalid/problems/body-timeout" == json.loads(body)["type"]
    status, shipments = await hurried.call("GET", "/api/v1/shipments")
    assert (200, []) == (status, shipments["shipments"])


async def test_event_streams_are_capped_with_503(capped: Gate) -> None:
    """With two event streams open (the cap), a third is a 503 problem; when one's client
    has gone (found at the stream's next write), a new stream is served."""
    headers = {"Authorization": f"Bearer {WMS_TOKEN}"}
    first = await capped.session.get(capped.url + "/api/v1/events", headers=headers)
    operator = {"Authorization": OPERATOR}
    second = await capped.session.get(capped.url + "/api/v1/events", headers=operator)
    assert (200, 200) == (first.status, second.status)
    async with capped.session.get(capped.url + "/api/v1/events", headers=headers) as third:
        doc = await third.json(content_type="application/problem+json")
        assert (503, "https://gate.invalid/problems/too-many-streams") == (
            third.status,
            doc["type"],
        )
    first.close()
    # A stream finds its client gone when it next writes: give it something to write.
    await capped.create()

    async def served() -> bool:
        r = await capped.session.get(capped.url + "/api/v1/events", headers=headers)
        ok = r.status == 200
        r.close()
        return ok

    await until(served, "a new event stream to be served")
    second.close()


async def test_one_client_holds_at_most_half_the_event_streams(capped: Gate) -> None:
    """A token that opens streams until refused leaves the other half to everyone else: the
    operator's page still gets its stream (cap 2: one each)."""
    headers = {"Authorization": f"Bearer {WMS_TOKEN}"}
    first = await capped.session.get(capped.url + "/api/v1/events", headers=headers)
    assert 200 == first.status
    async with capped.session.get(capped.url + "/api/v1/events", headers=headers) as again:
        doc = await again.json(content_type="application/problem+json")
        assert (503, "too-many-streams") == (again.status, doc["type"].rsplit("/", 1)[1])
        assert "as many as one client may" in doc["detail"]
    async with capped.session.get(
        capped.url + "/api/v1/events", headers={"Authorization": OPERATOR}
    ) as page:
        assert 200 == page.status
    first.close()
