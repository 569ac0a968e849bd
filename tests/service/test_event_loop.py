"""The event loop: ``gate serve`` runs on uvloop's unless ``GATE_LOOP=asyncio`` asks for
asyncio's own, falls back to asyncio's own when uvloop is missing, and refuses a loop it does
not know. The async tests run on asyncio's own; every ``gate serve`` a test starts runs on
uvloop's."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgpack
import pytest
import uvloop

from gate.cli.serve import loop_factory
from gate.errors import ConfigError
from gate.ingest import scanner_socket
from gate.ingest.scanner_socket import ScannerServer
from gate.web import app_keys
from tests.service.harness import SCANNER_TOKEN, STOP_TIMEOUT, Gate, Served, until


async def test_async_tests_run_on_asyncios_own_loop() -> None:
    """An async test's running loop is asyncio's own."""
    assert not isinstance(asyncio.get_running_loop(), uvloop.Loop)


async def test_served_gate_runs_on_uvloop_by_default(
    demo_config: Path,
    serve: Callable[..., Awaitable[Served]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``gate serve`` with no ``GATE_LOOP`` set says at start that it runs on uvloop's loop,
    and its readiness counts its listeners (gate.web.listeners)."""
    monkeypatch.delenv("GATE_LOOP", raising=False)
    served = await serve(demo_config)
    line = await until(lambda: _start_line(served), "the start line")
    assert line.endswith("event loop uvloop"), line
    status, body = served.call("GET", "/readyz")
    assert 200 == status, body
    assert body["checks"]["listeners"] is True


async def test_gate_loop_asyncio_runs_on_asyncios_own(
    demo_config: Path, serve: Callable[..., Awaitable[Served]]
) -> None:
    """``GATE_LOOP=asyncio gate serve`` runs on asyncio's own loop and says so."""
    served = await serve(demo_config, GATE_LOOP="asyncio")
    line = await until(lambda: _start_line(served), "the start line")
    assert line.endswith("event loop asyncio"), line


async def test_gate_loop_uvloop_runs_on_uvloop(
    demo_config: Path, serve: Callable[..., Awaitable[Served]]
) -> None:
    """``GATE_LOOP=uvloop gate serve`` runs on uvloop's loop and says so."""
    served = await serve(demo_config, GATE_LOOP="uvloop")
    line = await until(lambda: _start_line(served), "the start line")
    assert line.endswith("event loop uvloop"), line


async def test_unknown_gate_loop_is_refused(
    demo_config: Path, serve: Callable[..., Awaitable[Served]]
) -> None:
    """``GATE_LOOP`` naming no loop stops ``gate serve`` with exit 1 and a one-line reason."""
    served = await serve(demo_config, ready=False, GATE_LOOP="trio")
    code = await until(lambda: served.proc.poll() is not None, "exit", timeout=STOP_TIMEOUT)
    assert code
    assert 1 == served.proc.returncode
    assert "gate serve: GATE_LOOP: 'trio' is not a loop; asyncio or uvloop" in served.stderr()


def test_without_uvloop_the_service_falls_back_to_asyncio(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Asked for uvloop that is not importable, the service runs on asyncio's own loop and
    logs it once."""
    monkeypatch.setenv("GATE_LOOP", "uvloop")
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` raises ImportError
    with caplog.at_level(logging.INFO, logger="gate.cli.serve"):
        factory = loop_factory()
    assert factory is None
    assert ["uvloop is not installed: running on asyncio's own event loop"] == [
        r.getMessage() for r in caplog.records
    ]


def test_unknown_gate_loop_raises_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """``GATE_LOOP`` other than asyncio or uvloop is a ConfigError naming the variable."""
    monkeypatch.setenv("GATE_LOOP", "Uvloop")
    with pytest.raises(ConfigError, match="GATE_LOOP"):
        loop_factory()


async def test_request_durations_are_finer_than_a_millisecond(gate: Gate) -> None:
    """/metrics' request durations are measured finer than uvloop's clock, which counts whole
    milliseconds (``loop.time()``): a sub-millisecond request is not recorded as 0 or 1 ms."""
    for _ in range(20):
        assert 200 == (await gate.call("GET", "/healthz", token=None))[0]
    status, text = await gate.call("GET", "/metrics")
    assert 200 == status
    total = _metric(text, 'gate_http_request_seconds_sum{method="GET",route="/healthz"')
    milliseconds = total * 1000
    assert 0 < total
    assert 1e-6 < abs(milliseconds - round(milliseconds)), total


async def test_scanner_connections_get_keepalive(gate: Gate) -> None:
    """A scanner connection gets TCP keepalive and the user timeout (``_keepalive`` sets them
    through the transport's socket, and would pass over a failure in silence; on uvloop's
    socket stand-in too, checked when this ran on uvloop)."""
    app = gate.app
    server = ScannerServer(app[app_keys.DOCKS], app[app_keys.CLIENTS].by_token)
    host, port = await server.start("127.0.0.1", 0)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(msgpack.packb({"auth": SCANNER_TOKEN}))
        answer = msgpack.unpackb(await asyncio.wait_for(reader.read(4096), STOP_TIMEOUT))
        assert {"ok": True, "client": "scanner-door-1"} == answer
        [(served, _)] = server._authed.values()
        sock = served.get_extra_info("socket")
        assert (1, scanner_socket.KEEPALIVE_IDLE, scanner_socket.USER_TIMEOUT_MS) == (
            sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
        )
    finally:
        writer.close()
        await server.close()


def _metric(text: str, prefix: str) -> float:
    """The value of the one sample in a Prometheus text exposition whose line starts with
    ``prefix`` (labels in the exposition's order)."""
    [line] = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(line.rpartition(" ")[2])


def _start_line(served: Served) -> str | None:
    """The start line ("gate ... serving ...") from the process's log, once it is there."""
    for line in served.stderr().splitlines():
        if " serving http://" in line:
            return line
    return None


async def test_a_broken_listening_socket_on_asyncios_loop_is_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """asyncio's loop reports an error accepting on a broken listening socket (shut for
    reading: accept fails with EINVAL) at every turn until the listener watch listens again:
    the gate's exception handler makes it one warning, not a traceback a turn."""
    from gate.cli.serve import _exception_handler
    from gate.web.alarms import ResourceAlarm

    loop = asyncio.get_running_loop()
    before = loop.get_exception_handler()
    loop.set_exception_handler(_exception_handler(ResourceAlarm()))
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    try:
        with caplog.at_level(logging.WARNING):
            broken = socket.socket(fileno=server.sockets[0].fileno())
            try:
                broken.shutdown(socket.SHUT_RD)
            finally:
                broken.detach()
            await asyncio.sleep(0.3)
    finally:
        server.close()
        loop.set_exception_handler(before)
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert ["resource limit: accepting a connection failed: [Errno 22] Invalid argument"] == [
        r.getMessage() for r in records
    ]
