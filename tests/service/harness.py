"""What the tests drive: a gate app on a real socket, a served ``gate serve`` process, a clock
moved by hand, and the one polling helper.

The fixtures over these live in tests/conftest.py (``gate``, ``gates``, ``office``,
``serve``, ``served``); this module holds the classes and the plain functions they use.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import io
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import msgpack
from aiohttp import web

from gate.config.settings import Config, load_config
from gate.errors import StorageBusy
from gate.service.commit_step import Change, Committer
from gate.web import app_keys
from gate.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"
WMS_TOKEN = "demo-3lVrZo-6sVXB5I5_aqEOnBdshGn_lbyQ"
SCANNER_TOKEN = "demo-YbgSG0JhwUXNJzrAqAPeViCuwi8yecPm"
#: The demo's scanner clients are bound to one door each (``doors`` in configs/gate.toml).
SCANNER_TOKENS = {
    "D1": SCANNER_TOKEN,
    "D2": "demo-nPRBwDTV5zfnuwZdzcZJLp7JUQhLn75o",
    "D3": "demo-w7BgUarFwk3CAGbv_ItBZiBDRxSJ-ibe",
}
OPERATOR = "Basic " + base64.b64encode(b"ops:demo-ops-password").decode()

#: What /readyz checks, each passing: a gate ready in every way.
READY_CHECKS = {
    "table": True,
    "lists": True,
    "listeners": True,
    "files": True,
    "writer": True,
    "database": True,
}

UNTIL_TIMEOUT = 15.0  # generous: only something hung ever reaches it
START_TIMEOUT = 60.0  # a cold `gate serve` compiles the table; generous for a loaded machine
STOP_TIMEOUT = 10.0  # DESIGN: a stop ends "within a few seconds"


def free_port() -> int:
    """A free port below the kernel's ephemeral range. Tests stop servers and start them again
    on the same port (a broker, a reader, a gate); a port from the ephemeral range can be taken
    meanwhile by any outgoing connection's source port, or by a client's own reconnects to it
    (a TCP self-connect): CI saw "Address already in use" at a broker's restart. No outgoing
    connection is given a port below the range."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0  # not Linux: any port the system gives
    below = range(max(1024, low - 12_000), low)
    for port in random.sample(below, min(500, len(below))):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    # No room below the range (it starts near 1024): a port the system gives, as before.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        given: int = s.getsockname()[1]
        return given


def basic(name: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()


async def until(
    check: Callable[[], Any] | Callable[[], Awaitable[Any]],
    what: str,
    timeout: float = UNTIL_TIMEOUT,
) -> Any:
    """Polls ``check`` (sync or async) until it returns something truthy, and returns that.

    The one way tests wait for something: no fixed sleeps. Raises AssertionError naming
    ``what`` (and the last value seen) when ``timeout`` seconds pass first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Any = None
    while True:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        if loop.time() >= deadline:
            raise AssertionError(f"timed out waiting for {what} (last: {last!r})")
        await asyncio.sleep(0.02)


def catalogue_rows(config_path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for line in (config_path.parent / "catalogue.csv").read_text().splitlines()[1:]:
        gtin, rest = line.split(",", 1)
        description, control = rest.rsplit(",", 1)
        rows.append((gtin, description, control))
    return rows


def gtin_with(config_path: Path, control_prefix: str, n: int = 0) -> str:
    """The n-th catalogue GTIN whose control code starts with control_prefix ('' = unlisted)."""
    found = [
        g
        for g, _, c in catalogue_rows(config_path)
        if (c.startswith(control_prefix) if control_prefix else c == "")
    ]
    return found[n]


# --- a clock the test moves ---------------------------------------------------------------------


class ManualClock:
    """A clock (gate.links.central.Clock) that stands still until the test moves it.

    ``now()`` starts at the real time; ``advance(seconds)`` moves it and ends every wait
    whose time has come. ``waits`` counts the waits begun; ``sleeping`` says that a loop is
    blocked on this clock with nothing to wake it but the clock: together they tell a test
    that a loop has finished its round (see ``tick``)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime.now(dt.UTC)
        self._sleepers: list[tuple[dt.datetime, asyncio.Future[None], asyncio.Event]] = []
        self.waits = 0

    def now(self) -> dt.datetime:
        return self._now

    @property
    def sleeping(self) -> bool:
        return any(not f.done() and not wake.is_set() for _, f, wake in self._sleepers)

    def advance(self, seconds: float) -> None:
        self._now += dt.timedelta(seconds=seconds)
        for at, future, _ in self._sleepers:
            if at <= self._now and not future.done():
                future.set_result(None)

    async def wait(self, seconds: float, wake: asyncio.Event) -> None:
        self.waits += 1
        if seconds <= 0 or wake.is_set():
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self._now + dt.timedelta(seconds=seconds), future, wake)
        self._sleepers.append(entry)
        woken = asyncio.ensure_future(wake.wait())
        try:
            await asyncio.wait([future, woken], return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            future.cancel()
            self._sleepers.remove(entry)


async def idle(clock: ManualClock) -> None:
    """Returns once the loop on ``clock`` has finished what it was doing and sleeps."""
    await until(lambda: clock.sleeping, "the loop on the clock to sleep")


async def tick(clock: ManualClock, seconds: float) -> None:
    """Once the loop on ``clock`` sleeps, moves the clock on by ``seconds`` (at least to the
    loop's next wake-up); returns once it has run a round at the new time and sleeps again."""
    await idle(clock)
    begun = clock.waits
    clock.advance(seconds)
    await until(lambda: clock.waits > begun and clock.sleeping, "a round at the new time")


# --- a gate app in this process, on a real socket -----------------------------------------------


@dataclass
class Gate:
    """A started gate and a client session for it."""

    config: Config
    runner: web.AppRunner
    url: str
    session: aiohttp.ClientSession
    clock: ManualClock | None = None
    seq: list[int] = field(default_factory=lambda: [0])

    @property
    def app(self) -> web.Application:
        return self.runner.app

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = WMS_TOKEN,
        auth: str | None = None,
        msgpack_in: bool = False,
        msgpack_out: bool = False,
        raw: bytes | None = None,
        content_type: str | None = None,
    ) -> tuple[int, Any]:
        headers = {}
        if auth is not None:
            headers["Authorization"] = auth
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if msgpack_out:
            headers["Accept"] = "application/msgpack"
        data: Any = io.BytesIO(raw) if raw is not None and len(raw) > 500_000 else raw
        if body is not None:
            data = msgpack.packb(body) if msgpack_in else json.dumps(body).encode()
            content_type = content_type or (
                "application/msgpack" if msgpack_in else "application/json"
            )
        if content_type:
            headers["Content-Type"] = content_type
        async with self.session.request(method, self.url + path, data=data, headers=headers) as r:
            payload = await r.read()
            if r.content_type == "application/msgpack":
                return r.status, msgpack.unpackb(payload)
            if r.content_type in ("application/json", "application/problem+json"):
                return r.status, json.loads(payload)
            return r.status, payload.decode()

    async def create(self, sid: str = "S1", door: str = "D1", **extra: Any) -> dict[str, Any]:
        body = shipment_body(sid, door, **extra)
        status, doc = await self.call("POST", "/api/v1/shipments", body)
        assert 201 == status, doc
        return dict(doc)

    async def serials(self, sid: str, key: str, limit: int = 1000) -> list[str]:
        """Every serial of a line, paged through ``GET .../serials`` to the last page."""
        found: list[str] = []
        after = ""
        while True:
            status, page = await self.call(
                "GET", serials_path(sid, key, after, limit), token=WMS_TOKEN
            )
            assert 200 == status, page
            found += page["serials"]
            if page["next"] is None:
                return found
            after = page["next"]

    async def scan(self, code: str, door: str = "D1", **extra: Any) -> dict[str, Any]:
        self.seq[0] += 1
        scan = {"scan_id": f"s{self.seq[0]}", "reader": "r1", "door": door, "code": code, **extra}
        token = SCANNER_TOKENS.get(door, SCANNER_TOKEN)
        status, body = await self.call("POST", "/api/v1/scans", scan, token=token)
        assert 200 == status, body
        return dict(body["results"][0])


async def lists_loaded(app: web.Application) -> None:
    """Waits until a started app's screening lists are loaded: they load in the background
    after the start (the first gate of a test process takes seconds, the next reuse its
    index), and until then /readyz says not ready."""
    await asyncio.wait_for(app[app_keys.SCREENING].loaded.wait(), START_TIMEOUT)


async def start_gate(config_path: Path, clock: ManualClock | None = None) -> Gate:
    """The gate app on 127.0.0.1 port 0 over the config; with ``clock``, the docks and the
    central link read their time from it (and the link waits on it).

    Tests take a gate from the ``gate`` or ``gates`` fixture, which also stop it."""
    config = load_config(config_path)
    app = create_app(config)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await lists_loaded(app)
    if clock is not None:
        app[app_keys.DOCKS].clock = clock.now
        app[app_keys.CENTRAL].clock = clock
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return Gate(config, runner, f"http://127.0.0.1:{port}", aiohttp.ClientSession(), clock)


async def stop_gate(gate: Gate) -> None:
    await gate.session.close()
    await gate.runner.cleanup()


def add_readers(config_path: Path, toml: str) -> None:
    """Appends ``[[readers]]`` tables to the config file."""
    with config_path.open("a") as f:
        f.write("\n" + toml.strip() + "\n")


class Gates:
    """Starts gates on demo_config (linked to the fake office) and stops them all at the end.

    ``start(readers=TOML, clock=CLOCK)``: ``readers`` is appended to the config first
    (``[[readers]]`` tables); with ``clock`` the docks and the central link run on it."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.running: list[Gate] = []

    async def start(self, *, readers: str = "", clock: ManualClock | None = None) -> Gate:
        if readers:
            add_readers(self.config, readers)
        g = await start_gate(self.config, clock)
        self.running.append(g)
        return g

    async def stop(self, g: Gate) -> None:
        """Stops ``g`` now (a test that restarts the gate)."""
        self.running.remove(g)
        await stop_gate(g)

    async def stop_all(self) -> None:
        while self.running:
            await stop_gate(self.running.pop())


# --- `gate serve` as a real process -------------------------------------------------------------


def child_env(**extra: str) -> dict[str, str]:
    """The test's environment without anything systemd set for the test runner itself."""
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    env.pop("WATCHDOG_PID", None)
    env.update(extra)
    return env


def gate_command(*args: str) -> list[str]:
    """``python -m gate ARGS`` with this interpreter."""
    return [sys.executable, "-m", "gate", *args]


def shipment_body(sid: str = "S1", door: str = "D1", **extra: Any) -> dict[str, Any]:
    """A ``POST /shipments`` body: to Germany for Acme Precision GmbH, with ``extra`` fields."""
    return {
        "id": sid,
        "door": door,
        "destination": "DE",
        "consignee": {"name": "Acme Precision GmbH", "country": "DE"},
        **extra,
    }


def serials_path(sid: str, key: str, after: str = "", limit: int = 1000) -> str:
    """The path of one page of a line's serials."""
    query = urllib.parse.urlencode({"after": after, "limit": limit})
    return f"/api/v1/shipments/{sid}/lines/{key}/serials?{query}"


def served_serials(base: str, sid: str, key: str) -> list[str]:
    """Every serial of a line of a ``gate serve`` process, paged (blocking)."""
    found: list[str] = []
    after = ""
    while True:
        status, page = call(base, "GET", serials_path(sid, key, after))
        assert 200 == status, page
        found += page["serials"]
        if page["next"] is None:
            return found
        after = page["next"]


def call(
    base: str, method: str, path: str, body: Any = None, *, token: str | None = WMS_TOKEN
) -> tuple[int, Any]:
    """One blocking HTTP request; returns (status, decoded JSON or text)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            status, payload, ctype = r.status, r.read(), r.headers.get_content_type()
    except urllib.error.HTTPError as err:
        status, payload, ctype = err.code, err.read(), err.headers.get_content_type()
        err.close()
    if ctype.endswith("json"):
        return status, json.loads(payload)
    return status, payload.decode()


@dataclass
class Served:
    """One ``gate serve`` process and where it listens."""

    config: Path
    proc: subprocess.Popen[bytes]
    log: Path
    url: str
    scanner: tuple[str, int]

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return call(self.url, method, path, body, **kw)

    def api(self, path: str) -> Any:
        """GET /api/v1{path} as the WMS; the decoded document (asserts 200)."""
        status, doc = self.call("GET", "/api/v1" + path)
        assert 200 == status, doc
        return doc

    def _ready(self) -> bool:
        assert self.proc.poll() is None, f"gate serve exited early:\n{self.stderr()}"
        try:
            if 200 != self.call("GET", "/readyz", token=None)[0]:
                return False
            socket.create_connection(self.scanner, timeout=1).close()
        except OSError:
            return False
        return True

    async def wait_ready(self) -> None:
        """Waits until /readyz answers 200 and the scanner socket accepts connections."""
        await until(self._ready, f"gate serve ready (log: {self.log})", START_TIMEOUT)

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Sends ``sig`` and returns the exit code; fails if the gate does not exit in time."""
        self.proc.send_signal(sig)
        try:
            return await asyncio.to_thread(self.proc.wait, STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"gate serve still running {STOP_TIMEOUT:g} s after {sig.name}:\n{self.stderr()}"
            ) from None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def spawn_serve(config: Path, **env: str) -> Served:
    """Starts ``gate serve --config CONFIG`` (not waiting for it); its output goes to a log
    beside the config's folder. Tests take one from the ``serve`` fixture, which kills it."""
    loaded = load_config(config)
    log = config.parent.parent / f"serve-{time.monotonic_ns()}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            gate_command("serve", "--config", str(config)),
            cwd=ROOT,
            env=child_env(**env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    scanner = (loaded.scanner.host, loaded.scanner.port)
    return Served(config, proc, log, f"http://{loaded.http}", scanner)


def fail_the_next_write(committer: Committer) -> None:
    """The next change begun through ``committer`` fails its write (the database busy, as
    another process holding it would make it); the changes after it are written as usual."""
    begin = committer.begin

    def busy(conn: sqlite3.Connection) -> None:
        raise StorageBusy("database is busy")

    def failing(change: Change) -> asyncio.Future[None]:
        committer.begin = begin  # type: ignore[method-assign]
        change.sql.append(busy)
        return begin(change)

    committer.begin = failing  # type: ignore[method-assign]
