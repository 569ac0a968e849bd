"""Attack17: clients that send requests and never read the answers held every connection
"inside a request" for as long as they liked, and the gate answered everyone else 503.

The connection cap (gate.web.limits) makes room for a new connection by closing the oldest
one that is not inside a request; a connection counts as inside one until its answer is out
(``InRequest``). An answer is out when the client has taken it: one that pipelines requests
(no token needed: the login page, 1.3 KB) and reads nothing fills its socket
buffers, and the gate's write then waits, with no deadline, inside the request. A handful of
such connections per cap slot and the gate refused every new connection, the readiness probe
and the dock's clients included, until the attacker chose to go.

Now an answer not taken within ``ServerLimits.send_seconds`` closes its connection, as the
scanner socket closes a client that takes none of its answers (``SEND_TIMEOUT``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate.web import app_keys
from gate.web.limits import ServerLimits
from tests.service.harness import Gate, until
from tests.web.test_server_limits import port_of, serving

CAP = 3
LIMITS = ServerLimits(header_seconds=60, send_seconds=2.0, max_connections=CAP)


@pytest.fixture
async def capped(demo_config: Path) -> AsyncIterator[Gate]:
    async with serving(demo_config, LIMITS) as g:
        yield g


async def _stuck_reader(
    port: int, path: bytes = b"/login", count: int = 6000
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection with a small receive buffer that pipelines requests for the login page
    (1.3 KB each, no token needed) and reads nothing: 190 KB sent."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    writer.write((b"GET " + path + b" HTTP/1.1\r\nHost: g\r\n\r\n") * count)
    return reader, writer


async def _status(g: Gate) -> int:
    async with g.session.get(g.url + "/healthz") as r:
        return r.status


async def test_readers_that_take_no_answers_do_not_hold_the_gate(
    capped: Gate, caplog: pytest.LogCaptureFixture
) -> None:
    """The stuck connections are closed once the deadline passes, quietly: a client's doing,
    not an error of the gate's."""
    port = port_of(capped)
    held = [await _stuck_reader(port) for _ in range(CAP)]
    try:
        # Every slot is taken by a connection stuck inside a request...
        inside = capped.app[app_keys.IN_REQUEST]
        await until(lambda: all(c in inside for c in capped.runner.server.connections), "stuck")
        # ... for at most body_seconds: then a new client is served again.
        assert 200 == await until(
            lambda: _ok(capped), "the gate to serve a new client", timeout=LIMITS.send_seconds * 4
        )
    finally:
        for _, writer in held:
            writer.transport.abort()
    await asyncio.sleep(0.1)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert [] == errors


async def _ok(g: Gate) -> int | None:
    await g.session.close()
    g.session = type(g.session)()
    status = await _status(g)
    return status if status == 200 else None


async def test_readers_of_static_files_that_take_nothing_do_not_hold_the_gate(
    capped: Gate, caplog: pytest.LogCaptureFixture
) -> None:
    """A static file is sent after the middleware (since 5644493), so its connection is not
    inside a request and is closed to make room at the cap; but a close waits for the unsent
    file to be taken, and the closed connection stayed listed, its slot held: after a few
    such readers every new connection was answered 503, for good."""
    port = port_of(capped)
    held = []
    for _ in range(2 * CAP):  # each given the time to fill its buffers and stop there
        held.append(await _stuck_reader(port, b"/static/page.css", 400))
        await asyncio.sleep(0.3)
    try:
        # Each new client makes room by closing one of the readers: more clients than slots.
        for n in range(3 * CAP):
            assert 200 == await until(lambda: _ok(capped), f"the gate to serve client {n}")
        await asyncio.sleep(0.1)
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert [] == errors
    finally:
        for _, writer in held:
            writer.transport.abort()
