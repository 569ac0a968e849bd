"""Attack17: a request that is not valid HTTP wrote the client's credentials to the gate's log,
as an ERROR with a traceback, and anyone could fill the log with them.

aiohttp logs each request it cannot parse with ``log_exception`` (ERROR, traceback) and the
bytes it could not parse: a header line with a control character in it (``Authorization:
Bearer <token>\\x01``), a ``Cookie`` line over 8190 bytes (its first 100 bytes: the session),
a request line with ``/display?token=...`` and a stray byte; each went to the log as it came
(DESIGN.md 4: no secrets in logs). Without any credential, an 8 KB request wrote 65 KB of log
(bytes shown as ``\\xff`` escapes, a caret line as long). The gate's ``ProblemHandler``, which
answers these requests with a problem document since review17, left that logging to aiohttp.

The problem document promised never to echo the bytes, but a bad URL's message is the URL
itself: ``CONNECT <secret>@[ HTTP/1.1`` came back in the ``detail``.

Now such a request is one debug line naming what was wrong, without the bytes; the answer is
still the problem document, and the connection is closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate.web.limits import ServerLimits
from tests.service.harness import WMS_TOKEN, Gate
from tests.web.test_server_limits import parse, port_of, serving

SECRET = "s3cr3t-" + "k" * 24

REQUESTS = {
    "bearer line with a control character": b"GET /api/v1/doors HTTP/1.1\r\nHost: gate\r\n"
    + f"Authorization: Bearer {WMS_TOKEN}{SECRET}\x01\r\n\r\n".encode(),
    "cookie line over the limit": b"GET / HTTP/1.1\r\nHost: gate\r\n"
    + f"Cookie: gate_session={SECRET}".encode()
    + b"a" * 9000
    + b"\r\n\r\n",
    "token in a broken request line": f"GET /display?token={SECRET} HTTP/1.1\x01\r\n".encode()
    + b"Host: gate\r\n\r\n",
    "connect authority": f"CONNECT {SECRET}@[ HTTP/1.1\r\nHost: gate\r\n\r\n".encode(),
    "absolute url": f"GET http://{SECRET}@[::1 HTTP/1.1\r\nHost: gate\r\n\r\n".encode(),
    "chunk data": b"POST /api/v1/approvals HTTP/1.1\r\nHost: gate\r\n"
    + b"Transfer-Encoding: chunked\r\n\r\n40\r\n"
    + f'{{"secret": "{SECRET}"'.encode().ljust(64, b" ")
    + b"XX\r\n",
}


@pytest.fixture
async def served_gate(demo_config: Path) -> AsyncIterator[Gate]:
    async with serving(demo_config, ServerLimits()) as g:
        yield g


async def _send(g: Gate, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(g))
    writer.write(data)
    try:
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


@pytest.mark.parametrize("name", sorted(REQUESTS))
async def test_a_request_that_is_not_http_leaves_no_secret_and_no_error_in_the_log(
    served_gate: Gate, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = await _send(served_gate, REQUESTS[name])
    status, headers, body = parse(answer)
    assert 400 == status, answer[:300]
    assert "application/problem+json" == headers["content-type"].split(";")[0]
    assert SECRET not in body.decode(), json.loads(body)["detail"]
    await asyncio.sleep(0.05)  # aiohttp logs from the connection's task
    logged = caplog.text
    assert SECRET not in logged and WMS_TOKEN not in logged, logged[-2000:]
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [] == errors, [r.getMessage() for r in errors]


async def test_a_flood_of_broken_requests_writes_little_to_the_log(
    served_gate: Gate, caplog: pytest.LogCaptureFixture
) -> None:
    """An 8 KB header line of bytes that need escaping wrote 65 KB of log (ERROR, with a
    traceback); now a line of at most a few hundred bytes, at debug."""
    caplog.set_level(logging.DEBUG)
    data = b"GET / HTTP/1.1\r\nHost: gate\r\nX-Junk: " + b"\xff" * 8100 + b"\x01\r\n\r\n"
    for _ in range(5):
        assert b"400" in (await _send(served_gate, data))[:20]
    await asyncio.sleep(0.05)
    assert len(caplog.text) < 5 * 400, len(caplog.text)


async def test_what_was_wrong_is_still_named(served_gate: Gate) -> None:
    """The detail keeps aiohttp's words for what was wrong (never the bytes)."""
    answers = {
        b"G@T / HTTP/1.1\r\nHost: gate\r\n\r\n": "Invalid method encountered",
        b"GET / HTTP/1.1\r\nHost: gate\r\nX: " + b"a" * 9000 + b"\r\n\r\n": "8190 bytes",
        f"CONNECT {SECRET}@[ HTTP/1.1\r\nHost: gate\r\n\r\n".encode(): "invalid URL",
    }
    for data, words in answers.items():
        _, _, body = parse(await _send(served_gate, data))
        assert words in json.loads(body)["detail"], body
