"""A request that cannot be parsed as HTTP (a bad request line, a header line over the limit,
broken chunking, both a length and chunking) is answered by the served gate, as every other
error, with an RFC 9457 problem document (DESIGN.md 4: "Errors are RFC 9457 problem
details"), not aiohttp's plain text, and never with the request's bytes echoed in it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate.web.limits import ServerLimits
from tests.service.harness import WMS_TOKEN, Gate
from tests.web.test_server_limits import parse, port_of, serving

SECRET = "s3cr3t-" + "x" * 30

REQUESTS = {
    "bad method": b"G@T /api/v1/doors HTTP/1.1\r\nHost: gate\r\n\r\n",
    "bad version": b"GET /api/v1/doors HTTP/9.9\r\nHost: gate\r\n\r\n",
    "header too long": b"GET /api/v1/doors HTTP/1.1\r\nHost: gate\r\nX-Token: "
    + SECRET.encode() * 300
    + b"\r\n\r\n",
    "broken chunking": b"POST /api/v1/shipments HTTP/1.1\r\nHost: gate\r\n"
    + f"Authorization: Bearer {WMS_TOKEN}\r\n".encode()
    + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "length and chunking": b"POST /api/v1/shipments HTTP/1.1\r\nHost: gate\r\n"
    + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
}


@pytest.fixture
async def served_gate(demo_config: Path) -> AsyncIterator[Gate]:
    async with serving(demo_config, ServerLimits()) as g:
        yield g


@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_a_request_that_is_not_http_gets_a_problem_document(
    served_gate: Gate, name: str
) -> None:
    """The answer is a 4xx ``application/problem+json`` with type, title, status and detail,
    the connection is closed, and nothing of the request is echoed."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(served_gate))
    writer.write(REQUESTS[name])
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    status, headers, body = parse(answer)
    assert 400 <= status < 500, answer[:300]
    assert "application/problem+json" == headers["content-type"].split(";")[0], answer[:300]
    doc = json.loads(body)
    assert {"type", "title", "status", "detail"} <= set(doc)
    assert status == doc["status"]
    assert SECRET not in body.decode() and "G@T" not in body.decode()
