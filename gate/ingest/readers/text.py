"""Plain-text scanners: one code per line, over TCP (``text-tcp``) or a serial line
(``text-serial``).

Each line is one scan of the reader's door, its ``code`` the line with blanks trimmed and
the configured GS substitute turned into GS. Lines that arrive together are decided as one
batch (``Docks.scans``). With ``reply = "json"`` the gate answers every line, in order, with one
line of JSON (the scan result of ``POST /api/v1/scans``, or for a line that never became a
scan ``{"scan_id": null, "status": "rejected", "error": ...}``), ended by the configured
terminator.

What a peer cannot do to the gate or to other scanners:

- Garbage (a code that does not decode, bytes that are not UTF-8, control characters) is a
  scan like any other, rejected by the scan path with the reason, journaled and answered.
  The lines around it are unaffected.
- An overlong line (over ``max_line`` bytes) is refused as soon as it is known to be too
  long, answered, journaled as a refused input (``request.rejected``, within the reader's
  budget: ``gate.service.refusals``) and skipped up to its terminator. The connection stays
  open: the next line is read as usual. Memory stays bounded by ``max_line``.
- A TCP client that connects and sends nothing holds one of ``max_connections`` slots until
  ``idle_timeout`` closes it; it delays nobody. Peers outside ``allow`` are closed at once.
- A listening socket that stops listening (uvloop closes it after an error accepting a
  connection, and says nothing) is found within ``LISTEN_CHECK`` (gate.ingest.listening):
  logged as an error, a critical ``reader_listener_lost`` alert, the reader's health
  ``connecting`` with the reason, and listened again (``reader_listener_restored`` then
  clears the alert); connections already open go on.

Scan ids are ``<start>-<n>``: ``start`` the adapter's start time in microseconds (hex),
``n`` counting lines, so ids never repeat across restarts of the gate. With a
``dedupe_window`` the same code read again within the window is answered ``duplicate``
and not sent (a conveyor scanner reading one label twice); by default it is off, because
two scans of a plain GTIN are two units.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from gate.config.readers import ReaderConfig, TextOptions
from gate.errors import GateError
from gate.ingest.listening import Listening
from gate.ingest.readers.base import Reader, Result, Scan, ScanSink, describe
from gate.ingest.readers.dedupe import PortalDedupe
from gate.ingest.readers.health import Backoff
from gate.ingest.readers.lines import LineSplitter, Overlong, Piece, to_code
from gate.service.clock import utc_now
from gate.service.event_shapes import reader_listener_alert

log = logging.getLogger("gate.ingest.readers.text")

READ_CHUNK = 64 * 1024
#: Seconds between two looks at a text-TCP reader's listening socket (``_while_listening``).
LISTEN_CHECK = 1.0
DOOR_FIELDS = frozenset({"door", "shipment"})


class TextReader(Reader):
    """What TCP and serial scanners share: lines in, scans out, one answer per line."""

    def __init__(self, config: ReaderConfig, sink: ScanSink) -> None:
        super().__init__(config, sink)
        if not isinstance(config.options, TextOptions):
            raise TypeError(f"reader {config.name} is not a text reader")
        self.options: TextOptions = config.options
        self._start = time.time_ns() // 1000
        self._seq = 0
        window = self.options.dedupe_window
        self.dedupe = PortalDedupe(window) if window > 0 else None

    def _next_id(self) -> str:
        self._seq += 1
        return f"{self._start:x}-{self._seq}"

    async def lines(
        self,
        stream: asyncio.StreamReader,
        writer: asyncio.StreamWriter | None,
        peer: str,
        idle_timeout: float | None,
    ) -> str:
        """Reads lines until the stream ends or stays silent ``idle_timeout`` seconds;
        says which."""
        opts = self.options
        splitter = LineSplitter(opts.terminator, opts.max_line)
        while True:
            try:
                async with asyncio.timeout(idle_timeout):
                    data = await stream.read(READ_CHUNK)
            except TimeoutError:
                return "idle"
            pieces = splitter.feed(data) if data else splitter.finish()
            if pieces:
                replies = await self._handle(pieces, peer)
                if writer is not None and replies:
                    end = opts.terminator
                    writer.write(b"".join(_line(r) + end for r in replies))
                    await writer.drain()
            if not data:
                return "closed"

    async def _handle(self, pieces: Sequence[Piece], peer: str) -> list[Result]:
        """One answer per piece that is not a blank line, in order."""
        opts = self.options
        now, mono, wall = utc_now(), time.monotonic(), utc_now().timestamp()
        answers: list[Result | int] = []  # an answer, or the index of a scan's result
        scans: list[Scan] = []
        for piece in pieces:
            if isinstance(piece, Overlong):
                self.health.read(now, mono)
                answers.append(await self._overlong(piece, peer))
                continue
            code = to_code(piece, opts.gs_substitute)
            if not code:
                continue  # a blank line: a CR LF where LF was configured, a keep-alive
            self.health.read(now, mono)
            sid = self._next_id() if self.dedupe is None else self.dedupe.admit(code, mono, wall)
            if sid is None:
                answers.append(
                    {
                        "scan_id": None,
                        "status": "duplicate",
                        "error": None,
                        "detail": f"the same code within {opts.dedupe_window:g} s",
                    }
                )
                continue
            scan: Scan = {
                "scan_id": sid,
                "reader": self.config.name,
                "door": self.config.door,
                "code": code,
            }
            if opts.code_kind is not None:
                scan["kind"] = opts.code_kind
            answers.append(len(scans))
            scans.append(scan)
        results: list[Result] = []
        if scans:
            try:
                results = await self.sink.submit(scans, self.config.actor)
            except GateError as exc:
                error = f"not stored: {exc}"
                self.health.last_error = error
                results = [
                    {"scan_id": s["scan_id"], "status": "error", "error": error} for s in scans
                ]
                if self.dedupe is not None:
                    for s in scans:
                        self.dedupe.forget(s["code"])
            else:
                self.health.counted(results)
                if self.dedupe is not None:
                    for s, r in zip(scans, results, strict=True):
                        if r.get("status") == "rejected" and r.get("field") in DOOR_FIELDS:
                            self.dedupe.refused(s["code"], s["scan_id"], mono)
        return [results[a] if isinstance(a, int) else a for a in answers]

    async def _overlong(self, piece: Overlong, peer: str) -> Result:
        limit = self.options.max_line
        error = f"line longer than {limit} bytes ({piece.seen} or more): discarded"
        self.health.refused += 1
        log.warning("reader %s: %s from %s", self.name, error, peer)
        await self.sink.refuse(
            {
                "actor": self.config.actor,
                "reader": self.name,
                "door": self.config.door,
                "peer": peer,
                "status": "rejected",
                "detail": error,
            }
        )
        return {"scan_id": None, "status": "rejected", "error": error, "field": "code"}


class TextTcpReader(TextReader):
    """A TCP listener for plain-text scanners: each connection a stream of lines."""

    def __init__(self, config: ReaderConfig, sink: ScanSink) -> None:
        super().__init__(config, sink)
        if config.host is None or config.port is None:
            raise TypeError(f"reader {config.name} has no address to listen on")
        self.host: str = config.host
        self.port: int = config.port
        self.server: asyncio.Server | None = None
        self.bound: tuple[str, int] | None = None
        self.clients: set[asyncio.Task[Any]] = set()
        #: The listening socket stopped listening and is not listening again yet.
        self.lost = False

    async def run(self) -> None:
        while True:
            await self._listen()
            await self._while_listening()

    async def _while_listening(self) -> None:
        """Returns once the listening socket no longer listens (uvloop closes it after an
        error accepting a connection, and says nothing: gate.ingest.listening), its server
        closed, so that ``run`` listens again; the connections open go on."""
        assert self.server is not None
        watched = [Listening.of(s) for s in self.server.sockets]
        while all(w.alive() for w in watched):
            await asyncio.sleep(LISTEN_CHECK)
        error = f"stopped listening on {self.config.address}"
        text = f"Reader {self.name} (door {self.config.door}) {error}: listening again"
        log.error("%s", text)
        self.sink.alert(reader_listener_alert(self.name, self.config.door, True, text))
        self.health.set_state("connecting", utc_now(), error)
        self.lost = True
        self.server.close()
        self.server = None

    async def _listen(self) -> None:
        opts = self.options
        backoff = Backoff(opts.retry_initial, opts.retry_max)
        while self.server is None:
            self.health.set_state("connecting", utc_now())
            try:
                self.server = await asyncio.start_server(
                    self._client, self.host, self.port, limit=READ_CHUNK
                )
            except OSError as exc:
                wait = backoff.next()
                error = f"cannot listen on {self.config.address}: {exc.strerror or exc}"
                self.health.failed(error, utc_now(), wait)
                log.warning("reader %s: %s; retrying in %.1f s", self.name, error, wait)
                await asyncio.sleep(wait)
        host, port = self.server.sockets[0].getsockname()[:2]
        self.bound = (host, port)
        self.health.info = f"listening on {host}:{port}"
        self.health.set_state("listening", utc_now())
        if self.lost:
            self.lost = False
            text = f"Reader {self.name} (door {self.config.door}) listens again on {host}:{port}"
            log.warning("%s", text)
            self.sink.alert(reader_listener_alert(self.name, self.config.door, False, text))
        if not opts.allow:
            log.warning(
                "reader %s: any peer that reaches %s:%s may scan into door %s (set allow)",
                self.name,
                host,
                port,
                self.config.door,
            )

    async def close(self) -> None:
        if self.lost:  # stopped while lost: nothing is left to listen again
            self.lost = False
            text = f"Reader {self.name} (door {self.config.door}) stopped"
            self.sink.alert(reader_listener_alert(self.name, self.config.door, False, text))
        if self.server is not None:
            self.server.close()
        for task in list(self.clients):
            task.cancel()
        for task in list(self.clients):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.server is not None:
            await self.server.wait_closed()
            self.server = None

    def _allowed(self, host: str) -> bool:
        if not self.options.allow:
            return True
        try:
            ip = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in net for net in self.options.allow)

    async def _client(self, stream: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = f"{peername[0]}:{peername[1]}" if peername else "?"
        task = asyncio.current_task()
        try:
            if not self._allowed(str(peername[0]) if peername else ""):
                self.health.refused += 1
                log.warning("reader %s: refused %s (not in allow)", self.name, peer)
                return
            if len(self.clients) >= self.options.max_connections or task is None:
                self.health.refused += 1
                log.warning("reader %s: refused %s (max_connections)", self.name, peer)
                if self.options.reply == "json":
                    busy = {"scan_id": None, "status": "rejected", "error": "too many connections"}
                    writer.write(_line(busy) + self.options.terminator)
                return
            await self._serve(task, stream, writer, peer)
        except asyncio.CancelledError:
            # Only close() cancels a connection. Ending normally keeps Python 3.11's
            # start_server callback from logging a traceback for it (CPython gh-113538).
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(
        self,
        task: asyncio.Task[Any],
        stream: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        peer: str,
    ) -> None:
        self.clients.add(task)
        self.health.clients = len(self.clients)
        self.health.set_state("connected", utc_now())
        log.info("reader %s: scanner %s connected", self.name, peer)
        reply = writer if self.options.reply == "json" else None
        how = "failed"
        try:
            how = await self.lines(stream, reply, peer, self.options.idle_timeout)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            how = describe(exc)
        except Exception:
            log.exception("reader %s: connection %s failed", self.name, peer)
        finally:
            self.clients.discard(task)
            self.health.clients = len(self.clients)
            if not self.clients and self.server is not None:
                self.health.set_state("listening", utc_now())
            log.info("reader %s: scanner %s gone (%s)", self.name, peer, how)


class TextSerialReader(TextReader):
    """A plain-text scanner on a serial line (pyserial-asyncio-fast; any pyserial URL)."""

    async def run(self) -> None:
        opts = self.options
        await self.retry_forever(self._session, Backoff(opts.retry_initial, opts.retry_max))

    async def _session(self) -> None:
        import serial_asyncio_fast

        opts = self.options
        stream, writer = await serial_asyncio_fast.open_serial_connection(
            loop=asyncio.get_running_loop(),
            limit=READ_CHUNK,
            url=self.config.address,
            baudrate=opts.baudrate,
            bytesize=opts.bytesize,
            parity=opts.parity,
            stopbits=opts.stopbits,
        )
        try:
            self.connected(f"{opts.baudrate} baud, {opts.bytesize}{opts.parity}{opts.stopbits:g}")
            reply = writer if opts.reply == "json" else None
            await self.lines(stream, reply, self.config.address, None)
        finally:
            writer.close()


def _line(result: Result) -> bytes:
    return json.dumps(result, separators=(",", ":"), default=str).encode()
