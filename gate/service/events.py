"""Live events: scan results, state changes, door signals and alerts, fanned out to every
open ``GET /api/v1/events`` stream.

Publishing never blocks and never fails the action that published: each subscriber has a
bounded queue, and a subscriber too slow to keep up is dropped (its browser reconnects and
reloads the state) rather than holding the gate back. Events carry a sequence number as
their SSE id; the most recent ones are kept so a reconnecting client that sends
``Last-Event-ID`` gets what it missed, as far back as that buffer reaches.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp_sse import sse_response

from gate.service.clock import utc_now

QUEUE_LIMIT = 1000
REPLAY_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Event:
    """One published event; ``kind`` is the SSE event name (``scan``, ``shipment``, ``door``,
    ``alert``, ``table``, ``link``, ``reference``: a signed bundle swapped in)."""

    seq: int
    kind: str
    data: dict[str, Any]
    at: str


class Events:
    """The publisher and its subscribers.

    ``clock`` stamps each event; the docks set it to their own clock (``Docks.clock``), so
    an event carries the time the decisions were made on."""

    def __init__(self, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.clock = clock
        self._seq = 0
        self._subscribers: weakref.WeakSet[_Subscriber] = weakref.WeakSet()
        self._recent: deque[Event] = deque(maxlen=REPLAY_LIMIT)
        self.closed = asyncio.Event()

    def publish(self, kind: str, data: dict[str, Any]) -> Event:
        self._seq += 1
        event = Event(self._seq, kind, data, self.clock().isoformat())
        self._recent.append(event)
        for sub in list(self._subscribers):
            sub.offer(event)
        return event

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @contextlib.asynccontextmanager
    async def subscribe(self, last_id: int | None = None) -> AsyncIterator[_Subscriber]:
        sub = _Subscriber()
        if last_id is not None:
            for event in self._recent:
                if event.seq > last_id:
                    sub.offer(event)
        self._subscribers.add(sub)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)

    def close(self) -> None:
        """Ends every stream (at shutdown)."""
        self.closed.set()
        for sub in list(self._subscribers):
            sub.end()


class _Subscriber:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(QUEUE_LIMIT + 1)
        self.dropped = False

    def offer(self, event: Event) -> None:
        if self.dropped:
            return
        if self.queue.qsize() >= QUEUE_LIMIT:
            self.dropped = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(event)

    def end(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)


async def stream(request: web.Request, events: Events) -> web.StreamResponse:
    """Serves events as server-sent events until the client goes or the gate stops."""
    last = request.headers.get("Last-Event-ID", "")
    last_id = int(last) if last.isdigit() else None
    async with sse_response(request, ping_interval=15, send_timeout=10) as response:
        async with events.subscribe(last_id) as sub:
            # A client that goes away mid-write ends its stream; nothing else is affected.
            with contextlib.suppress(ConnectionError, TimeoutError):
                await response.send(json.dumps({"connected": True}), event="hello")
                while response.is_connected():
                    event = await sub.queue.get()
                    if event is None:
                        break
                    await response.send(
                        json.dumps({**event.data, "at": event.at}),
                        id=str(event.seq),
                        event=event.kind,
                    )
    return response
