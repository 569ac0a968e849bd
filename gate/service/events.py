"""Live events: scan results, state changes, door signals and alerts, fanned out to every
open ``GET /api/v1/events`` stream.

Publishing never blocks and never fails the action that published: each subscriber has a
bounded queue, and a subscriber too slow to keep up is dropped (its browser reconnects and
reloads the state) rather than holding the gate back. Events carry a sequence number as
their SSE id; the most recent ones are kept so a reconnecting client that sends
``Last-Event-ID`` gets what it missed, as far back as that buffer reaches.

Each event is encoded once, however many streams carry it, and a stream writes everything
queued for it in one write: a busy gate publishes a burst per commit (a batch of 100 scans is
100 events), and ten streams writing each event on its own cost the loop more than the scans.

The events kept for replay are kept as their frames (``_Kept``: id, kind, stamp and the
encoded frame, nothing the cyclic collector tracks once a young collection has seen the
tuple), not as the published dicts: at a portal's pace the 2,000 kept events with their
nested dicts and lists were a third of what every young collection of the heap walked, in
process about 8 ms each four times a second, 5 ms so (the frame is encoded at publish, which
an open stream did anyway). A replay to a subscriber in the process (the page, the stack
lights, MQTT) decodes the frame back (``Event.from_kept``): the same data as JSON has it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp_sse import sse_response

from gate.core import json_text
from gate.core.frozen_init import quick_init
from gate.service.clock import utc_now

#: Events a stream may fall behind before it is ended (its client reconnects).
QUEUE_LIMIT = 1000
#: Events kept for clients that reconnect with ``Last-Event-ID``: twice what a stream may fall
#: behind, so a client ended for falling behind gets what it missed when it comes back.
REPLAY_LIMIT = 2 * QUEUE_LIMIT
#: At most this many events go out in one write to one stream.
WRITE_BATCH = 200
#: A stream whose client has not taken a write's frames (down to the transport's low-water
#: mark) within this long is cut: a stalled client.
SEND_TIMEOUT = 10.0
#: Seconds between the comments a stream sends to keep its connection open; a client that
#: went away is found out by the first of them that cannot be written.
PING_INTERVAL = 15.0
#: Seconds a stream with nothing to send waits before it looks whether its client is still
#: there (``_open``): a client gone from a quiet gate gives its stream slot back within this
#: (it waited for the next event before, however long that took, then for the next ping).
IDLE_CHECK = 1.0
#: Seconds a stream waits after an event arrives before it writes, so that the events of
#: the next few milliseconds go out in the same write: at a busy dock (500 single scans a
#: second, a portal's batches, ten streams) one write per event per stream took a fifth of
#: the loop, each a system call of its own.
LINGER = 0.01
#: The line separator of every frame: ours, and the hello and pings aiohttp_sse writes.
_SEP = "\r\n"


@quick_init
@dataclass(frozen=True, slots=True)
class Event:
    """One published event; ``kind`` is the SSE event name (``scan``, ``shipment``, ``door``,
    ``alert``, ``table``, ``link``, ``reference``: a signed bundle swapped in)."""

    seq: int
    kind: str
    data: dict[str, Any]
    at: str
    _frame: bytes | None = field(default=None, init=False, compare=False, repr=False)

    @classmethod
    def from_kept(cls, kept: _Kept, *, decoded: bool = True) -> Event:
        """The event a kept frame is of, its data decoded from the frame (as JSON has it:
        lists for tuples; ``at`` is the event's stamp, never a key of its data). Not
        ``decoded``: the frame alone, with empty data, for a stream that only writes frames
        (a reconnect storm's replays decoded 2,000 frames a stream on the loop)."""
        seq, kind, at, frame = kept
        data: dict[str, Any] = {}
        if decoded:
            data = json.loads(frame[len(_head(seq, kind).encode()) : -2 * len(_SEP)])
            del data["at"]
        event = cls(seq, kind, data, at)
        object.__setattr__(event, "_frame", frame)
        return event

    def kept(self) -> _Kept:
        """What the replay buffer keeps of this event."""
        return self.seq, self.kind, self.at, self.frame()

    def frame(self) -> bytes:
        """The event as one SSE frame (id, event, data with ``at``), encoded on first use
        and shared by every stream. JSON escapes line breaks, so ``data`` is one line, and
        ``publish`` refuses a ``kind`` with a line break."""
        if self._frame is None:
            data = json_text.dumps({**self.data, "at": self.at})
            text = f"{_head(self.seq, self.kind)}{data}{_SEP}{_SEP}"
            object.__setattr__(self, "_frame", text.encode())
        assert self._frame is not None
        return self._frame

    def bare_frame(self) -> bytes:
        """The event as a frame that says only what changed (its id, kind and stamp), for a
        stream whose client may know when to read again but not what the event holds (the
        read-only display: ``gate.web.auth``)."""
        data = json_text.dumps({"at": self.at})
        return f"{_head(self.seq, self.kind)}{data}{_SEP}{_SEP}".encode()


#: An event as the replay buffer keeps it: id, kind, stamp and its frame.
_Kept = tuple[int, str, str, bytes]


def _head(seq: int, kind: str) -> str:
    """A frame's text before its data."""
    return f"id: {seq}{_SEP}event: {kind}{_SEP}data: "


def check_event(kind: str, data: Mapping[str, Any]) -> None:
    """Raises ValueError for an event no frame carries as given: a ``kind`` with a line
    break (its frame would carry a field of its own), data with an ``at`` of its own (the
    frame's ``at`` is the stamp: the data's would be lost). A change's events are checked
    before it is written (``Committer.begin``): refused after its commit, a change was
    stored and taken into memory while its caller got the error and none of its events
    went out (a door's signal among them)."""
    if "\r" in kind or "\n" in kind:
        raise ValueError(f"an event kind must be one line, not {kind!r}")
    if "at" in data:
        raise ValueError(f"a {kind} event's data has an 'at' of its own")


class Events:
    """The publisher and its subscribers.

    ``clock`` stamps each event; the docks set it to their own clock (``Docks.clock``), so
    an event carries the time the decisions were made on."""

    def __init__(self, clock: Callable[[], dt.datetime] = utc_now, first: int = 0) -> None:
        self.clock = clock
        #: The last id given; the next event's is one more. The gate starts it at the
        #: microseconds of its start (``gate.web.app``), so every id of this life of the gate
        #: is above every id of the one before: a client that reconnects after a restart
        #: with the id it last saw gets what was published since, not nothing.
        self._seq = first
        # A plain set: ``subscribe`` takes each one out when its stream ends, and a publish
        # walks it once per event (a WeakSet's guarded walk cost more than the offers).
        self._subscribers: set[_Subscriber] = set()
        self._recent: deque[_Kept] = deque(maxlen=REPLAY_LIMIT)
        self.closed = asyncio.Event()

    def publish(self, kind: str, data: dict[str, Any]) -> Event:
        """Stamps, keeps and offers one event to every stream. Raises ValueError for a
        ``kind`` with a line break."""
        return self._publish(kind, data, self.clock().isoformat())

    def publish_all(self, events: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Publishes ``(kind, data)`` events in order, stamped with one instant: what one
        change decided (a batch of scans is one event per scan). Raises ValueError at the
        first ``kind`` with a line break; the events before it are out already."""
        at = self.clock().isoformat()
        for kind, data in events:
            self._publish(kind, data, at)

    def _publish(self, kind: str, data: dict[str, Any], at: str) -> Event:
        check_event(kind, data)
        self._seq += 1
        event = Event(self._seq, kind, data, at)
        self._recent.append(event.kept())
        for sub in tuple(self._subscribers):
            sub.offer(event)
        return event

    def kept(self) -> list[Event]:
        """The events kept for replay, oldest first (as a replay gives them)."""
        return [Event.from_kept(kept) for kept in self._recent]

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, last_id: int | None = None, *, frames_only: bool = False
    ) -> AsyncIterator[_Subscriber]:
        """A subscriber, given the kept events after ``last_id`` first (``frames_only``:
        replayed without their data, for a stream that writes frames only)."""
        replay: list[Event] = []
        missed = False
        if last_id is not None:
            if last_id > self._seq:
                last_id = 0  # not given by this life of the gate: all that is kept is news to it
            oldest = self._recent[0][0] if self._recent else self._seq + 1
            # Events after its last one are gone from what is kept (or from before a restart).
            missed = last_id < oldest - 1
            decoded = not frames_only
            replay = [
                Event.from_kept(kept, decoded=decoded) for kept in self._recent if kept[0] > last_id
            ]
        sub = _Subscriber(backlog=len(replay), missed=missed)
        for event in replay:
            sub.offer(event)
        self._subscribers.add(sub)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)

    def close(self) -> None:
        """Ends every stream (at shutdown)."""
        self.closed.set()
        for sub in tuple(self._subscribers):
            sub.end()


class _Subscriber:
    """One stream's queue: the events it replays (``backlog``) and at most ``QUEUE_LIMIT``
    more before it is ended. ``missed``: its client reconnected past what is kept."""

    def __init__(self, backlog: int = 0, missed: bool = False) -> None:
        self.limit = QUEUE_LIMIT + backlog
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(self.limit + 1)
        self.dropped = False
        self.missed = missed

    def offer(self, event: Event) -> None:
        if self.dropped:
            return
        if self.queue.qsize() >= self.limit:
            self.dropped = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(event)

    def end(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)


async def stream(request: web.Request, events: Events, *, bare: bool = False) -> web.StreamResponse:
    """Serves events as server-sent events until the client goes or the gate stops;
    ``bare``: each event's kind and id only (``Event.bare_frame``)."""
    last = request.headers.get("Last-Event-ID", "")
    # ASCII digits of a sane length: ``int`` takes other digits, and refuses 4,301 of them.
    last_id = int(last) if last.isascii() and last.isdigit() and len(last) <= 19 else None
    async with sse_response(
        request, ping_interval=PING_INTERVAL, send_timeout=SEND_TIMEOUT, sep=_SEP
    ) as response:
        async with events.subscribe(last_id, frames_only=True) as sub:
            # A client that goes away mid-write ends its stream; nothing else is affected.
            with contextlib.suppress(ConnectionError, TimeoutError):
                # ``missed``: events after its Last-Event-ID are no longer kept; read the state
                # again (GET /shipments, /doors) rather than trust the stream to fill the gap.
                hello = {"connected": True, "missed": sub.missed}
                await response.send(json.dumps(hello), event="hello")
                ended = False
                while not ended and response.is_connected() and _open(request):
                    try:
                        async with asyncio.timeout(IDLE_CHECK):
                            event = await sub.queue.get()
                    except TimeoutError:
                        continue  # nothing to send: is the client still there?
                    if event is not None and sub.queue.qsize() < WRITE_BATCH:
                        # Outside the timeout: a taken event is never cancelled away.
                        await asyncio.sleep(LINGER)
                    frames, ended = _take(sub, event, bare)
                    if frames:
                        await _write(request, response, b"".join(frames))
    return response


def _open(request: web.Request) -> bool:
    """Whether the client's connection is still open. aiohttp_sse's ``is_connected`` only
    says whether its pinger still runs, and that finds a client gone only at its next ping
    (``PING_INTERVAL``): a reconnect storm's old streams held their slots that long, and the
    reconnecting clients were refused 503 ``too-many-streams`` meanwhile."""
    transport = request.transport
    return transport is not None and not transport.is_closing()


def _take(sub: _Subscriber, event: Event | None, bare: bool = False) -> tuple[list[bytes], bool]:
    """``event`` (the one awaited) and what else is queued (up to ``WRITE_BATCH``): their
    frames (``bare``: ``Event.bare_frame``), and whether the stream ends after them."""
    if event is None:
        return [], True
    frame = Event.bare_frame if bare else Event.frame
    frames = [frame(event)]
    while len(frames) < WRITE_BATCH and not sub.queue.empty():
        event = sub.queue.get_nowait()
        if event is None:
            return frames, True
        frames.append(frame(event))
    return frames, False


async def _write(request: web.Request, response: web.StreamResponse, payload: bytes) -> None:
    """Writes frames the way aiohttp_sse's ``send`` writes one: a client that has not taken
    them within ``SEND_TIMEOUT`` is cut off rather than holding its buffer."""
    try:
        async with asyncio.timeout(SEND_TIMEOUT):
            await response.write(payload)
    except TimeoutError:
        if request.transport is not None:
            request.transport.abort()
        raise
