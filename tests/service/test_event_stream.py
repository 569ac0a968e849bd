"""The event stream under a burst, a replay, a stalled client and a slow one.

A batch of scans publishes more events at once than one stream write carries
(``events.WRITE_BATCH``), so the stream must split the burst over several writes and lose,
repeat or reorder nothing. A client that stops reading is cut off after ``SEND_TIMEOUT`` and
gives its stream slot back; one that falls ``QUEUE_LIMIT`` events behind is ended. The frames
are read as raw bytes off real sockets.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

import pytest

from gate.service import events as events_module
from gate.web import app_keys
from tests.conftest import SCANNER_TOKEN, WMS_TOKEN
from tests.service.harness import Gate, gtin_with, until

AUTH = {"Authorization": f"Bearer {WMS_TOKEN}"}


async def _frames(stream: Any, wanted: int, until_id: int = 0) -> list[list[bytes]]:
    """Reads SSE frames (lists of CRLF-terminated lines) until ``wanted`` scan frames came,
    and the frame with id ``until_id``, when given."""
    frames: list[list[bytes]] = []
    current: list[bytes] = []
    scans = 0
    while scans < wanted or (
        until_id and (not frames or frames[-1][0] != f"id: {until_id}\r\n".encode())
    ):
        line = await asyncio.wait_for(stream.content.readline(), 10)
        assert line.endswith(b"\r\n"), line
        if line.startswith(b":"):
            continue  # a ping, and the blank line after it
        if line == b"\r\n" and not current:
            continue
        if line == b"\r\n":
            frames.append(current)
            scans += current[1:2] == [b"event: scan\r\n"]
            current = []
        else:
            current.append(line)
    return frames


async def test_a_burst_larger_than_one_write_arrives_whole_and_in_order(
    gate: Gate, demo_config: Path
) -> None:
    """One batch of WRITE_BATCH + 50 scans: every scan event once, in the batch's order, with
    consecutive ids, each frame exactly id, event and data lines."""
    await gate.create()
    count = events_module.WRITE_BATCH + 50
    gtin = gtin_with(demo_config, "")
    scans = [
        {"scan_id": f"b{i}", "reader": "portal", "door": "D1", "code": f"(01){gtin}(21)N{i}"}
        for i in range(count)
    ]
    async with gate.session.get(
        gate.url + "/api/v1/events", headers={"Authorization": f"Bearer {WMS_TOKEN}"}
    ) as stream:
        hello = await _frames_until_hello(stream)
        assert [b"event: hello\r\n", b'data: {"connected": true, "missed": false}\r\n'] == hello
        status, body = await gate.call(
            "POST", "/api/v1/scans", {"scans": scans}, token=SCANNER_TOKEN
        )
        assert 200 == status, body
        frames = await _frames(stream, count)
    ids = [int(frame[0].removeprefix(b"id: ")) for frame in frames]
    assert list(range(ids[0], ids[0] + len(ids))) == ids, "gaps or repeats in the ids"
    data = [json.loads(frame[2].removeprefix(b"data: ")) for frame in frames]
    assert all(
        frame[0].startswith(b"id: ") and frame[1].startswith(b"event: ") and len(frame) == 3
        for frame in frames
    )
    scanned = [
        d["scan_id"] for f, d in zip(frames, data, strict=True) if f[1] == b"event: scan\r\n"
    ]
    assert [s["scan_id"] for s in scans] == scanned
    assert all("at" in d for d in data)
    assert count == sum(1 for r in body["results"] if r["status"] == "accepted")


async def _frames_until_hello(stream: Any) -> list[bytes]:
    lines: list[bytes] = []
    while (line := await asyncio.wait_for(stream.content.readline(), 5)) != b"\r\n":
        lines.append(line)
    return lines


async def test_a_replay_larger_than_one_write_comes_whole(gate: Gate) -> None:
    """Last-Event-ID: the events after it, in order, however many writes they take."""
    events = gate.app[app_keys.EVENTS]
    first = events.publish("link", {"n": 0}).seq
    for n in range(1, events_module.WRITE_BATCH + 100):
        events.publish("link", {"n": n})
    headers = {**AUTH, "Last-Event-ID": str(first + 49)}
    async with gate.session.get(gate.url + "/api/v1/events", headers=headers) as stream:
        await _frames_until_hello(stream)
        frames = await _frames(stream, 0, until_id=first + events_module.WRITE_BATCH + 99)
    assert list(range(first + 50, first + events_module.WRITE_BATCH + 100)) == [
        int(frame[0].removeprefix(b"id: ")) for frame in frames
    ]


@pytest.mark.parametrize("last", ["\u00b2", "-1", "12a", "9" * 4301])
async def test_a_last_event_id_that_is_not_a_number_replays_nothing(gate: Gate, last: str) -> None:
    """Not a 500: the stream opens as if no id had been sent."""
    gate.app[app_keys.EVENTS].publish("link", {"n": 1})
    headers = {**AUTH, "Last-Event-ID": last.encode().decode("latin-1")}
    async with gate.session.get(gate.url + "/api/v1/events", headers=headers) as stream:
        assert 200 == stream.status
        assert [b"event: hello\r\n", b'data: {"connected": true, "missed": false}\r\n'] == (
            await _frames_until_hello(stream)
        )


async def test_a_client_that_stops_reading_is_cut_and_gives_its_slot_back(
    gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A raw socket that never reads while events keep coming: the gate drops the stream,
    its subscriber and its slot. (On this loopback the kernel may end the connection with
    ETIMEDOUT before SEND_TIMEOUT does; either way nothing may stay held.)"""
    monkeypatch.setattr(events_module, "SEND_TIMEOUT", 0.5)
    events = gate.app[app_keys.EVENTS]
    slots = gate.app[app_keys.EVENT_STREAMS]
    others = events.subscribers  # the page's bulletin and the gate's own followers
    host, port = gate.url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (host, int(port)))
    request = f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {WMS_TOKEN}\r\n\r\n"
    await loop.sock_sendall(sock, request.encode())
    try:
        await until(lambda: slots.taken == 1, "the stream to take its slot")
        await until(lambda: events.subscribers == others + 1, "the stream to subscribe")
        # Fewer events than a queue holds (so the stream is not dropped for falling behind),
        # but more bytes than the sockets between us buffer: only the send timeout ends it.
        pad = "x" * 50_000
        for n in range(events_module.QUEUE_LIMIT - 100):
            events.publish("link", {"n": n, "pad": pad})

        async def flood() -> bool:
            return slots.taken == 0

        await until(flood, "the stalled stream to give its slot back")
        assert others == events.subscribers
    finally:
        sock.close()


async def test_a_client_that_falls_too_far_behind_is_ended(gate: Gate) -> None:
    """QUEUE_LIMIT events published before the stream can write any: the stream sends what it
    took, then ends (its browser reconnects and reloads)."""
    events = gate.app[app_keys.EVENTS]
    others = events.subscribers  # the page's bulletin and the gate's own followers
    async with gate.session.get(gate.url + "/api/v1/events", headers=AUTH) as stream:
        await _frames_until_hello(stream)
        for n in range(events_module.QUEUE_LIMIT + 10):
            events.publish("link", {"n": n})
        body = await asyncio.wait_for(stream.content.read(), 10)  # to the end of the stream
    assert events_module.QUEUE_LIMIT == body.count(b"event: link\r\n")
    await until(lambda: events.subscribers == others, "the ended stream to unsubscribe")


async def test_a_client_gone_from_a_quiet_gate_gives_its_slot_back(
    gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream whose client closes while nothing happens at the gate gives its slot and its
    subscription back once its keep-alive finds the client gone, not at the next event (the
    attack held every slot this way for minutes on a quiet gate)."""
    monkeypatch.setattr(events_module, "PING_INTERVAL", 0.5)
    events = gate.app[app_keys.EVENTS]
    slots = gate.app[app_keys.EVENT_STREAMS]
    others = events.subscribers
    host, port = gate.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {WMS_TOKEN}\r\n\r\n"
    writer.write(head.encode())
    await writer.drain()
    await until(lambda: slots.taken == 1, "the stream to take its slot")
    assert b"200" in await reader.readline()
    writer.close()
    await writer.wait_closed()
    await until(lambda: slots.taken == 0, "the closed stream to give its slot back")
    assert others == events.subscribers
