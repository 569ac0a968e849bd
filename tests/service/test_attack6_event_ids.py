"""Event ids across a restart: a client that reconnects with the ``Last-Event-ID`` it had from
the gate before a restart gets the events published since the restart, not nothing (the ids
started again at 1, all below the one it sent, so none was replayed) (attack6)."""

from __future__ import annotations

import asyncio

from gate.web import app_keys
from tests.conftest import WMS_TOKEN
from tests.service.harness import Gate, Gates

AUTH = {"Authorization": f"Bearer {WMS_TOKEN}"}


async def frames_until(g: Gate, last_id: int, marker: bytes) -> list[tuple[int, bytes]]:
    """Opens the stream with ``Last-Event-ID: last_id`` and reads (id, data line) of each
    event frame until one whose data holds ``marker``. Raises TimeoutError when no line
    comes within 10 s (the stream replayed nothing and nothing new was published)."""
    got: list[tuple[int, bytes]] = []
    headers = {**AUTH, "Last-Event-ID": str(last_id)}
    async with g.session.get(g.url + "/api/v1/events", headers=headers) as stream:
        assert 200 == stream.status
        seq: int | None = None
        while True:
            line = await asyncio.wait_for(stream.content.readline(), 10)
            if line.startswith(b"id: "):
                seq = int(line.removeprefix(b"id: "))
            elif line.startswith(b"data: ") and seq is not None:
                got.append((seq, line))
                if marker in line:
                    return got
                seq = None


async def test_a_client_reconnecting_after_a_restart_gets_the_events_published_since(
    gates: Gates,
) -> None:
    """The client saw the gate's events up to id N; the gate restarts and creates S2 before
    the client reconnects with Last-Event-ID N: S2's events are replayed, with ids above N."""
    g = await gates.start()
    await g.create("S1", "D1")
    seen = g.app[app_keys.EVENTS].publish("link", {"n": 1}).seq
    await gates.stop(g)

    again = await gates.start()
    await again.create("S2", "D2")
    got = await frames_until(again, seen, b'"S2"')
    assert all(seq > seen for seq, _ in got), got
