"""A client that reconnects with ``Last-Event-ID``: one ended for falling ``QUEUE_LIMIT``
events behind gets every event it missed (the gate keeps ``REPLAY_LIMIT``, twice as many),
and its ``hello`` says ``missed`` only when events after its id are no longer kept."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from gate.service import events as events_module
from gate.web import app_keys
from tests.service.harness import Gate
from tests.service.test_event_stream import AUTH, _frames, _frames_until_hello


def _hello(lines: list[bytes]) -> dict[str, Any]:
    assert b"event: hello\r\n" == lines[0], lines
    data: dict[str, Any] = json.loads(lines[1].removeprefix(b"data: "))
    return data


def _ids(frames: list[list[bytes]]) -> list[int]:
    return [int(frame[0].removeprefix(b"id: ")) for frame in frames]


async def test_a_client_ended_for_falling_behind_gets_what_it_missed_on_reconnect(
    gate: Gate,
) -> None:
    """A stream ended QUEUE_LIMIT events behind (its first write taken, the rest lost with
    it), reconnecting with the last id it read: every later event, in order, none missed."""
    events = gate.app[app_keys.EVENTS]
    async with gate.session.get(gate.url + "/api/v1/events", headers=AUTH) as stream:
        await _frames_until_hello(stream)
        published = [
            events.publish("link", {"n": n}).seq for n in range(events_module.QUEUE_LIMIT + 10)
        ]
        body = await asyncio.wait_for(stream.content.read(), 10)  # to the end of the stream
    seen = [int(line[4:]) for line in body.split(b"\r\n") if line.startswith(b"id: ")]
    assert seen == published[: len(seen)]
    headers = {**AUTH, "Last-Event-ID": str(seen[-1])}
    async with gate.session.get(gate.url + "/api/v1/events", headers=headers) as stream:
        hello = _hello(await _frames_until_hello(stream))
        frames = await _frames(stream, 0, until_id=published[-1])
    assert False is hello["missed"]
    assert published[len(seen) :] == _ids(frames)


async def test_a_client_whose_id_is_older_than_what_is_kept_is_told_it_missed_some(
    gate: Gate,
) -> None:
    """REPLAY_LIMIT + 5 events after the client's id: its hello says ``missed``, and it gets
    the REPLAY_LIMIT that are kept, the newest last."""
    events = gate.app[app_keys.EVENTS]
    last = events.publish("link", {"n": -1}).seq
    published = [
        events.publish("link", {"n": n}).seq for n in range(events_module.REPLAY_LIMIT + 5)
    ]
    headers = {**AUTH, "Last-Event-ID": str(last)}
    async with gate.session.get(gate.url + "/api/v1/events", headers=headers) as stream:
        hello = _hello(await _frames_until_hello(stream))
        frames = await _frames(stream, 0, until_id=published[-1])
    assert True is hello["missed"]
    assert published[-events_module.REPLAY_LIMIT :] == _ids(frames)
