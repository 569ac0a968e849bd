"""The scanner socket end to end: a real ScannerServer on a real TCP port beside the real app.

Each test starts the app in process (tests/service/harness) and a ScannerServer on
127.0.0.1 port 0 wired the way gate/service.py wires it, then talks msgpack to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgpack
import pytest

from gate.ingest import scanner_socket
from gate.ingest.scanner_socket import ScannerServer
from gate.storage.store import connect_readonly
from gate.web import app_keys
from gate.web.alarms import ResourceAlarm
from tests.conftest import SCANNER_TOKEN, WMS_TOKEN
from tests.service.harness import Gate, gtin_with, until

TIMEOUT = 10.0  # generous: only a hung server ever reaches it


class Reader:
    """One scanner connection: writes msgpack, reads answers one map at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.unpacker = msgpack.Unpacker(raw=False)

    @classmethod
    async def connect(cls, address: tuple[str, int], source: str | None = None) -> Reader:
        """Connects (from the loopback address ``source`` when given, e.g. 127.0.0.2)."""
        local = None if source is None else (source, 0)
        reader, writer = await asyncio.open_connection(*address, local_addr=local)
        return cls(reader, writer)

    async def write(self, *objs: Any, raw: bytes = b"") -> None:
        """Writes the maps (and raw bytes after them) in one write()."""
        self.writer.write(b"".join(msgpack.packb(o) for o in objs) + raw)
        await self.writer.drain()

    async def recv(self) -> Any:
        """The next answer; AssertionError if the server closes first."""
        while True:
            for obj in self.unpacker:
                return obj
            data = await asyncio.wait_for(self.reader.read(65536), TIMEOUT)
            assert data, "the server closed the connection instead of answering"
            self.unpacker.feed(data)

    async def closed_by_server(self) -> bool:
        """True when the server closes the stream (with nothing more to read)."""
        try:
            data = await asyncio.wait_for(self.reader.read(65536), TIMEOUT)
        except ConnectionResetError:
            return True
        return b"" == data

    async def auth(self, token: str = SCANNER_TOKEN) -> Any:
        await self.write({"auth": token})
        return await self.recv()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


@pytest.fixture
async def connect(address: tuple[str, int]) -> AsyncIterator[Any]:
    """Opens connections to the scanner socket and closes them at the end of the test."""
    opened: list[Reader] = []

    async def open_one() -> Reader:
        conn = await Reader.connect(address)
        opened.append(conn)
        return conn

    yield open_one
    for conn in opened:
        await conn.close()


def scan(scan_id: str, code: str, door: str = "D1", reader: str = "fixed-1") -> dict[str, Any]:
    return {"scan_id": scan_id, "reader": reader, "door": door, "code": code}


async def test_auth_first_then_scans_answered_like_http(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """A scanner token authenticates; each scan then gets one map, in order, with the same
    result as POST /scans gives for the same code."""
    await gate.create()
    gyro = gtin_with(demo_config, "9.A.4")
    plain = gtin_with(demo_config, "")
    conn = await connect()
    assert {"ok": True, "client": "scanner-door-1"} == await conn.auth()
    answers = []
    for i, code in enumerate([gyro, plain, f"(01){gyro}(21)SN-1"]):
        await conn.write(scan(f"k{i}", code))
        answers.append(await conn.recv())
    assert ["k0", "k1", "k2"] == [a["scan_id"] for a in answers]
    assert ["accepted"] * 3 == [a["status"] for a in answers]
    assert [gyro, plain, gyro] == [a["item"]["key"] for a in answers]
    assert [None, None, "SN-1"] == [a["item"]["serial"] for a in answers]
    assert [1, 1, 2] == [a["line"]["quantity"] for a in answers]

    http = await gate.scan(gyro)
    socket_gyro = answers[0]

    def same_part(result: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in result.items() if k not in ("scan_id", "line")}

    assert same_part(http) == same_part(socket_gyro)
    assert ("licence_required", ["cat2"], "9.A.4") == (
        socket_gyro["decision"],
        socket_gyro["reasons"],
        socket_gyro["classification"]["control"],
    )
    assert {"id": "S1", "state": "open"} == socket_gyro["shipment"]
    assert {"id": "D1", "signal": "amber"} == socket_gyro["door"]
    _, text = await gate.call("GET", "/metrics")
    # 3 socket scans + 1 HTTP scan, counted alike.
    assert 'gate_scans_total{status="accepted"} 4.0' in text
    assert 'gate_scan_decisions_total{decision="licence_required"} 3.0' in text


async def test_several_scans_in_one_write_answered_in_order(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """The auth map and many scans written in one write() get one answer each, in order."""
    await gate.create()
    plain = gtin_with(demo_config, "")
    conn = await connect()
    scans = [scan(f"b{i:03}", f"(01){plain}(21)S{i}") for i in range(40)]
    await conn.write({"auth": SCANNER_TOKEN}, *scans)
    assert True is (await conn.recv())["ok"]
    answers = [await conn.recv() for _ in scans]
    assert [s["scan_id"] for s in scans] == [a["scan_id"] for a in answers]
    assert list(range(1, 41)) == [a["line"]["quantity"] for a in answers]


async def test_a_tag_read_again_answers_counted_0(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """Over the socket too, a scan answer says whether the read counted a unit: a tag's
    first read 1, its re-reads 0 (single and in a batch), a retry of the first read 1."""
    await gate.create()
    tag = f"(01){gtin_with(demo_config, '9.A.4')}(21)SN-7"
    conn = await connect()
    assert True is (await conn.auth())["ok"]
    await conn.write(
        scan("t1", tag), scan("t2", tag), {"scans": [scan("t3", tag), scan("t1", tag)]}
    )
    single = [await conn.recv(), await conn.recv()]
    batch = (await conn.recv())["results"]
    assert [1, 0, 0, 1] == [a["counted"] for a in single + batch]
    assert ["accepted", "accepted", "accepted", "duplicate"] == [
        a["status"] for a in single + batch
    ]


@pytest.mark.parametrize(
    ("first", "error"),
    [
        ({"auth": WMS_TOKEN}, "client wms may not scan"),
        ({"auth": "not-a-token-of-anybody-here"}, "unknown token"),
        ({"auth": SCANNER_TOKEN, "door": "D1"}, scanner_socket.AUTH_FIRST),
        (
            {"scan_id": "x", "reader": "r", "door": "D1", "code": "09506000014715"},
            scanner_socket.AUTH_FIRST,
        ),
        (42, scanner_socket.AUTH_FIRST),
        ("hello", scanner_socket.AUTH_FIRST),
    ],
    ids=["wms token", "unknown token", "extra key", "scan before auth", "int", "string"],
)
async def test_first_message_not_scanner_auth_closes(connect: Any, first: Any, error: str) -> None:
    """Anything but {"auth": SCANNER_TOKEN} first gets an error map saying why (a token no
    client has: "unknown token") and the connection closed."""
    conn = await connect()
    await conn.write(first)
    answer = await conn.recv()
    assert (error, "closed") == (answer["error"], answer["status"])
    assert await conn.closed_by_server()


async def test_batches_answered_as_over_http(gate: Gate, demo_config: Path, connect: Any) -> None:
    """{"scans": [...]} is decided like POST /scans with a batch and answered by one map
    {"results": [...]}, in order among single scans; a bad batch gets one error map, decides
    nothing, and the connection stays."""
    await gate.create()
    plain = gtin_with(demo_config, "")
    conn = await connect()
    assert True is (await conn.auth())["ok"]
    batch = {"scans": [scan(f"b{i}", f"(01){plain}(21)S{i}") for i in range(3)]}
    await conn.write(scan("one", f"(01){plain}(21)S9"), batch, {"scans": []}, {"scans": 7})
    single = await conn.recv()
    together = await conn.recv()
    empty, bad = await conn.recv(), await conn.recv()
    assert ("one", 1) == (single["scan_id"], single["line"]["quantity"])
    assert ["b0", "b1", "b2"] == [r["scan_id"] for r in together["results"]]
    assert [2, 3, 4] == [r["line"]["quantity"] for r in together["results"]]
    for refused in (empty, bad):
        assert "error" == refused["status"]
        assert refused["error"].startswith("scans must be a list of 1 to")
    await conn.write(scan("after", f"(01){plain}(21)S10"))
    assert 5 == (await conn.recv())["line"]["quantity"]
    status, http = await gate.call(
        "POST",
        "/api/v1/scans",
        {"scans": [scan("h1", f"(01){plain}(21)S11")]},
        token=SCANNER_TOKEN,
    )
    assert 200 == status
    assert set(http) == set(together)


async def test_scan_before_auth_changes_nothing(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """Scans sent by a connection that never authenticated are not counted."""
    await gate.create()
    conn = await connect()
    await conn.write(scan("u1", gtin_with(demo_config, "")), {"auth": SCANNER_TOKEN})
    assert "closed" == (await conn.recv())["status"]
    assert await conn.closed_by_server()
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert [] == doc["lines"]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"scan_id": "m1", "reader": "fixed-1", "door": "D1"}, "code"),
        ({"scan_id": "m1", "reader": "fixed-1", "door": "D1", "code": 7}, "code"),
        ({"scan_id": "m1", "reader": "fixed-1", "door": "D1", "code": "x", "colour": 1}, "colour"),
        (7, "scan"),
        ([1, 2, 3], "scan"),
        ({"scan_id": "m1", "reader": "fixed-1", "door": "D1", "code": "09506000014716"}, "gtin"),
        ({"scan_id": "m1", "reader": "fixed-1", "door": "D9", "code": "09506000014715"}, "door"),
    ],
    ids=["no code", "code int", "unknown field", "int", "list", "bad check digit", "bad door"],
)
async def test_invalid_scan_is_rejected_and_connection_stays(
    gate: Gate, demo_config: Path, connect: Any, bad: Any, field: str
) -> None:
    """A map that is not a valid scan gets a rejected result naming the field, and the same
    connection then scans normally."""
    await gate.create()
    conn = await connect()
    await conn.auth()
    await conn.write(bad)
    answer = await conn.recv()
    assert ("rejected", field) == (answer["status"], answer.get("field")), answer
    assert answer["error"]
    await conn.write(scan("ok1", gtin_with(demo_config, "")))
    answer = await conn.recv()
    assert ("ok1", "accepted") == (answer["scan_id"], answer["status"])


async def test_text_that_is_not_utf8_is_a_rejected_scan_and_the_connection_stays(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """A scan whose code is a msgpack string of bytes that are not UTF-8 is framed and
    rejected naming the field; the same connection then scans normally (it was closed)."""
    await gate.create()
    conn = await connect()
    await conn.auth()
    frame = msgpack.packb(scan("u8", "ZZZZ")).replace(b"\xa4ZZZZ", b"\xa4\xff\xfe\xfd\xfc")
    await conn.write(raw=frame)
    answer = await conn.recv()
    assert ("u8", "rejected", "code") == (answer["scan_id"], answer["status"], answer["field"])
    await conn.write(scan("ok2", gtin_with(demo_config, "")))
    answer = await conn.recv()
    assert ("ok2", "accepted") == (answer["scan_id"], answer["status"])


async def test_unframeable_bytes_close_only_that_connection(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """Bytes that are never msgpack (0xc1) get an error map and close that connection; another
    connection open at the same time keeps working."""
    await gate.create()
    plain = gtin_with(demo_config, "")
    bad, good = await connect(), await connect()
    await bad.auth()
    await good.auth()
    await good.write(scan("g1", plain))
    assert "accepted" == (await good.recv())["status"]

    await bad.write(raw=b"\xc1")
    answer = await bad.recv()
    assert "closed" == answer["status"]
    assert "unframeable" in answer["error"]
    assert await bad.closed_by_server()

    await good.write(scan("g2", plain))
    answer = await good.recv()
    assert ("g2", "accepted", 2) == (
        answer["scan_id"],
        answer["status"],
        answer["line"]["quantity"],
    )


async def test_scans_before_unframeable_bytes_are_answered_first(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """Well-framed scans written together with broken bytes are decided and answered before
    the error map that closes the connection."""
    await gate.create()
    conn = await connect()
    await conn.auth()
    plain = gtin_with(demo_config, "")
    await conn.write(scan("f1", plain), scan("f2", plain), raw=b"\xc1")
    answers = [await conn.recv() for _ in range(3)]
    assert [("f1", "accepted"), ("f2", "accepted")] == [
        (a["scan_id"], a["status"]) for a in answers[:2]
    ]
    assert "closed" == answers[2]["status"]
    assert await conn.closed_by_server()


async def test_oversized_frame_closes_the_connection(connect: Any) -> None:
    """A frame over the size limit gets an error map and the connection is closed."""
    conn = await connect()
    await conn.auth()
    await conn.write(scan("big", "9" * (scanner_socket.MAX_FRAME + 1)))
    answer = await conn.recv()
    assert "closed" == answer["status"]
    assert await conn.closed_by_server()


async def test_silent_client_is_closed_after_auth_timeout(
    connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that connects and sends nothing is told so and closed after the auth timeout."""
    monkeypatch.setattr(scanner_socket, "AUTH_TIMEOUT", 0.5)
    conn = await connect()
    answer = await conn.recv()
    assert "closed" == answer["status"]
    assert "auth" in answer["error"]
    assert await conn.closed_by_server()


async def test_trickling_client_is_closed_after_auth_timeout(
    connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that keeps sending bytes of a frame it never completes is still closed once
    the auth timeout has passed since it connected."""
    monkeypatch.setattr(scanner_socket, "AUTH_TIMEOUT", 0.5)
    conn = await connect()
    # str32 header promising 60000 bytes, then one byte at a time, never completed.
    await conn.write(raw=b"\xdb" + (60000).to_bytes(4, "big"))

    async def trickle() -> None:
        with contextlib.suppress(ConnectionError):
            while True:  # never stops by itself: only the server can end this
                await asyncio.sleep(0.05)
                conn.writer.write(b"a")
                await conn.writer.drain()

    dripping = asyncio.create_task(trickle())
    try:
        answer = await conn.recv()
        assert "closed" == answer["status"]
        assert "auth" in answer["error"]
        assert await conn.closed_by_server()
    finally:
        dripping.cancel()
        await asyncio.gather(dripping, return_exceptions=True)


async def test_socket_scans_are_durable_and_share_idempotency_with_http(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """Scans answered over the socket are in the scans table, and the same (reader, scan_id)
    posted again over HTTP or the socket is a duplicate."""
    await gate.create()
    plain = gtin_with(demo_config, "")
    conn = await connect()
    await conn.auth()
    sent = [scan(f"d{i}", plain, reader="fixed-7") for i in range(25)]
    await conn.write(*sent)
    answers = [await conn.recv() for _ in sent]
    assert ["accepted"] * 25 == [a["status"] for a in answers]

    db = connect_readonly(gate.config.database)
    try:
        rows = db.execute(
            "SELECT scan_id, door, code, result FROM scans WHERE reader = 'fixed-7'"
        ).fetchall()
    finally:
        db.close()
    stored = {sid: (door, code, json.loads(result)["status"]) for sid, door, code, result in rows}
    assert {s["scan_id"]: ("D1", plain, "accepted") for s in sent} == stored

    status, body = await gate.call("POST", "/api/v1/scans", sent[3], token=SCANNER_TOKEN)
    assert (200, "duplicate") == (status, body["results"][0]["status"])
    await conn.write(sent[4])
    again = await conn.recv()
    assert ("d4", "duplicate") == (again["scan_id"], again["status"])
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert 25 == doc["lines"][0]["quantity"]


@pytest.fixture
async def capped(gate: Gate) -> AsyncIterator[tuple[ScannerServer, tuple[str, int]]]:
    """A ScannerServer that takes at most two connections at once."""
    app = gate.app
    server = ScannerServer(app[app_keys.DOCKS], app[app_keys.CLIENTS].by_token, 2)
    bound = await server.start("127.0.0.1", 0)
    yield server, bound
    await server.close()


async def test_at_the_cap_a_connection_without_a_token_makes_room(
    capped: tuple[ScannerServer, tuple[str, int]],
    gate: Gate,
    demo_config: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Connections that never authenticate cannot lock the readers out: at the cap the
    oldest of them, once it has had TOKEN_GRACE to send its token, is closed (told why) for
    the newcomer, and the reader keeps scanning. Before its grace is up, the newcomer is
    refused instead (a reader that just reconnected keeps its chance)."""
    monkeypatch.setattr(scanner_socket, "TOKEN_GRACE", 0.3)
    server, address = capped
    await gate.create()
    reader = await Reader.connect(address)
    assert (await reader.auth())["ok"]
    idle = await Reader.connect(address)
    await idle.write(raw=b"")  # connected, no token
    await asyncio.sleep(0.05)
    early = await Reader.connect(address)
    assert "limit of 2 scanner connections" in (await early.recv())["error"]
    await early.close()
    await asyncio.sleep(0.3)
    newcomer = await Reader.connect(address)
    told = await idle.recv()
    assert "closed" == told["status"]
    assert "limit of 2 scanner connections" in told["error"]
    assert await idle.closed_by_server()
    assert (await newcomer.auth())["ok"]
    await reader.write(scan("cap-1", gtin_with(demo_config, "")))
    assert "accepted" == (await reader.recv())["status"]
    assert (1, 1) == (server.evicted, server.refused)
    for conn in (reader, idle, newcomer):
        await conn.close()


async def test_at_the_cap_with_every_connection_authenticated_a_new_one_is_refused(
    capped: tuple[ScannerServer, tuple[str, int]],
) -> None:
    server, address = capped
    first, second = await Reader.connect(address), await Reader.connect(address)
    assert (await first.auth())["ok"] and (await second.auth())["ok"]
    third = await Reader.connect(address)
    refusal = await third.recv()
    assert "closed" == refusal["status"]
    assert "limit of 2 scanner connections" in refusal["error"]
    assert await third.closed_by_server()
    await first.write({"scan_id": "x"})  # the open ones are untouched: answered
    assert "rejected" == (await first.recv())["status"]
    assert (0, 1) == (server.evicted, server.refused)
    await first.close()
    await asyncio.sleep(0.05)
    again = await Reader.connect(address)
    assert (await again.auth())["ok"], "a slot freed by a close is taken again"
    for conn in (second, third, again):
        await conn.close()


async def test_at_the_cap_a_reader_silent_for_long_makes_room(
    capped: tuple[ScannerServer, tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every slot authenticated: the one that has sent nothing for IDLE_EVICT (a reader that
    went away without closing) is closed for the newcomer, told why; the busy one stays."""
    monkeypatch.setattr(scanner_socket, "IDLE_EVICT", 0.3)
    server, address = capped
    silent, busy = await Reader.connect(address), await Reader.connect(address)
    assert (await silent.auth())["ok"] and (await busy.auth())["ok"]
    await asyncio.sleep(0.4)
    await busy.write({"scan_id": "x"})  # busy: just sent something
    assert "rejected" == (await busy.recv())["status"]
    newcomer = await Reader.connect(address)
    told = await silent.recv()
    assert "closed" == told["status"]
    assert "had sent nothing for" in told["error"]
    assert await silent.closed_by_server()
    assert (await newcomer.auth())["ok"]
    await busy.write({"scan_id": "y"})
    assert "rejected" == (await busy.recv())["status"]
    assert (1, 0) == (server.evicted, server.refused)
    for conn in (silent, busy, newcomer):
        await conn.close()


async def test_one_address_cannot_fill_the_table_with_connections_waiting_for_a_token(
    capped: tuple[ScannerServer, tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With UNAUTHED_PER_PEER connections from one address waiting for their token, another
    from it is refused at once (told why) and pushes nobody out, while a reader from another
    address still gets in."""
    monkeypatch.setattr(scanner_socket, "UNAUTHED_PER_PEER", 1)
    server, address = capped
    waiting = await Reader.connect(address)
    await waiting.write(raw=b"")
    await asyncio.sleep(0.05)
    again = await Reader.connect(address)
    refusal = await again.recv()
    assert "closed" == refusal["status"]
    assert "waiting to send their token" in refusal["error"]
    assert await again.closed_by_server()
    other = await Reader.connect(address, source="127.0.0.2")
    assert (await other.auth())["ok"]
    assert (0, 1) == (server.evicted, server.refused)
    for conn in (waiting, again, other):
        await conn.close()


async def test_a_token_sent_again_mid_session_is_not_journaled(gate: Gate, connect: Any) -> None:
    """A reader that repeats its auth frame gets a rejected answer; the journal keeps the
    refusal, never the token."""
    conn = await connect()
    assert (await conn.auth())["ok"]
    await conn.write({"auth": SCANNER_TOKEN})
    assert "rejected" == (await conn.recv())["status"]
    db = connect_readonly(gate.config.database)
    try:
        rows = db.execute("SELECT data FROM audit WHERE kind = 'scan.rejected'").fetchall()
    finally:
        db.close()
    assert rows, "the refusal is journaled"
    assert not [data for (data,) in rows if SCANNER_TOKEN in data]
    assert any("[redacted]" in data for (data,) in rows)


async def test_refusals_at_the_cap_are_one_warning_per_episode(
    gate: Gate, caplog: pytest.LogCaptureFixture
) -> None:
    """With the gate's resource alarm, ten connections refused at the cap log one warning,
    not ten; once a connection is taken under the cap again, the episode's end is logged
    with its count."""
    app = gate.app
    alarm = ResourceAlarm()
    server = ScannerServer(app[app_keys.DOCKS], app[app_keys.CLIENTS].by_token, 2, alarm)
    address = await server.start("127.0.0.1", 0)
    try:
        held = [await Reader.connect(address) for _ in range(2)]
        for conn in held:
            assert (await conn.auth())["ok"]
        with caplog.at_level(logging.WARNING, logger="gate.web.limits"):
            for _ in range(10):
                refused = await Reader.connect(address)
                assert "limit of 2 scanner connections" in (await refused.recv())["error"]
                await refused.close()
            await held.pop().close()
            await until(lambda: len(server.connections) < 2, "room again")
            held.append(await Reader.connect(address))
            assert (await held[-1].auth())["ok"]
        lines = [r.getMessage() for r in caplog.records]
        assert 10 == server.refused
        assert 1 == sum("scanner connections refused: 2 open" in m for m in lines), lines
        assert any("cleared: scanner_connections (met 10 time(s)" in m for m in lines), lines
        for conn in held:
            await conn.close()
    finally:
        await server.close()
