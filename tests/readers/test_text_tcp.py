"""Plain-text scanners over a real TCP socket on loopback, beside the real gate: one code a
line in, one JSON answer a line out, garbage and overlong lines refused without harm."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gate.ingest.readers import text
from gate.ingest.readers.text import TextTcpReader
from gate.web import app_keys
from tests.conftest import SCANNER_TOKEN
from tests.readers.support import adapter, journal, lines_of
from tests.service.harness import Gate, gtin_with, until

TIMEOUT = 10.0

READERS = """
[[readers]]
name = "d1-scanner"
kind = "text-tcp"
address = "127.0.0.1:0"
door = "D1"
options = { gs_substitute = "~", max_line = 64, idle_timeout = 0.5 }

[[readers]]
name = "d2-scanner"
kind = "text-tcp"
address = "127.0.0.1:0"
door = "D2"
options = { terminator = "\\r\\n", max_connections = 1 }

[[readers]]
name = "d1-keeping"
kind = "text-tcp"
address = "127.0.0.1:0"
door = "D1"

[[readers]]
name = "d3-scanner"
kind = "text-tcp"
address = "127.0.0.1:0"
door = "D3"
options = { allow = ["10.99.0.0/16"] }
"""


class Scanner:
    """One scanner connection: writes raw bytes, reads JSON answer lines."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answer(self, terminator: bytes = b"\n") -> dict[str, Any]:
        line = await asyncio.wait_for(self.reader.readuntil(terminator), TIMEOUT)
        return dict(json.loads(line))

    async def closed_by_server(self) -> bool:
        """True when the server closes the stream (with nothing more to read)."""
        try:
            data = await asyncio.wait_for(self.reader.read(), TIMEOUT)
        except ConnectionResetError:
            return True
        return b"" == data

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


@pytest.fixture
def gate_readers() -> str:
    """The gate of these tests listens for the scanners of READERS."""
    return READERS


@pytest.fixture
async def connect(gate: Gate) -> AsyncIterator[Any]:
    """Opens connections to a reader's listener; closes them at the end."""
    opened: list[Scanner] = []

    async def open_one(name: str) -> Scanner:
        reader = adapter(gate, name)
        assert isinstance(reader, TextTcpReader)
        bound = await until(lambda: reader.bound, f"{name} listening")
        conn = Scanner(*await asyncio.open_connection(*bound))
        opened.append(conn)
        return conn

    yield open_one
    for conn in opened:
        await conn.close()


async def test_lines_become_scans_and_garbage_is_answered_without_harm(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """Each line is a scan of the door, answered in order: garbage and an overlong line are
    rejected with a reason, the lines around them count, and the connection stays open."""
    await gate.create("S1", "D1")
    gyro = gtin_with(demo_config, "9.A.4")
    plain = gtin_with(demo_config, "")
    conn = await connect("d1-scanner")
    await conn.send(
        f"{gyro}\n".encode()
        + b"hello world\n"
        + b"\xff\xfe\x00garbage\n"
        + b"9" * 100
        + b"\n"
        + f"]C101{plain}21SN-1~10LOT7\r\n".encode()
    )
    answers = [await conn.answer() for _ in range(5)]
    assert ["accepted", "rejected", "rejected", "rejected", "accepted"] == [
        a["status"] for a in answers
    ]
    assert (gyro, "licence_required") == (answers[0]["item"]["key"], answers[0]["decision"])
    assert "space" in answers[1]["error"]
    assert "character" in answers[2]["error"]
    assert "line longer than 64 bytes" in answers[3]["error"]
    assert answers[3]["scan_id"] is None
    assert (plain, "SN-1", "LOT7") == (
        answers[4]["item"]["key"],
        answers[4]["item"]["serial"],
        answers[4]["item"]["batch"],
    )
    # The same connection goes on.
    await conn.send(f"{gyro}\n".encode())
    assert 2 == (await conn.answer())["line"]["quantity"]

    assert {gyro: 2, plain: 1} == {k: v["quantity"] for k, v in (await lines_of(gate)).items()}
    records = journal(gate, "reader:d1-scanner")
    scans = [d for kind, d in records if kind == "scan"]
    assert ["accepted", "rejected", "rejected", "accepted", "accepted"] == [
        d["status"] for d in scans
    ]
    refused = [d for kind, d in records if kind == "request.rejected"]
    assert 1 == len(refused)
    assert "line longer than 64 bytes" in refused[0]["detail"]
    health = adapter(gate, "d1-scanner").health
    assert (6, 5, 1) == (health.reads, health.scans, health.refused)


async def test_overlong_line_split_over_many_writes_is_refused_once(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """An overlong line that arrives in pieces is refused once, and the line after it is
    read normally."""
    await gate.create("S1", "D1")
    plain = gtin_with(demo_config, "")
    conn = await connect("d1-scanner")
    for _ in range(20):
        await conn.send(b"X" * 50)
    await conn.send(f"\n{plain}\n".encode())
    first, second = await conn.answer(), await conn.answer()
    assert ("rejected", "accepted") == (first["status"], second["status"])
    assert plain == second["item"]["key"]


async def test_silent_client_is_harmless_and_closed_after_idle_timeout(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """A client that connects and sends nothing delays no other scanner and is closed after
    the idle timeout."""
    await gate.create("S1", "D1")
    plain = gtin_with(demo_config, "")
    silent = await connect("d1-scanner")
    busy = await connect("d1-scanner")
    await busy.send(f"{plain}\n".encode())
    assert "accepted" == (await busy.answer())["status"]
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await silent.closed_by_server()
    assert loop.time() - started < 5.0
    health = adapter(gate, "d1-scanner").health
    assert (0, 1) == (health.refused, health.results["accepted"])


async def test_crlf_terminator_split_between_writes(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """With terminator CR LF a line ends only at CR LF, even when the two bytes arrive in
    separate writes, and the answers end with CR LF too."""
    await gate.create("S2", "D2")
    plain = gtin_with(demo_config, "")
    conn = await connect("d2-scanner")
    await conn.send(f"{plain}\r".encode())
    await asyncio.sleep(0.05)
    await conn.send(b"\n")
    answer = await conn.answer(b"\r\n")
    assert ("accepted", "S2") == (answer["status"], answer["shipment"]["id"])


async def test_second_connection_over_the_limit_is_refused(gate: Gate, connect: Any) -> None:
    """A connection beyond max_connections is told so and closed; the first one stays."""
    first = await connect("d2-scanner")
    await until(lambda: adapter(gate, "d2-scanner").health.clients == 1, "first connected")
    second = await connect("d2-scanner")
    refusal = await second.answer(b"\r\n")
    assert ("rejected", "too many connections") == (refusal["status"], refusal["error"])
    assert await second.closed_by_server()
    await first.send(b"nonsense\r\n")
    assert "rejected" == (await first.answer(b"\r\n"))["status"]


async def test_peer_outside_allow_is_closed(gate: Gate, connect: Any) -> None:
    """A peer whose address is not in allow is closed at once and nothing it sends counts."""
    conn = await connect("d3-scanner")
    with contextlib.suppress(ConnectionError):
        await conn.send(b"4006381333931\n")
    assert await conn.closed_by_server()
    health = adapter(gate, "d3-scanner").health
    assert (1, 0) == (health.refused, health.reads)


async def test_readers_api_shows_listeners(gate: Gate, connect: Any) -> None:
    """GET /api/v1/readers lists every reader with its state; the scanner role may not."""
    await connect("d1-scanner")
    await until(lambda: adapter(gate, "d1-scanner").health.clients == 1, "connected")
    status, body = await gate.call("GET", "/api/v1/readers")
    assert 200 == status
    docs = {r["name"]: r for r in body["readers"]}
    assert ["d1-scanner", "d2-scanner", "d1-keeping", "d3-scanner"] == list(docs)
    assert ("connected", 1) == (docs["d1-scanner"]["state"], docs["d1-scanner"]["clients"])
    assert "listening" == docs["d2-scanner"]["state"]
    assert docs["d2-scanner"]["info"].startswith("listening on 127.0.0.1:")
    status, _ = await gate.call("GET", "/api/v1/readers", token=None)
    assert 401 == status
    status, _ = await gate.call("GET", "/api/v1/readers", token=SCANNER_TOKEN)
    assert 403 == status


async def test_a_listener_that_stops_listening_is_listened_again(
    gate: Gate, demo_config: Path, connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader's listening socket that stops listening (here shut for reading, which makes
    every accept fail; uvloop closes a listener after such an error and says nothing) is
    found, its health says so, a critical alert says so and an info one that it listens
    again; a scanner connected before goes on, and a new one connects."""
    monkeypatch.setattr(text, "LISTEN_CHECK", 0.05)
    await gate.create("S1", "D1")
    plain = gtin_with(demo_config, "")
    before = await connect("d1-keeping")
    reader = adapter(gate, "d1-keeping")
    assert isinstance(reader, TextTcpReader) and reader.server is not None
    old = reader.server
    listener = socket.socket(fileno=old.sockets[0].fileno())
    try:
        listener.shutdown(socket.SHUT_RD)
    finally:
        listener.detach()
    await until(lambda: reader.server is not None and reader.server is not old, "a new listen")
    assert "listening" == reader.health.state
    shown = [
        (e.data["kind"], e.data["level"], e.data["reader"], e.data["door"])
        for e in gate.app[app_keys.EVENTS].kept()
        if e.kind == "alert" and str(e.data.get("kind")).startswith("reader_listener")
    ]
    assert [
        ("reader_listener_lost", "critical", "d1-keeping", "D1"),
        ("reader_listener_restored", "info", "d1-keeping", "D1"),
    ] == shown
    assert reader.health.last_error is not None
    assert "stopped listening on" in reader.health.last_error
    after = await connect("d1-keeping")
    for conn in (before, after):
        await conn.send(f"{plain}\n".encode())
        assert "accepted" == (await conn.answer())["status"]
    assert {plain: 2} == {k: v["quantity"] for k, v in (await lines_of(gate)).items()}


async def test_a_reader_stopped_while_its_listener_is_lost_clears_its_alert(gate: Gate) -> None:
    """Stopped (a reload took it away, the gate stops) while its listener was lost and not
    yet listening again, a reader clears its alert: nothing is left to listen again."""
    reader = adapter(gate, "d1-keeping")
    assert isinstance(reader, TextTcpReader)
    await until(lambda: reader.bound, "listening")
    reader.lost = True  # between the loss and the listen again
    await reader.close()
    [alert] = [
        e.data
        for e in gate.app[app_keys.EVENTS].kept()
        if e.kind == "alert" and str(e.data.get("kind")).startswith("reader_listener")
    ]
    assert ("reader_listener_restored", "d1-keeping") == (alert["kind"], alert["reader"])
    assert "stopped" in alert["text"]
