"""The scanner socket: fixed readers keep one TCP connection and stream msgpack maps.

The first map is ``{"auth": TOKEN}`` (a ``scanner`` client), answered ``{"ok": true,
"client": NAME}``; a token no client has is answered ``{"error": "unknown token", "status":
"closed"}``, a client that may not scan ``{"error": "client NAME may not scan", ...}``, and
anything else first ``{"error": AUTH_FIRST, ...}``; each of those closes the connection.

Every later map is a scan of the same shape as ``POST /api/v1/scans``, answered by one map,
in order (the same answer as over HTTP; a scan for a door the client is not bound to is a
rejected answer naming the door, where HTTP refuses the whole request with 403), or a batch
``{"scans": [...]}`` as over HTTP (1 to ``MAX_SCANS_PER_FRAME`` scans), answered by one map
``{"results": [...]}``; a batch that is not a list of that size gets one error map
(``"status": "error"``) and nothing of it is decided. Scans that arrive together are decided
as one batch (``Docks.scans``), and each answer goes out only once all of it is stored. A map
that is not a scan gets an error map; bytes that cannot be framed as msgpack (or a frame over
the size limit) close that connection, and no other. A string, binary or extension declared longer
than ``MAX_FRAME`` closes it as soon as its header arrives (``DeclaredLengths``), not after
the client has sent (or failed to send) what it declared.

At most ``max_connections`` connections are open at once (``[scanner] max_connections``). At
the cap a new connection takes the place of the oldest one that has not authenticated yet,
else of the authenticated one that has sent nothing for longest, if that is at least
``IDLE_EVICT`` seconds; otherwise the new one is answered ``{"error": "...limit...",
"status": "closed"}`` and closed. So connections that never send a token, and readers that
went away without closing theirs, cannot lock the readers out. A connection without a token
makes room only after ``TOKEN_GRACE``, so a flood of new ones cannot push out a reader before
its token is read. TCP keepalive finds a silent peer that is gone (a reader that lost power)
within about two minutes, ``TCP_USER_TIMEOUT`` one with answers unacknowledged within a
minute, and a client that does not read its answers for ``SEND_TIMEOUT`` seconds is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from typing import Any, Protocol

import msgpack

from gate.config.settings import Client
from gate.core.access import Action, may
from gate.errors import GateError
from gate.service.docks import Docks

log = logging.getLogger("gate.scanner")

MAX_FRAME = 64 * 1024
READ_CHUNK = 64 * 1024
AUTH_TIMEOUT = 10.0
MAX_BATCH = 500
MAX_SCANS_PER_FRAME = 1000  # as ``[http] max_scans_per_request`` by default
#: At the cap, an authenticated connection silent for this long makes room for a new one.
IDLE_EVICT = 60.0
#: At the cap, a connection without a token makes room only once it has had this long.
TOKEN_GRACE = 1.0
#: Connections from one address that may wait for their token at once: more are refused at
#: once, so one host opening connections as fast as it can cannot keep the readers' table
#: full of newcomers (the attack refused a reader's reconnect 23 times in 30 that way) nor push
#: a quiet reader out to make room for them.
UNAUTHED_PER_PEER = 4
#: Unacknowledged answers to a peer that is gone: the kernel closes after this (ms).
USER_TIMEOUT_MS = 60_000
#: A client that takes none of its answers for this long is closed.
SEND_TIMEOUT = 30.0
#: TCP keepalive on every connection: first probe after this much silence, then every
#: ``KEEPALIVE_INTERVAL`` seconds, closed after ``KEEPALIVE_PROBES`` unanswered ones.
KEEPALIVE_IDLE = 60
KEEPALIVE_INTERVAL = 15
KEEPALIVE_PROBES = 4
UNKNOWN_TOKEN = "unknown token"
AUTH_FIRST = 'the first message must be {"auth": TOKEN} of a scanner client'


class Alarm(Protocol):
    """What the scanner socket needs of the gate's resource alarm (gate.web.alarms)."""

    def raised(self, name: str, message: str) -> None: ...

    def cleared(self, name: str) -> None: ...


class _EachLogged:
    """An alarm that logs every occurrence (a server built without the gate's alarm)."""

    def raised(self, name: str, message: str) -> None:
        log.warning("%s", message)

    def cleared(self, name: str) -> None:
        pass


class ScannerServer:
    def __init__(
        self,
        docks: Docks,
        by_token: Callable[[str], Client | None],
        max_connections: int = 64,
        alarm: Alarm | None = None,
    ) -> None:
        self.docks = docks
        self.by_token = by_token
        self.max_connections = max_connections
        #: Refusals are logged once per episode on the gate's resource alarm
        #: (gate.web.alarms): a flood of connections, one line each, would bury the log.
        #: Without one, each is logged.
        self.alarm: Alarm = alarm or _EachLogged()
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Task[None]] = set()
        #: The connections still waiting for their token, oldest first (dicts keep order),
        #: with when each opened (loop time) and the address it came from.
        self._unauthed: dict[
            asyncio.Task[None], tuple[asyncio.StreamWriter, float, str | None]
        ] = {}
        #: The authenticated ones, with when each last sent something (loop time).
        self._authed: dict[asyncio.Task[None], tuple[asyncio.StreamWriter, float]] = {}
        self.refused = 0  # connections refused at the cap
        self.evicted = 0  # connections closed at the cap for a new one (no token, or silent)

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self.server = await asyncio.start_server(self._serve, host, port, limit=READ_CHUNK)
        address: tuple[str, int] = self.server.sockets[0].getsockname()[:2]
        return address

    async def listen_again(self, host: str, port: int) -> tuple[str, int]:
        """A new listening server on ``host:port`` in place of one whose socket was lost
        (gate.web.listeners); the sessions already open go on."""
        if self.server is not None:
            self.server.close()
        return await self.start(host, port)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.connections):
            task.cancel()
        for task in list(self.connections):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.server is not None:
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        peer = writer.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) and peer else None
        waiting = sum(1 for _, _, h in self._unauthed.values() if h == host)
        if host is not None and waiting >= UNAUTHED_PER_PEER:
            self.refused += 1
            self.alarm.raised(
                "scanner_tokens",
                f"scanner connections refused: {waiting} from {host} without a token (first"
                f" from {peer})",
            )
            with contextlib.suppress(ConnectionError):
                writer.write(
                    msgpack.packb(
                        {
                            "error": f"{waiting} connections from {host} are waiting to send"
                            " their token: send it on one of them first",
                            "status": "closed",
                        }
                    )
                )
                await writer.drain()
            writer.close()
            return
        room = len(self.connections) < self.max_connections
        if not self._make_room():
            self.refused += 1
            self.alarm.raised(
                "scanner_connections",
                f"scanner connections refused: {len(self.connections)} open, the cap"
                f" (first from {peer})",
            )
            with contextlib.suppress(ConnectionError):
                writer.write(msgpack.packb({"error": self._full(), "status": "closed"}))
                await writer.drain()
            writer.close()
            return
        if room:  # under the cap again, not by closing another
            self.alarm.cleared("scanner_connections")
        self.connections.add(task)
        self._unauthed[task] = (writer, asyncio.get_running_loop().time(), host)
        _keepalive(writer)
        try:
            await self._session(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except _NoAnswersTaken:
            log.warning(
                "scanner connection %s took no answers for %g s: closed", peer, SEND_TIMEOUT
            )
        except asyncio.CancelledError:
            # Only close() cancels a session. Ending normally keeps Python 3.11's start_server
            # callback from logging a traceback for a cancelled task (CPython gh-113538).
            pass
        except Exception:
            log.exception("scanner connection %s failed", peer)
        finally:
            self.connections.discard(task)
            self._unauthed.pop(task, None)
            self._authed.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _make_room(self) -> bool:
        """Whether a new connection may open: below the cap; or after closing the oldest one
        that has had ``TOKEN_GRACE`` seconds to send its token and has not (a reader that
        just reconnected keeps its chance against a flood of newer ones); or else the
        authenticated one silent for longest, if for ``IDLE_EVICT`` seconds or more."""
        if len(self.connections) < self.max_connections:
            return True
        now = asyncio.get_running_loop().time()
        first = next(iter(self._unauthed.items()), None)
        if first is not None and now - first[1][1] >= TOKEN_GRACE:
            oldest, (writer, _, _) = first
            del self._unauthed[oldest]
            why = "this one had not sent its token"
        else:
            idle = min(self._authed.items(), key=lambda kv: kv[1][1], default=None)
            if idle is None or now - idle[1][1] < IDLE_EVICT:
                return False
            oldest, (writer, _) = idle
            del self._authed[oldest]
            why = f"this one had sent nothing for {now - idle[1][1]:.0f} s"
        self.connections.discard(oldest)
        self.evicted += 1
        evicted = (
            "closed for a newer connection: the gate is at its limit of"
            f" {self.max_connections} scanner connections and {why}"
        )
        with contextlib.suppress(Exception):
            writer.write(msgpack.packb({"error": evicted, "status": "closed"}))
        writer.transport.abort()
        oldest.cancel()
        return True

    def _full(self) -> str:
        return (
            f"the gate is serving its limit of {self.max_connections} scanner connections:"
            " try again shortly"
        )

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        unpacker = msgpack.Unpacker(
            raw=False,
            # Text that is not UTF-8 still frames: it comes out with lone surrogates, and the
            # scan checks refuse it as a rejected answer; the connection stays.
            unicode_errors="surrogateescape",
            # A map keyed by numbers or bytes still frames: the scan checks refuse it as a
            # rejected answer naming the key, and the connection stays. A key that cannot be
            # one (an array, a map) breaks the framing: TypeError below, and it closes.
            strict_map_key=False,
            max_buffer_size=4 * MAX_FRAME,
            max_str_len=MAX_FRAME,
            max_bin_len=MAX_FRAME,
            max_array_len=10_000,
            max_map_len=1_000,
        )
        declared = DeclaredLengths(MAX_FRAME)
        client: Client | None = None
        loop = asyncio.get_running_loop()
        # One deadline for the whole handshake: a client trickling bytes of a frame it never
        # completes must not hold an unauthenticated connection open.
        auth_deadline = loop.time() + AUTH_TIMEOUT

        def send(obj: Any) -> None:
            # An answer can echo text that came as bytes that are not UTF-8 (a scan id):
            # written back as those bytes, never an error that ends the session.
            writer.write(msgpack.packb(obj, unicode_errors="surrogateescape"))

        while True:
            try:
                authed = client is not None
                timeout = None if authed else max(0.0, auth_deadline - loop.time())
                data = await asyncio.wait_for(reader.read(READ_CHUNK), timeout)
            except TimeoutError:
                send({"error": f"no auth within {AUTH_TIMEOUT:g} s", "status": "closed"})
                await writer.drain()
                return
            if not data:
                return
            this = asyncio.current_task()
            if client is not None and this is not None and this in self._authed:
                self._authed[this] = (writer, loop.time())
            # Frames complete before a framing error are still answered, then the error map.
            frames: list[Any] = []
            broken: str | None = None
            try:
                unpacker.feed(data)
                for frame in unpacker:
                    frames.append(frame)
            except (msgpack.BufferFull, ValueError, TypeError, msgpack.UnpackException) as exc:
                broken = f"unframeable stream ({type(exc).__name__}): closing"
            else:
                broken = declared.feed(data)
            # Each frame after the auth is one answer: a scan (its result), a batch (its
            # results), or a refusal; the scans of this read are decided together, in calls
            # of whole frames (``_chunks``).
            scans: list[Any] = []
            answers: list[tuple[int, int] | dict[str, Any]] = []
            spans: list[tuple[int, int]] = []  # each frame's scans, as a range of ``scans``
            for frame in frames:
                if client is None:
                    client, refusal = self._auth(frame)
                    if client is None:
                        send({"error": refusal, "status": "closed"})
                        await writer.drain()
                        return
                    send({"ok": True, "client": client.name})
                    task = asyncio.current_task()
                    if task is not None:
                        self._unauthed.pop(task, None)  # no longer the first to make room
                        self._authed[task] = (writer, loop.time())
                    continue
                batch = _batch(frame)
                if isinstance(batch, str):
                    answers.append({"error": batch, "status": "error"})
                elif batch is None:
                    answers.append((len(scans), -1))
                    spans.append((len(scans), len(scans) + 1))
                    scans.append(frame)
                else:
                    span = (len(scans), len(scans) + len(batch))
                    answers.append(span)
                    spans.append(span)
                    scans.extend(batch)
            results: list[Any] = []
            for start, end in _chunks(spans):
                chunk = scans[start:end]
                try:
                    assert client is not None  # scans are only taken after the auth frame
                    results += await self.docks.scans(chunk, client.name, client.doors)
                except GateError as exc:
                    failed = [
                        {
                            "scan_id": s.get("scan_id") if isinstance(s, dict) else None,
                            "status": "error",
                            "error": str(exc),
                        }
                        for s in chunk
                    ]
                    self.docks.count(failed)
                    results += failed
            for answer in answers:
                if isinstance(answer, dict):
                    send(answer)
                elif answer[1] < 0:
                    send(results[answer[0]])
                else:
                    send({"results": results[answer[0] : answer[1]]})
            if broken is not None:
                send({"error": broken, "status": "closed"})
                await _drain(writer)
                return
            await _drain(writer)

    def _auth(self, frame: Any) -> tuple[Client | None, str]:
        """The client of an auth frame, or None and why it is refused."""
        if (
            not isinstance(frame, dict)
            or set(frame) != {"auth"}
            or not isinstance(frame["auth"], str)
        ):
            return None, AUTH_FIRST
        client = self.by_token(frame["auth"])
        if client is None:
            return None, UNKNOWN_TOKEN
        if not may(client.role, Action.SCAN):
            return None, f"client {client.name} may not scan"
        return client, ""


class _NoAnswersTaken(Exception):
    """A client took none of its answers for ``SEND_TIMEOUT`` seconds."""


async def _drain(writer: asyncio.StreamWriter) -> None:
    """Waits until the client takes its answers; one that takes none for ``SEND_TIMEOUT``
    seconds is closed (``_NoAnswersTaken`` ends its session) rather than held open."""
    try:
        async with asyncio.timeout(SEND_TIMEOUT):
            await writer.drain()
    except TimeoutError:
        raise _NoAnswersTaken from None


def _keepalive(writer: asyncio.StreamWriter) -> None:
    """TCP keepalive on the connection, so a peer that is gone is found and its slot freed."""
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, KEEPALIVE_IDLE)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, KEEPALIVE_INTERVAL)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, KEEPALIVE_PROBES)
        # Keepalive does not probe while answers wait for an acknowledgement: this does.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, USER_TIMEOUT_MS)


def _chunks(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The ranges of a read's scans decided by one ``Docks.scans`` call each: whole frames,
    up to ``MAX_BATCH`` scans unless one frame alone holds more. A batch frame is never cut:
    a change to a shipment (a seal) falls before or after a call, never inside one
    (gate.service.slice_turns), and a seal between two parts of a frame made its later reads
    reads after the seal, held the door after its truck left."""
    chunks: list[tuple[int, int]] = []
    start = end = 0
    for first, last in spans:
        if last - start > MAX_BATCH and end > start:
            chunks.append((start, end))
            start = first
        end = last
    if end > start:
        chunks.append((start, end))
    return chunks


def _batch(frame: Any) -> list[Any] | str | None:
    """A batch frame's scans, a refusal of a bad one, or None for anything else (a scan)."""
    if not isinstance(frame, dict) or set(frame) != {"scans"}:
        return None
    scans = frame["scans"]
    if not isinstance(scans, list) or not 1 <= len(scans) <= MAX_SCANS_PER_FRAME:
        return f"scans must be a list of 1 to {MAX_SCANS_PER_FRAME} scans"
    return scans


#: msgpack's str, bin and ext headers: first byte -> (bytes of the length, bytes between the
#: length and the payload: an ext's type).
_SIZED: dict[int, tuple[int, int]] = {
    0xC4: (1, 0),  # bin 8
    0xC5: (2, 0),  # bin 16
    0xC6: (4, 0),  # bin 32
    0xC7: (1, 1),  # ext 8
    0xC8: (2, 1),  # ext 16
    0xC9: (4, 1),  # ext 32
    0xD9: (1, 0),  # str 8
    0xDA: (2, 0),  # str 16
    0xDB: (4, 0),  # str 32
}


def _sizes() -> tuple[int, ...]:
    """The whole size of each msgpack value that declares no length, by its first byte (0 for
    a str, bin or ext, whose header declares one: ``_SIZED``). An array's or map's header
    counts alone: its elements follow as values of their own. 0xc1 (never used) counts as one
    byte: the unpacker refuses it."""
    sizes = [1] * 256  # fixint, fixmap, fixarray, nil, never used, false, true, negative fixint
    for first in range(0xA0, 0xC0):
        sizes[first] = 1 + (first & 0x1F)  # fixstr
    for first in _SIZED:
        sizes[first] = 0
    more = {0xCA: 5, 0xCB: 9, 0xCC: 2, 0xCD: 3, 0xCE: 5, 0xCF: 9}  # float 32, 64; uint 8-64
    more |= {0xD0: 2, 0xD1: 3, 0xD2: 5, 0xD3: 9}  # int 8 to 64
    more |= {0xD4: 3, 0xD5: 4, 0xD6: 6, 0xD7: 10, 0xD8: 18}  # fixext 1 to 16
    more |= {0xDC: 3, 0xDD: 5, 0xDE: 3, 0xDF: 5}  # array 16, 32, map 16, 32
    for first, size in more.items():
        sizes[first] = size
    return tuple(sizes)


_SIZES = _sizes()


class DeclaredLengths:
    """Reads the msgpack headers of a stream as it arrives and finds a string, binary or
    extension declared longer than ``limit``.

    msgpack's C unpacker checks ``max_str_len`` and its kin only once the whole value has
    arrived (containers' counts it checks at their header): a 2 GiB string header alone held
    an authenticated connection waiting for the rest. This walks the headers of every read,
    passing over the payloads without keeping them, each byte once (about a microsecond per
    scan map, beside the unpacker's own two)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._skip = 0  # payload bytes still to pass over before the next header
        self._partial = b""  # a header cut short at the end of the last read

    def feed(self, data: bytes) -> str | None:
        """Why the stream must close (a value declared longer than the limit), or None."""
        buf = self._partial + data if self._partial else data
        self._partial = b""
        end = len(buf)
        at = min(self._skip, end)
        self._skip -= at
        sizes, sized, limit = _SIZES, _SIZED, self.limit
        while at < end:
            first = buf[at]
            size = sizes[first]
            if size:
                at += size
                continue
            width, extra = sized[first]
            start = at + 1 + width
            if start > end:
                break  # the length itself is cut short: kept for the next read
            length = int.from_bytes(buf[at + 1 : start], "big")
            if length > limit:
                return f"a value declared {length} bytes long is over the limit of {limit}: closing"
            at = start + extra + length
        if at > end:
            self._skip = at - end
        elif at < end:
            self._partial = buf[at:]
        return None
