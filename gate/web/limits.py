"""The HTTP server's guards against clients that hold resources: deadlines and caps.

A client that opens connections and never finishes a request (slowloris), or trickles a body,
costs the gate a file descriptor each; enough of them and the gate cannot open its database
or answer its own readiness probe. So:

- A request head must arrive whole within ``header_seconds`` of the connection opening (or of
  the previous answer on a kept-alive connection); otherwise the connection is closed. This is
  aiohttp's keep-alive timer, which already runs from the moment a connection opens.
- A body must arrive whole within ``body_seconds`` once its head is in (408, see
  ``gate.web.bodies``).
- An answer must be taken by the client within ``send_seconds`` once the handler has it;
  otherwise the connection is closed. A client that pipelines requests and reads nothing
  (no token needed: the login page) fills its socket buffers, and the gate's write then
  waits inside the request: without this deadline, for ever, and a few such connections
  per slot of the cap refused every new one (attack17). The scanner socket does the same
  (``SEND_TIMEOUT``).
- At most ``max_connections`` connections are open at once. The default cap is half of what
  the process's file limit leaves after a burst of accepts; the rest is for the database,
  tables, readers and the scanner socket. A new connection at the cap closes the oldest
  connection that is not inside a request (one still waiting for its request head, or idle
  between requests): slow heads cannot starve the dock's real clients, whose heads arrive at
  once. Only when every open connection is inside a request is the new one answered at once
  with a 503 problem (``Retry-After``, ``Connection: close``) and closed: a clear answer
  instead of a timeout.
- At most ``max_event_streams`` event streams (``GET /api/v1/events``) are open at once;
  another is a 503 problem.

Each limit met is logged once per episode (``gate.web.alarms``), never once per request.
These are settings of the server, not of the dock, so they are module defaults here rather
than configuration keys; ``create_app`` takes a ``ServerLimits`` for tests and special cases.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import resource
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, cast

from aiohttp import web
from aiohttp.http_exceptions import InvalidURLError, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from gate.web.alarms import ResourceAlarm
from gate.web.problems import PROBLEM_CONTENT_TYPE, Problem, internal

log = logging.getLogger("gate.web.limits")

HEADER_SECONDS = 15.0
BODY_SECONDS = 30.0
SEND_SECONDS = 30.0
LINGER_SECONDS = 2.0
MAX_EVENT_STREAMS = 64
#: Connections over the cap that may be in the middle of being refused (a quarter of the cap,
#: at most this); beyond it they are closed without an answer: a flood must not turn the
#: refusals themselves into the leak of file descriptors.
MAX_REFUSING = 64
#: The listening socket's backlog, which is also how many connections asyncio accepts at once.
ACCEPT_BURST = 128


def default_max_connections() -> int:
    """Half of what the process's soft file limit leaves after one burst of accepts, between
    8 and 1024.

    asyncio accepts up to ``ACCEPT_BURST`` connections in one go, and a connection closed to
    make room gives its descriptor back only after the burst: the cap must leave that many
    free, besides the refusals and the gate's own files.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1024
    return max(8, min(1024, (soft - ACCEPT_BURST) // 2))


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Deadlines (seconds) and caps of the HTTP server; see the module's essay."""

    header_seconds: float = HEADER_SECONDS
    body_seconds: float = BODY_SECONDS
    send_seconds: float = SEND_SECONDS
    linger_seconds: float = LINGER_SECONDS
    max_connections: int = 0  # 0: default_max_connections()
    max_event_streams: int = MAX_EVENT_STREAMS

    def connections(self) -> int:
        return self.max_connections or default_max_connections()

    def handler_args(self) -> dict[str, Any]:
        """Keyword arguments for aiohttp's request handler (``Application(handler_args=)``)."""
        return {
            # Runs from connection open and from each answer: a head not whole by then closes
            # the connection (and an idle kept-alive one).
            "keepalive_timeout": self.header_seconds,
            # After an answer to a request whose body was not read (408, 413), read and drop
            # what still comes for at most this long, then close.
            "lingering_time": self.linger_seconds,
        }


class Slots:
    """A counted resource: ``take`` a slot or be told there is none. ``per_holder`` caps
    what one holder (a client's name) takes, so one token cannot take every slot."""

    def __init__(self, limit: int, per_holder: int | None = None) -> None:
        self.limit = limit
        self.per_holder = per_holder
        self.taken = 0
        self._held: dict[str, int] = {}

    def take(self, holder: str | None = None) -> bool:
        """Takes a slot; False when there is none (``refusal`` says why)."""
        return self.refusal(holder, take=True) is None

    def refusal(self, holder: str | None = None, *, take: bool = False) -> str | None:
        """Why ``holder`` would get no slot now: ``"full"`` (every slot is taken) or
        ``"holder"`` (it holds its share already); None when it would, and then, with
        ``take``, the slot is taken."""
        if self.taken >= self.limit:
            return "full"
        if holder is not None and self.per_holder is not None:
            if self._held.get(holder, 0) >= self.per_holder:
                return "holder"
            if take:
                self._held[holder] = self._held.get(holder, 0) + 1
        if take:
            self.taken += 1
        return None

    def release(self, holder: str | None = None) -> None:
        self.taken = max(0, self.taken - 1)
        if holder is not None and holder in self._held:
            self._held[holder] -= 1
            if not self._held[holder]:
                del self._held[holder]


class SharedProbe:
    """A check that answers every caller from one run for ``every`` seconds: ``/readyz``
    needs no token and its database check commits a write, so a flood of it must not become
    a flood of commits (the attack made 1,900 a second). A run that answered False is not
    kept, so that readiness comes back as soon as the database takes writes again (the
    caller answers a known lock without a probe: ``Store.locked_out``)."""

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self._last: tuple[float, asyncio.Future[bool]] | None = None

    async def __call__(self, probe: Callable[[], Awaitable[bool]]) -> bool:
        loop = asyncio.get_running_loop()
        kept = self._last
        if kept is None or loop.time() - kept[0] >= self.every or _not_true(kept[1]):
            kept = (loop.time(), asyncio.ensure_future(probe()))
            self._last = kept
        return await asyncio.shield(kept[1])


def _not_true(future: asyncio.Future[bool]) -> bool:
    """Whether ``future`` has ended other than with True (False, an error, cancelled)."""
    if not future.done():
        return False
    return future.cancelled() or future.exception() is not None or future.result() is not True


def busy_problem(kind: str, detail: str) -> Problem:
    """The 503 answer for a limit met."""
    return Problem(
        503,
        kind,
        "Service busy",
        detail,
        headers={"Retry-After": "1"},
    )


def _raw_response(problem: Problem) -> bytes:
    body = json.dumps(problem.document()).encode()
    head = [f"HTTP/1.1 {problem.status} Service Unavailable"]
    head += [f"{k}: {v}" for k, v in problem.headers.items()]
    head += ["Connection: close"]
    head += [f"Content-Type: {PROBLEM_CONTENT_TYPE}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class _Refusal(asyncio.Protocol):
    """A connection over the cap: the 503 is written at once, the connection half-closed,
    and whatever the client still sends read and dropped until it closes or ``linger``
    passes (closing with unread data would reset the connection and could lose the answer)."""

    def __init__(self, answer: bytes, linger: float, done: Slots) -> None:
        self._answer = answer
        self._linger = linger
        self._done = done
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A cast, not an isinstance check: uvloop's transports do not derive from asyncio's
        # classes (the check failed there, and the refused connection was never answered
        # nor closed). A stream server's transport is a Transport either way.
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        transport.write(self._answer)
        with contextlib.suppress(OSError, RuntimeError):
            transport.write_eof()
        self._timer = asyncio.get_running_loop().call_later(self._linger, transport.close)

    def data_received(self, data: bytes) -> None:
        pass  # the request is already answered

    def eof_received(self) -> bool:
        if self._transport is not None:
            self._transport.close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._done.release()


class InRequest:
    """The connections now inside a request: from the moment the app has its head until the
    answer is sent. The others are waiting for a head (or idle), and may be closed to make
    room (``ConnectionCap``)."""

    def __init__(self, send_seconds: float = SEND_SECONDS) -> None:
        self.send_seconds = send_seconds
        # A plain set (aiohttp's handlers take no weak references); the middleware's
        # ``finally`` takes each one out again.
        self._protocols: set[object] = set()

    def __contains__(self, protocol: object) -> bool:
        return protocol in self._protocols

    @web.middleware
    async def middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        """The outermost middleware: marks the connection while a request is inside."""
        protocol = request.protocol
        self._protocols.add(protocol)
        try:
            response = await handler(request)
            # Sent here rather than by aiohttp after the middlewares return, so that the
            # connection counts as inside a request until its answer is out. aiohttp's own
            # send afterwards finds it done; a client gone is its business, as before. Not a
            # file (the page's script, style and icon): FileResponse.prepare sends the file
            # each time it is called, so aiohttp's second call raised (an ERROR per file).
            if not isinstance(response, web.FileResponse):
                try:
                    async with asyncio.timeout(self.send_seconds):
                        await response.prepare(request)
                        await response.write_eof()
                except ConnectionError:
                    pass
                except TimeoutError:
                    # Not taken in time (ServerLimits.send_seconds): the connection goes, and
                    # with it the requests it still holds. aiohttp's own send finds it closed.
                    log.debug("an answer not taken in %g s: connection closed", self.send_seconds)
                    if request.transport is not None:
                        request.transport.abort()
            return response
        finally:
            self._protocols.discard(protocol)


class ProblemHandler(RequestHandler):
    """aiohttp's connection handler, whose own error answers are problem documents like every
    other error of the gate (DESIGN.md 4): a request that cannot be parsed as HTTP (a bad
    request line, a header line over the limit, broken chunking) never reaches the app and its
    middleware, and aiohttp would answer it in plain text, echoing the bytes it could not
    parse (a header line can hold a credential). The detail names what was wrong, never the
    bytes.

    Such a request is the client's fault and costs one debug line, as a client gone mid-request
    does (``problem_middleware``): aiohttp logged each at ERROR with a traceback and the bytes
    (attack17: a broken ``Authorization`` or ``Cookie`` line, or a request line with
    ``?token=``, went to the log as it came, and anyone could write 65 KB of log with an 8 KB
    request). A failure of the gate's own (a 5xx) is still logged by aiohttp."""

    __slots__ = ()

    def evict(self) -> None:
        """Closes this connection at once, to make room for a new one (``ConnectionCap``; it
        is not inside a request). Aborted and its task cancelled, not only closed: a close
        waits until what is still unsent is taken, and aiohttp lists a connection until its
        task ends; a client that took nothing of a static file (sent after the middleware,
        so not inside a request) kept its slot that way, closed but listed, for ever, and a
        few such clients had every new connection answered 503 (attack17)."""
        transport, task = self.transport, self._task_handler
        if task is not None:
            # First, so that it unwinds (a file's send) before the transport's connection_lost
            # runs: asyncio's fails on a native sendfile still waiting (InvalidStateError).
            task.cancel()
        self.force_close()
        if transport is not None:
            transport.abort()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:
            super().handle_error(request, status, exc, message)  # logs; raises if answered
            problem = internal()
        else:
            reason = malformed_reason(exc, message, status)
            log.debug("malformed HTTP request from %s: %s", request.remote, reason)
            if request.writer.output_size > 0:  # as aiohttp: part of an answer is out
                raise ConnectionError("an answer was begun: no problem document can follow")
            problem = Problem(
                status,
                "malformed-request",
                "Malformed request",
                f"the request is not valid HTTP: {reason}",
            )
        response = web.Response(
            status=problem.status,
            text=json.dumps(problem.document()),
            content_type=PROBLEM_CONTENT_TYPE,
        )
        response.force_close()
        return response


def malformed_reason(exc: BaseException | None, message: str | None, status: int) -> str:
    """What was wrong with a request aiohttp could not parse, in aiohttp's words but without
    the request's bytes: llhttp's message is ``<what>:``, a blank line and the bytes (a line
    too long: ``<what>: <the bytes>``), and a bad URL's message is the URL itself (a
    ``CONNECT`` authority, an absolute URL: it was echoed). Else the status's phrase."""
    text = message or ""
    head, colon, rest = text.partition(":")
    if isinstance(exc, InvalidURLError):
        what = "invalid URL"
    elif colon and (rest.startswith("\n") or isinstance(exc, LineTooLong)):
        what = head
    elif not colon and not any(quote in text for quote in "'\"`"):
        what = text  # a fixed sentence ("Too many headers received"); bytes come quoted
    else:
        what = ""
    lines = what.strip().splitlines()
    return lines[0][:120] if lines else HTTPStatus(status).phrase


class ConnectionCap:
    """The protocol factory of the listening socket: aiohttp's server below the cap; at the
    cap, the oldest connection not inside a request is closed for the new one, or, when all
    are inside one, a ``_Refusal``. Everything else is the wrapped server's."""

    def __init__(
        self,
        server: web.Server,
        limits: ServerLimits,
        alarm: ResourceAlarm,
        in_request: InRequest,
    ) -> None:
        self.server = server
        self.limit = limits.connections()
        self.linger = limits.linger_seconds
        self.alarm = alarm
        self.in_request = in_request
        self.refusing = Slots(max(1, min(MAX_REFUSING, self.limit // 4)))
        self._answer = _raw_response(
            busy_problem(
                "too-many-connections",
                f"the gate is serving its limit of {self.limit} connections: try again shortly",
            )
        )

    def __call__(self) -> asyncio.BaseProtocol:
        """The new connection's protocol. Never raises: on uvloop's loop a protocol factory
        that raises leaves the accepted connection with libuv, which then stops accepting on
        that listening socket for good while it still listens (the listener watch cannot
        see it); a failure here drops this one connection instead, logged."""
        try:
            return self._protocol()
        except Exception as exc:
            if not self.alarm.active("protocol"):  # the traceback once an episode
                log.exception("a new HTTP connection could not be served: dropped")
            self.alarm.raised("protocol", f"new HTTP connections dropped: {exc!r}")
            return _Dropped()

    def _protocol(self) -> asyncio.BaseProtocol:
        connections = self.server.connections
        if len(connections) < self.limit:
            self.alarm.cleared("connections")
            return self._handler()
        # Oldest first (the server keeps them in the order they came). One already closed
        # (no transport) stays listed until its task ends: closing it again makes no room.
        idle = next(
            (c for c in connections if c.transport is not None and c not in self.in_request),
            None,
        )
        if idle is not None:
            self.alarm.raised(
                "connections",
                f"{self.limit} HTTP connections open, the cap: closing the oldest waiting "
                "for a request to make room",
            )
            if isinstance(idle, ProblemHandler):
                idle.evict()
            else:
                idle.force_close()
            return self._handler()
        self.alarm.raised(
            "connections",
            f"{self.limit} HTTP connections inside requests, the cap: new ones are answered 503",
        )
        if self.refusing.take():
            return _Refusal(self._answer, self.linger, self.refusing)
        return _Dropped()

    def _handler(self) -> asyncio.BaseProtocol:
        """What ``self.server()`` makes, its errors answered as problem documents: aiohttp's
        handler becomes a ``ProblemHandler`` (the same slots, only ``handle_error`` differs),
        so the server's own construction, with its arguments, is kept."""
        made: asyncio.BaseProtocol = self.server()
        if type(made) is RequestHandler:
            made.__class__ = ProblemHandler
        return made

    def __getattr__(self, name: str) -> Any:
        return getattr(self.server, name)


class _Dropped(asyncio.Protocol):
    """A connection over the cap while too many are already being refused: closed at once."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class GateRunner(web.AppRunner):
    """An ``AppRunner`` whose listening sockets cap their connections (``ServerLimits``)."""

    def __init__(
        self,
        app: web.Application,
        limits: ServerLimits,
        alarm: ResourceAlarm,
        in_request: InRequest,
        **kwargs: Any,
    ) -> None:
        super().__init__(app, **kwargs)
        self.limits = limits
        self.alarm = alarm
        self.in_request = in_request
        self.cap: ConnectionCap | None = None

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        self.cap = ConnectionCap(server, self.limits, self.alarm, self.in_request)
        # The sites take the runner's server as their protocol factory and the runner calls
        # its shutdown methods: the cap stands in for it and passes those on.
        return self.cap  # type: ignore[return-value]
