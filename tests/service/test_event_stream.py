"""The event stream under a burst: every event once, in order, as well-formed SSE frames.

A batch of scans publishes more events at once than one stream write carries
(``events.WRITE_BATCH``), so the stream must split the burst over several writes and lose,
repeat or reorder nothing. The frames are read as raw bytes off a real socket.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from gate.service import events as events_module
from tests.conftest import SCANNER_TOKEN, WMS_TOKEN
from tests.service.harness import Gate, gtin_with


async def _frames(stream: Any, wanted: int) -> list[list[bytes]]:
    """Reads SSE frames (lists of CRLF-terminated lines) until ``wanted`` scan frames came."""
    frames: list[list[bytes]] = []
    current: list[bytes] = []
    scans = 0
    while scans < wanted:
        line = await asyncio.wait_for(stream.content.readline(), 10)
        assert line.endswith(b"\r\n"), line
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
        assert [b"event: hello\r\n", b'data: {"connected": true}\r\n'] == hello
        status, body = await gate.call(
            "POST", "/api/v1/scans", {"scans": scans}, token=SCANNER_TOKEN
        )
        assert 200 == status, body
        frames = await _frames(stream, count)
    ids = [int(frame[0].removeprefix(b"id: ")) for frame in frames]
    assert ids == list(range(ids[0], ids[0] + len(ids))), "gaps or repeats in the ids"
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
