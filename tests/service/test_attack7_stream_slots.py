"""Event streams whose clients went away give their slots back at once, not at the next ping.

A reconnect storm (a network blip at the operators' room, a proxy restarting) closes many
streams at once and opens as many new ones: each old stream held its slot until its next
keep-alive ping found the client gone (up to ``PING_INTERVAL``, 15 s), so the reconnecting
clients were refused 503 ``too-many-streams`` meanwhile (attack7).
"""

from __future__ import annotations

import asyncio

import pytest

from gate.service import events as events_module
from gate.web import app_keys
from tests.conftest import WMS_TOKEN
from tests.service.harness import Gate, until


async def test_streams_closed_by_their_clients_give_their_slots_back_before_any_ping(
    gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Half of the stream slots (one client's share) taken by raw connections that then close
    on a quiet gate whose pings never come: every slot is back, and the client opens a new
    stream."""
    monkeypatch.setattr(events_module, "PING_INTERVAL", 3600.0)
    slots = gate.app[app_keys.EVENT_STREAMS]
    host, port = gate.url.removeprefix("http://").split(":")
    head = f"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {WMS_TOKEN}\r\n\r\n"
    connections = []
    for _ in range(slots.per_holder):
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(head.encode())
        assert b"HTTP/1.1 200 OK\r\n" == await reader.readline()
        connections.append(writer)
    await until(lambda: slots.taken == slots.per_holder, "every stream to take its slot")
    for writer in connections:
        writer.close()
        await writer.wait_closed()
    await until(lambda: slots.taken == 0, "the closed streams to give their slots back")
    headers = {"Authorization": f"Bearer {WMS_TOKEN}"}
    async with gate.session.get(gate.url + "/api/v1/events", headers=headers) as stream:
        assert 200 == stream.status
