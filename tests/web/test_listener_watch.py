"""The listener watch (gate.web.listeners), on asyncio's loop and on uvloop's (the one
``gate serve`` runs on): a listening socket that stops listening is found, alerted, counted
against readiness and listened again on its address; the file budget raises its warning
near the limit and clears it after. Real sockets, a real aiohttp site, real descriptors."""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
import urllib.request
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import msgpack
import pytest
import uvloop
from aiohttp import web

from gate.ingest.listening import Listening
from gate.ingest.scanner_socket import ScannerServer
from gate.service.event_shapes import listener_alert, reader_listener_alert
from gate.service.events import Events
from gate.web import app_keys
from gate.web.alarms import ResourceAlarm
from gate.web.limits import GateRunner, InRequest, ServerLimits
from gate.web.listeners import (
    Listener,
    ListenerWatch,
    SiteAgain,
    file_limit,
    near_limit,
    open_files,
)
from tests.service.harness import SCANNER_TOKEN, Gate, Gates, until

#: GS1's published example GTIN: not in the demo catalogue, so its line is held, but counted.
SCANNED = "]C10109506000134352"

LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop] | None] = {
    "asyncio": None,
    "uvloop": uvloop.new_event_loop,
}


def on(loop: str, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    with asyncio.Runner(loop_factory=LOOPS[loop]) as runner:
        runner.run(main())


async def _get(port: int) -> str:
    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            return str(response.read().decode())

    return await asyncio.to_thread(get)


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def _kept(events: Events) -> list[tuple[str, dict[str, Any]]]:
    return [(e.kind, e.data) for e in events.kept()]


class Site(SiteAgain):
    """An aiohttp site answering ``ok`` on a port of its own, as ``gate serve`` runs its
    HTTP site (``SiteAgain``), and what uvloop does to its socket."""

    def __init__(self, runner: web.AppRunner) -> None:
        super().__init__(runner, lambda: web.TCPSite(runner, "127.0.0.1", self.port))
        self.port = 0

    async def start(self) -> list[Any]:
        sockets = await super().start()
        self.port = sockets[0].getsockname()[1]
        return sockets

    def lose(self) -> None:
        """What uvloop does after an error accepting a connection: the listening socket is
        closed under the site, which goes on as if it served."""
        assert self.site is not None
        server = self.site._server
        assert server is not None
        server.close()


async def _app_runner() -> web.AppRunner:
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", ok)
    runner = web.AppRunner(app)
    await runner.setup()
    return runner


async def _watched_site() -> tuple[web.AppRunner, Site, Events, ListenerWatch]:
    """A started site answering ``ok``, watched by a listener watch of its own."""
    runner = await _app_runner()
    site = Site(runner)
    events = Events()
    watch = ListenerWatch(ResourceAlarm(), events)
    watch.add(Listener("http", await site.start(), site.again))
    return runner, site, events, watch


@pytest.mark.parametrize("loop", LOOPS)
def test_a_lost_listener_is_alerted_and_listened_again(
    loop: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Its socket closed under it, the HTTP listener is found at the next look: an error in
    the log, a critical ``listener_lost`` alert, readiness false until it listens again on
    the same port, then an ``info`` ``listener_restored`` alert, and requests are answered."""

    async def main() -> None:
        runner, site, events, watch = await _watched_site()
        port = site.port
        assert "ok" == await _get(port)
        await watch.check()
        assert watch.ready and [] == _kept(events)

        site.lose()
        await until(lambda: _refused(port), "the listener closed")
        await watch.check()

        kinds = [(kind, data["kind"], data["level"]) for kind, data in _kept(events)]
        assert [
            ("alert", "listener_lost", "critical"),
            ("alert", "listener_restored", "info"),
        ] == kinds
        assert f"127.0.0.1:{port}" in _kept(events)[0][1]["text"]
        assert "http" == _kept(events)[0][1]["listener"]
        assert watch.ready
        assert port == site.port
        assert "ok" == await _get(port)
        await runner.cleanup()

    with caplog.at_level(logging.WARNING, logger="gate.web.listeners"):
        on(loop, main)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("stopped listening for http connections" in m for m in errors), errors


class _FailsOnce:
    """aiohttp's server as the connection cap's, whose first new connection fails."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.failed = False

    def __call__(self) -> Any:
        if not self.failed:
            self.failed = True
            raise RuntimeError("the first connection's protocol fails")
        return self.server()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.server, name)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_connection_whose_protocol_fails_does_not_stop_the_listener(loop: str) -> None:
    """On uvloop, a protocol factory that raises leaves the accepted connection with libuv,
    which stops accepting on that socket for good while it still listens (the watch sees it
    alive): the HTTP cap drops that one connection instead, and the next is served."""

    async def main() -> None:
        async def ok(request: web.Request) -> web.Response:
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_get("/", ok)
        runner = GateRunner(app, ServerLimits(), ResourceAlarm(), InRequest())
        await runner.setup()
        assert runner.cap is not None
        runner.cap.server = _FailsOnce(runner.cap.server)  # type: ignore[assignment]
        site = Site(runner)
        try:
            await site.start()
            with pytest.raises(OSError):  # dropped (urllib's errors are OSErrors)
                await _get(site.port)
            assert "ok" == await _get(site.port)
        finally:
            await runner.cleanup()

    on(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_listener_that_cannot_listen_again_stays_lost_and_is_tried_again(loop: str) -> None:
    """The port taken by another socket meanwhile: the listener stays lost (readiness false,
    one alert, not one per look) until the port is free, then listens again."""

    async def main() -> None:
        runner, site, events, watch = await _watched_site()
        site.lose()
        await until(lambda: _refused(site.port), "the listener closed")
        # Listening at the same address, and given the lost socket's descriptor number: not
        # the same socket (its inode tells).
        squatter = socket.create_server(("127.0.0.1", site.port))
        try:
            await watch.check()
            await watch.check()
            assert not watch.ready
            assert ["listener_lost"] == [data["kind"] for _, data in _kept(events)]
        finally:
            squatter.close()
        await watch.check()
        assert watch.ready
        assert ["listener_lost", "listener_restored"] == [d["kind"] for _, d in _kept(events)]
        assert "ok" == await _get(site.port)
        await runner.cleanup()

    on(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_two_lost_listeners_are_each_alerted_and_restored_on_their_own(loop: str) -> None:
    """Two listeners lost at once, one able to listen again: each has its own alert, the
    restore names the one restored, and readiness waits for the other."""

    async def main() -> None:
        runner = await _app_runner()
        first, second = Site(runner), Site(runner)
        events = Events()
        watch = ListenerWatch(ResourceAlarm(), events)
        watch.add(Listener("first", await first.start(), first.again))
        watch.add(Listener("second", await second.start(), second.again))
        first.lose()
        second.lose()
        await until(lambda: _refused(first.port) and _refused(second.port), "both closed")
        squatters = [socket.create_server(("127.0.0.1", s.port)) for s in (first, second)]
        try:
            await watch.check()  # both lost, neither can listen again
            squatters.pop(0).close()
            await watch.check()  # the first listens again
        finally:
            for s in squatters:
                s.close()
        shown = [(d["kind"], d["listener"]) for _, d in _kept(events)]
        assert [
            ("listener_lost", "first"),
            ("listener_lost", "second"),
            ("listener_restored", "first"),
        ] == shown
        assert not watch.ready
        await watch.check()
        assert watch.ready
        assert ("listener_restored", "second") == (
            _kept(events)[-1][1]["kind"],
            _kept(events)[-1][1]["listener"],
        )
        await runner.cleanup()

    on(loop, main)


def test_listening_tells_a_listening_socket_from_others() -> None:
    """A listening socket at its address is alive; shut for reading (every accept fails),
    closed, or its descriptor number given to another socket, it is not; the look leaves it
    open."""
    server = socket.create_server(("127.0.0.1", 0))
    watched = Listening.of(server)
    assert watched.alive()
    assert watched.alive()  # still open after the looks
    client = socket.create_connection(server.getsockname())
    accepted, _ = server.accept()
    assert not Listening(accepted.fileno(), watched.inode, accepted.getsockname()).alive()
    assert not Listening.of(accepted).alive()  # connected, not listening
    server.shutdown(socket.SHUT_RD)
    assert not watched.alive()
    server.close()
    assert not watched.alive()
    again = socket.create_server(watched.address)
    try:
        if again.fileno() == watched.fd:
            assert not watched.alive()
        assert Listening.of(again).alive()
    finally:
        for s in (client, accepted, again):
            s.close()


def test_the_file_budget_warns_near_the_limit_and_clears_after(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With the limit set just above what is open, opening real sockets raises the ``files``
    warning once (not once a look), and closing them clears it."""
    count = open_files()
    assert count is not None and count > 0
    alarm = ResourceAlarm()
    limit = count + 40  # headroom: 16 descriptors; cleared under limit - 32
    watch = ListenerWatch(alarm, Events(), limit=lambda: limit)
    opened: list[socket.socket] = []

    async def main() -> None:
        await watch.check()
        assert not alarm.active("files")
        opened.extend(socket.socket() for _ in range(30))
        await watch.check()
        await watch.check()
        assert alarm.active("files")
        for _ in range(20):  # between the two lines: still raised
            opened.pop().close()
        await watch.check()
        assert alarm.active("files")
        for s in opened:
            s.close()
        await watch.check()
        assert not alarm.active("files")

    with caplog.at_level(logging.WARNING, logger="gate.web.limits"):
        on("asyncio", main)
    lines = [r.getMessage() for r in caplog.records]
    raised = [m for m in lines if m.startswith("resource limit: ") and "files" in m]
    assert 1 == len(raised), lines
    assert f"of the {limit} files this process may open are open" in raised[0]
    assert any(m.startswith("resource limit cleared: files") for m in lines), lines


def test_a_listing_refused_for_want_of_files_counts_as_at_the_limit() -> None:
    """When even the look needs a descriptor the process has none left for (EMFILE), the
    warning is raised: that is the condition it warns of."""
    alarm = ResourceAlarm()

    def exhausted() -> int | None:
        raise OSError(24, "Too many open files")

    watch = ListenerWatch(alarm, Events(), files=exhausted)
    on("asyncio", watch.check)
    assert alarm.active("files")


async def test_a_lost_scanner_listener_listens_again_and_its_sessions_go_on(gate: Gate) -> None:
    """The scanner socket's listener closed under it: the watch listens again on its port
    (``ScannerServer.listen_again``), a session signed in before goes on scanning, and a new
    connection signs in."""
    app = gate.app
    server = ScannerServer(app[app_keys.DOCKS], app[app_keys.CLIENTS].by_token)
    host, port = await server.start("127.0.0.1", 0)
    events = Events()
    watch = ListenerWatch(ResourceAlarm(), events)

    async def again() -> list[Any]:
        await server.listen_again(host, port)
        assert server.server is not None
        return list(server.server.sockets)

    assert server.server is not None
    watch.add(Listener("scanner", list(server.server.sockets), again))
    before = await _signed_in(host, port)
    try:
        server.server.close()  # what uvloop does after an error accepting a connection
        with pytest.raises(OSError):
            await _signed_in(host, port)
        await watch.check()
        assert watch.ready
        assert ["listener_lost", "listener_restored"] == [d["kind"] for _, d in _kept(events)]
        after = await _signed_in(host, port)
        await gate.create("S1", "D1")
        for i, (reader, writer) in enumerate((before, after)):
            scan = {"scan_id": f"w{i}", "reader": "r1", "door": "D1", "code": SCANNED}
            writer.write(msgpack.packb(scan))
            answer = msgpack.unpackb(await asyncio.wait_for(reader.read(65536), 10))
            assert "accepted" == answer["status"], answer
            assert i + 1 == answer["line"]["quantity"], answer
    finally:
        for _, writer in (before, *([after] if "after" in locals() else [])):
            writer.close()
        await server.close()


async def _signed_in(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(msgpack.packb({"auth": SCANNER_TOKEN}))
    answer = msgpack.unpackb(await asyncio.wait_for(reader.read(4096), 10))
    assert answer["ok"] is True
    return reader, writer


async def test_readiness_says_not_ready_while_a_listener_is_lost(gate: Gate) -> None:
    """/readyz answers 503 with ``"listeners": false`` while a listener of the app's watch is
    lost and cannot listen again, and 200 once it does."""
    watch = gate.app[app_keys.LISTENERS]
    gone = socket.create_server(("127.0.0.1", 0))
    address = gone.getsockname()
    made: list[socket.socket] = []
    may_listen = False

    async def again() -> list[Any]:
        if not may_listen:
            raise OSError(98, "address already in use")
        made.append(socket.create_server(address))
        return made[-1:]

    watch.add(Listener("probe", [gone], again))
    try:
        gone.close()
        await watch.check()
        status, body = await gate.call("GET", "/readyz", token=None)
        assert (503, False) == (status, body["checks"]["listeners"]), body
        may_listen = True
        await watch.check()
        status, body = await gate.call("GET", "/readyz", token=None)
        assert (200, True) == (status, body["checks"]["listeners"]), body
    finally:
        watch.listeners.clear()
        for s in made:
            s.close()


@pytest.mark.parametrize(
    ("count", "limit", "near"),
    [
        (1008, 1024, True),  # within the headroom (a twentieth of 1024 is 51; at least 16)
        (973, 1024, True),
        (972, 1024, None),  # between one and two headrooms under: as before
        (923, 1024, None),
        (921, 1024, False),
        (144, 160, True),  # a small limit: the headroom is 16
        (128, 160, None),
        (127, 160, False),
        (2000, 1024, True),
    ],
)
def test_near_limit_has_a_gap_between_raising_and_clearing(
    count: int, limit: int, near: bool | None
) -> None:
    """The ``files`` condition is raised within the headroom and cleared only more than twice
    the headroom under the limit: a count going back and forth across one line does not log
    a pair a second."""
    assert near is near_limit(count, limit)


@pytest.mark.parametrize(
    "alert",
    [
        lambda name, lost: listener_alert(name, lost, f"{name} lost" if lost else "back"),
        lambda name, lost: reader_listener_alert(name, "D1", lost, "lost" if lost else "back"),
    ],
)
async def test_the_page_shows_a_lost_listener_until_that_one_listens_again(
    gate: Gate, alert: Callable[[str, bool], dict[str, Any]]
) -> None:
    """A lost listener's alert stays on the page (``/api/v1/status``) until the restore of
    that same listener (or reader), whose own (info) alert takes its place; another's
    restore leaves it."""

    async def shown() -> list[tuple[str, str]]:
        status, doc = await gate.call("GET", "/api/v1/status")
        assert 200 == status, doc
        return sorted(
            (a["kind"], a.get("listener") or a.get("reader"))
            for a in doc["alerts"]
            if "listener" in str(a.get("kind"))
        )

    events = gate.app[app_keys.EVENTS]
    lost = alert("a", True)["kind"]
    restored = alert("a", False)["kind"]
    events.publish("alert", alert("a", True))
    events.publish("alert", alert("b", True))
    await until(lambda: _has(shown(), [(lost, "a"), (lost, "b")]), "both alerts")
    events.publish("alert", alert("a", False))
    await until(lambda: _has(shown(), [(lost, "b"), (restored, "a")]), "a's cleared, b's kept")


async def test_a_restart_clears_the_alerts_of_the_listeners_before_it(
    gates: Gates, demo_config: Path
) -> None:
    """A listener lost when the gate stopped: after the restart its alert is off the page,
    and its stored row says why (the gate restarted)."""
    g = await gates.start()
    g.app[app_keys.EVENTS].publish("alert", listener_alert("scanner", True, "lost"))

    async def stored() -> bool:
        _, doc = await g.call("GET", "/api/v1/status")
        return any(a["kind"] == "listener_lost" and a.get("id") for a in doc["alerts"])

    await until(stored, "the alert stored")
    await gates.stop(g)
    g = await gates.start()
    status, doc = await g.call("GET", "/api/v1/status")
    assert 200 == status
    assert [] == [a for a in doc["alerts"] if a["kind"] == "listener_lost"]
    conn = sqlite3.connect(f"file:{g.config.database}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT cleared_why FROM page_alerts WHERE data LIKE '%listener_lost%'"
        ).fetchall()
    finally:
        conn.close()
    assert [("the gate restarted",)] == rows


async def _has(shown: Coroutine[Any, Any, list[tuple[str, str]]], kinds: list[Any]) -> bool:
    return kinds == await shown


async def test_readiness_says_not_ready_near_the_file_limit(gate: Gate) -> None:
    """With the app's watch told the limit is just above what is open, /readyz answers 503
    with ``"files": false`` on a connection already open, and 200 once the files are back
    well under it."""
    watch = gate.app[app_keys.LISTENERS]
    count = open_files()
    assert count is not None
    limit = count + 10  # within the headroom of 16
    watch.limit = lambda: limit
    try:
        await watch.check()
        status, body = await gate.call("GET", "/readyz", token=None)
        assert (503, False) == (status, body["checks"]["files"]), body
        limit = count + 100
        await watch.check()
        status, body = await gate.call("GET", "/readyz", token=None)
        assert (200, True) == (status, body["checks"]["files"]), body
    finally:
        watch.limit = file_limit
