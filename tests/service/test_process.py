"""``gate serve`` as a real process: crash safety, clean stop, systemd notify, reloads, bad config.

Each test runs ``python -m gate serve --config ...`` (sys.executable) on a copy of the demo
configuration with free ports (the ``demo_config`` fixture), started by the ``serve`` fixture
(which kills whatever it started), and talks to it over its real sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import msgpack
import pytest

from gate.config.settings import load_config
from gate.storage.store import connect_readonly
from tests.service.harness import (
    ROOT,
    SCANNER_TOKEN,
    SCANNER_TOKENS,
    START_TIMEOUT,
    STOP_TIMEOUT,
    WMS_TOKEN,
    Served,
    call,
    child_env,
    gate_command,
    gtin_with,
    served_serials,
    until,
)

pytestmark = pytest.mark.slow

ACKED_BEFORE_KILL = 300

Serve = Callable[..., Awaitable[Served]]


def create(url: str, sid: str, door: str, destination: str) -> None:
    body = {
        "id": sid,
        "door": door,
        "destination": destination,
        "consignee": {"name": "Acme Precision", "country": destination},
    }
    status, doc = call(url, "POST", "/api/v1/shipments", body)
    assert 201 == status, doc


def scan_one(url: str, scan_id: str, door: str, code: str) -> dict[str, Any]:
    body = {"scan_id": scan_id, "reader": "setup", "door": door, "code": code}
    status, doc = call(url, "POST", "/api/v1/scans", body, token=SCANNER_TOKENS[door])
    assert 200 == status, doc
    return dict(doc["results"][0])


def audit_verify(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        gate_command("audit", "verify", "--config", str(config)),
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- crash under load --------------------------------------------------------------------------


@dataclass
class Load:
    """What the load generator sent and which scans the gate acknowledged as accepted."""

    url: str
    scanner: tuple[str, int]
    gtins: list[str]
    gyro: str
    acked: dict[tuple[str, str], tuple[str, str | None]] = field(default_factory=dict)
    sent: int = 0
    killing: bool = False

    def code(self, worker: int, i: int) -> str:
        """Plain GTINs, a serialised gyro whose serials repeat, and always-new serials."""
        match i % 4:
            case 0 | 1:
                return self.gtins[(worker + i) % 3]
            case 2:
                return f"(01){self.gyro}(21)G{(worker * 7 + i) % 97}"
            case _:
                return f"(01){self.gtins[3]}(21)W{worker}N{i}"

    def scan(self, reader: str, worker: int, i: int) -> dict[str, Any]:
        self.sent += 1
        return {
            "scan_id": f"{worker}-{i}",
            "reader": reader,
            "door": "D1",
            "code": self.code(worker, i),
        }

    def record(self, reader: str, result: dict[str, Any]) -> None:
        if "accepted" == result.get("status"):
            item = result["item"]
            self.acked[(reader, result["scan_id"])] = (item["key"], item["serial"])


async def http_worker(load: Load, session: aiohttp.ClientSession, worker: int, batch: int) -> None:
    """Posts scans until the gate dies: one per request when ``batch`` is 1, else batches."""
    reader = f"load-{worker}"
    headers = {"Authorization": f"Bearer {SCANNER_TOKEN}"}
    i = 0
    while True:
        size = 1 if batch == 1 else 1 + (i % batch)
        scans = [load.scan(reader, worker, i + k) for k in range(size)]
        i += size
        body = scans[0] if size == 1 else {"scans": scans}
        try:
            async with session.post(
                load.url + "/api/v1/scans", json=body, headers=headers
            ) as response:
                if 200 != response.status:
                    assert 429 == response.status, await response.text()
                    await asyncio.sleep(0.01)
                    continue
                answer = await response.json()
        except (TimeoutError, aiohttp.ClientError, ConnectionError):
            if load.killing:
                return
            raise
        for result in answer["results"]:
            load.record(reader, result)


async def socket_worker(load: Load, worker: int) -> None:
    """Streams scans over the scanner socket, ten at a time, until the gate dies."""
    reader_name = f"load-{worker}"
    unpacker = msgpack.Unpacker(raw=False)
    try:
        reader, writer = await asyncio.open_connection(*load.scanner)
    except ConnectionError:
        if load.killing:
            return
        raise
    try:
        writer.write(msgpack.packb({"auth": SCANNER_TOKEN}))
        i = 0
        answers: list[Any] = []

        async def next_answer() -> Any:
            while not answers:
                data = await reader.read(65536)
                if not data:
                    raise ConnectionResetError("scanner socket closed")
                unpacker.feed(data)
                answers.extend(unpacker)
            return answers.pop(0)

        assert True is (await next_answer())["ok"]
        while True:
            scans = [load.scan(reader_name, worker, i + k) for k in range(10)]
            i += 10
            writer.write(b"".join(msgpack.packb(s) for s in scans))
            await writer.drain()
            for _ in scans:
                load.record(reader_name, await next_answer())
    except (ConnectionError, asyncio.IncompleteReadError):
        if not load.killing:
            raise
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def load_until_killed(load: Load, proc: subprocess.Popen[bytes]) -> None:
    """Runs the workers, SIGKILLs the gate once enough scans were acknowledged, then waits
    for every worker to notice."""
    async with aiohttp.ClientSession() as session:
        workers = [
            asyncio.create_task(http_worker(load, session, 1, batch=1)),
            asyncio.create_task(http_worker(load, session, 2, batch=1)),
            asyncio.create_task(http_worker(load, session, 3, batch=25)),
            asyncio.create_task(http_worker(load, session, 4, batch=8)),
            asyncio.create_task(socket_worker(load, 5)),
        ]
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while len(load.acked) < ACKED_BEFORE_KILL:
                assert time.monotonic() < deadline, f"only {len(load.acked)} scans acknowledged"
                for w in workers:
                    if w.done():
                        w.result()  # a worker that stopped early fails the test
                await asyncio.sleep(0.005)
            load.killing = True
            proc.send_signal(signal.SIGKILL)
            await asyncio.to_thread(proc.wait, STOP_TIMEOUT)
            await asyncio.wait_for(asyncio.gather(*workers), STOP_TIMEOUT)
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)


@pytest.mark.parametrize("writer", ["thread", "process"])
async def test_sigkill_under_load_loses_no_acknowledged_scan(
    demo_config: Path, serve: Serve, writer: str
) -> None:
    """After a SIGKILL in the middle of a scan load and a restart, every scan the gate had
    acknowledged is stored and counted, the journal verifies, and no shipment went back;
    with the scan batches written on the store's thread or by the writer process."""
    gtins = [gtin_with(demo_config, "", n) for n in range(4)]
    gyro = gtin_with(demo_config, "9.A.4")
    served = await serve(demo_config, GATE_WRITER=writer)
    url = served.url
    # S2: sealed and held (Category II to a destination without a general licence).
    create(url, "S2", "D2", "DE")
    assert "accepted" == scan_one(url, "h1", "D2", gyro)["status"]
    status, doc = call(url, "POST", "/api/v1/shipments/S2/seal")
    assert (200, "held") == (status, doc["state"])
    # S3: cleared and dispatched (general licence destination).
    create(url, "S3", "D3", "US")
    assert "accepted" == scan_one(url, "c1", "D3", gyro)["status"]
    status, doc = call(url, "POST", "/api/v1/shipments/S3/seal")
    assert (200, "cleared") == (status, doc["state"])
    status, doc = call(url, "POST", "/api/v1/shipments/S3/dispatch")
    assert (200, "dispatched") == (status, doc["state"])
    # S1: open, loaded while the gate is killed.
    create(url, "S1", "D1", "US")

    load = Load(url, served.scanner, gtins, gyro)
    await load_until_killed(load, served.proc)
    assert -signal.SIGKILL == served.proc.returncode
    assert ACKED_BEFORE_KILL <= len(load.acked)
    assert load.sent > len(load.acked)  # it really was killed mid-load

    served = await serve(demo_config, GATE_WRITER=writer)
    db = connect_readonly(load_config(demo_config).database)
    try:
        stored = set(db.execute("SELECT reader, scan_id FROM scans").fetchall())
        journaled_scans = db.execute("SELECT count(*) FROM audit WHERE kind = 'scan'").fetchone()[0]
    finally:
        db.close()
    assert set() == set(load.acked) - stored
    assert len(load.acked) <= journaled_scans

    unserialised: Counter[str] = Counter()
    serials: dict[str, set[str]] = {}
    for key, serial in load.acked.values():
        if serial is None:
            unserialised[key] += 1
        else:
            serials.setdefault(key, set()).add(serial)
    status, doc = call(served.url, "GET", "/api/v1/shipments/S1")
    assert (200, "open") == (status, doc["state"])
    lines = {line["key"]: line for line in doc["lines"]}
    for key in set(unserialised) | set(serials):
        at_least = unserialised[key] + len(serials.get(key, ()))
        assert at_least <= lines[key]["quantity"], key
        assert serials.get(key, set()) <= set(served_serials(served.url, "S1", key)), key

    states = {
        sid: call(served.url, "GET", f"/api/v1/shipments/{sid}")[1]["state"]
        for sid in ("S1", "S2", "S3")
    }
    assert {"S1": "open", "S2": "held", "S3": "dispatched"} == states

    (reader, scan_id), _ = next(iter(load.acked.items()))
    worker, i = (int(n) for n in scan_id.split("-"))
    retry = {"scan_id": scan_id, "reader": reader, "door": "D1", "code": load.code(worker, i)}
    status, body = call(served.url, "POST", "/api/v1/scans", retry, token=SCANNER_TOKEN)
    assert (200, "duplicate") == (status, body["results"][0]["status"])

    verified = audit_verify(demo_config)
    assert 0 == verified.returncode, verified.stdout + verified.stderr
    assert 0 == await served.stop(), served.stderr()


# --- stopping, systemd -------------------------------------------------------------------------


async def test_sigterm_with_streams_and_socket_open_exits_zero(
    demo_config: Path, serve: Serve
) -> None:
    """SIGTERM with two event streams and a scanner connection open ends the process with
    exit code 0 within a few seconds, ending the streams and the connection cleanly."""
    served = await serve(demo_config)
    headers = {"Authorization": f"Bearer {WMS_TOKEN}"}
    async with contextlib.AsyncExitStack() as stack:
        session = await stack.enter_async_context(aiohttp.ClientSession())
        streams = []
        for _ in range(2):
            response = await stack.enter_async_context(
                session.get(served.url + "/api/v1/events", headers=headers)
            )
            assert 200 == response.status
            hello = await asyncio.wait_for(response.content.readline(), STOP_TIMEOUT)
            assert b"event: hello" == hello.strip()
            streams.append(response)
        reader, writer = await asyncio.open_connection(*served.scanner)
        try:
            writer.write(msgpack.packb({"auth": SCANNER_TOKEN}))
            answer = msgpack.unpackb(await asyncio.wait_for(reader.read(4096), STOP_TIMEOUT))
            assert True is answer["ok"]

            code = await served.stop(signal.SIGTERM)
            assert 0 == code, served.stderr()
            for response in streams:
                await asyncio.wait_for(response.content.read(), STOP_TIMEOUT)
                assert response.content.at_eof()
            assert b"" == await asyncio.wait_for(reader.read(4096), STOP_TIMEOUT)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
    assert "Traceback" not in served.stderr()


async def test_sigint_exits_zero(demo_config: Path, serve: Serve) -> None:
    """SIGINT (Ctrl-C) stops the gate like SIGTERM, with exit code 0."""
    served = await serve(demo_config)
    assert 0 == await served.stop(signal.SIGINT), served.stderr()


async def test_systemd_ready_then_watchdog(demo_config: Path, tmp_path: Path, serve: Serve) -> None:
    """Under systemd the gate sends READY=1 once both sockets listen, then WATCHDOG=1 beats."""
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(path))
        notify.settimeout(START_TIMEOUT)
        served = await serve(
            demo_config, ready=False, NOTIFY_SOCKET=str(path), WATCHDOG_USEC="400000"
        )
        messages: list[str] = []
        while "READY=1" not in messages:
            messages += (await asyncio.to_thread(notify.recv, 4096)).decode().split("\n")
        # READY=1 promises both sockets listen: no polling before using them.
        assert 200 == call(served.url, "GET", "/healthz", token=None)[0]
        socket.create_connection(served.scanner, timeout=5).close()
        notify.settimeout(STOP_TIMEOUT)
        while messages.count("WATCHDOG=1") < 2:
            messages += (await asyncio.to_thread(notify.recv, 4096)).decode().split("\n")
        assert messages.index("READY=1") < messages.index("WATCHDOG=1")
        assert 0 == await served.stop(), served.stderr()


# --- reloading the table -----------------------------------------------------------------------


def reclassify(config: Path, gtin: str, control: str) -> None:
    """Gives ``gtin`` the control code ``control`` in the catalogue and runs ``gate compile``."""
    catalogue = config.parent / "catalogue.csv"
    text, count = re.subn(
        rf"^({gtin},.*),[^,\n]*$", rf"\g<1>,{control}", catalogue.read_text(), flags=re.M
    )
    assert 1 == count
    catalogue.write_text(text)
    compiled = subprocess.run(
        gate_command("compile", "--config", str(config)),
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert 0 == compiled.returncode, compiled.stderr


def control_of(url: str, gtin: str) -> str | None:
    status, body = call(url, "GET", f"/api/v1/items/{gtin}")
    assert 200 == status, body
    classification = body["classification"]
    return None if classification is None else str(classification["control"])


def reevaluation_reasons(config: Path) -> list[str]:
    db = connect_readonly(load_config(config).database)
    try:
        rows = db.execute(
            "SELECT data FROM audit WHERE kind = 'shipment.reevaluated' ORDER BY seq"
        ).fetchall()
    finally:
        db.close()
    return [json.loads(data)["why"] for (data,) in rows]


@pytest.mark.parametrize("sighup", [True, False], ids=["SIGHUP", "file watch"])
async def test_recompiled_table_is_used_without_restart(
    demo_config: Path, sighup: bool, serve: Serve
) -> None:
    """After `gate compile` gives an unlisted GTIN a control code, the running gate classifies
    it so and re-decides open shipments, on SIGHUP at once or by itself within seconds."""
    plain = gtin_with(demo_config, "", 5)
    control = "9.A.4"  # gyros: Category II, licence required to DE
    served = await serve(demo_config)
    create(served.url, "S1", "D1", "DE")
    first = scan_one(served.url, "p1", "D1", plain)
    assert ("clear", ["not_listed"]) == (first["decision"], first["reasons"])
    assert None is control_of(served.url, plain)

    reclassify(demo_config, plain, control)
    if sighup:
        served.proc.send_signal(signal.SIGHUP)
    await until(lambda: control == control_of(served.url, plain), "the new classification")

    # The table is in use before the re-evaluation commits; the docks show the new decision
    # once it has (decide, write, then publish), with its journal record.
    def decided() -> tuple[str, list[str]]:
        status, doc = call(served.url, "GET", "/api/v1/shipments/S1")
        assert 200 == status, doc
        line = next(x for x in doc["lines"] if x["key"] == plain)
        return line["decision"], line["reasons"]

    await until(lambda: ("licence_required", ["cat2"]) == decided(), "the re-decided line")
    assert reevaluation_reasons(demo_config)
    why = "reload: SIGHUP" if sighup else "reload: files changed"
    assert why == reevaluation_reasons(demo_config)[0]
    assert 0 == await served.stop(), served.stderr()


# --- bad configuration -------------------------------------------------------------------------


def remove_gate_id(config: Path) -> str:
    config.write_text(re.sub(r"^gate_id = .*$", "", config.read_text(), flags=re.M))
    return "gate_id"


def token_from_unset_env(config: Path) -> str:
    text, count = re.subn(
        r'^token = "[^"]*"', 'token = "env:NOPE_NOT_SET"', config.read_text(), count=1, flags=re.M
    )
    assert 1 == count
    config.write_text(text)
    return "NOPE_NOT_SET"


def missing_file(config: Path) -> str:
    config.unlink()
    return "gate.toml"


@pytest.mark.parametrize(
    "spoil",
    [remove_gate_id, token_from_unset_env, missing_file],
    ids=["missing key", "unset env variable", "no such file"],
)
def test_bad_config_exits_1_with_one_line(demo_config: Path, spoil: Callable[[Path], str]) -> None:
    """A config with a missing key, an unset env: variable, or no file at all stops
    `gate serve` with exit code 1 and one line on stderr that names the culprit."""
    name = spoil(demo_config)
    done = subprocess.run(
        gate_command("serve", "--config", str(demo_config)),
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = done.stderr.strip().splitlines()
    assert (1, 1) == (done.returncode, len(lines)), done.stderr
    assert name in lines[0]


@pytest.mark.parametrize("key", ["http.listen", "scanner.listen"])
def test_address_in_use_exits_1_naming_the_key(demo_config: Path, key: str) -> None:
    """A listen address another process holds stops `gate serve` with exit code 1 and a last
    stderr line naming the key and the address, not a traceback."""
    loaded = load_config(demo_config)
    listen = loaded.http if key == "http.listen" else loaded.scanner
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind((listen.host, listen.port))
        holder.listen()
        done = subprocess.run(
            gate_command("serve", "--config", str(demo_config)),
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    last = done.stderr.strip().splitlines()[-1]
    assert 1 == done.returncode, done.stderr
    assert "Traceback" not in done.stderr
    assert f"gate serve: {key}: cannot listen on {listen}: " in last
