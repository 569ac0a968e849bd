"""An LLRP client of a fixed RFID reader (``kind = "llrp"``), on llrpkit (MIT).

One session, as LLRP has it: the gate connects to the reader (TCP 5084) and waits for its
ConnectionAttemptEvent; reads its capabilities (and enables the Impinj extensions when the
reader is an Impinj); asks for a KEEPALIVE every ``keepalive`` seconds (llrpkit answers
each with KEEPALIVE_ACK, so the reader can tell a dead client and free its one client
slot); then adds, enables and starts a ROSpec that inventories the configured antennas
until stopped, reporting each tag read (EPC, antenna, peak RSSI, first-seen time). When the
session ends, the ROSpec is stopped and deleted and the connection closed politely.

A session ends when the connection does: the reader closes it, the stream breaks, or the
reader falls silent. Silence is not proof of life: when neither a tag nor anything else
has come for two keepalive periods, the gate asks the reader for its keepalive setting;
no answer within ``response_timeout`` ends the session. Then the gate reconnects with
exponential backoff and jitter, for as long as it runs; meanwhile the reader shows as
disconnected, with the reason, on ``GET /api/v1/readers`` and in the metrics.

A read weaker than the antenna's ``min_rssi`` is dropped first (counted per antenna in the
reader's health). When LLRP readers serve more than one door, every read is also reported to
the fleet's :class:`~gate.ingest.readers.crossread.CrossReads`, and a tag's new scan waits
``cross_read_hold`` seconds before it is sent: it is sent only if this door read the tag
strongest (or has counted it already); otherwise it is a cross-read, counted in the health.

With ``gpi_port`` set, a sensor on that GPI port opens and closes the read window
(:mod:`gate.ingest.readers.read_window`): reads outside a window are no scans (the
cross-reads still hear them: a pallet parked in a door's field is that door's), a tag that
stayed in the field after filling a window fills no later one (parked; one in the field as
the session started fills one only once the gate answers that it had not counted it), and a
window that closed with no read holds the door until an operator acknowledges it
(:mod:`gate.service.door_holds`); so does the session being lost (or never made at the start)
while a shipment is at the door: nothing is read meanwhile.

Reads go through the portal window (:mod:`gate.ingest.readers.dedupe`) and become scans of the
reader's door, ``code`` the EPC in hex with ``kind = "epc"``, ``ts`` the reader's
first-seen time. They are sent in the background (a :class:`~gate.ingest.readers.base.Forwarder`)
so the reader's stream is never held up by a commit; a batch the gate refuses waits and is
sent again under the same scan ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from typing import Any

import llrpkit
from llrpkit.exceptions import LLRPConnectionError
from llrpkit.protocol import enums, messages

from gate.config.readers import LlrpOptions, ReaderConfig
from gate.core.facts import require_instant
from gate.core.identifiers import decode
from gate.errors import InvalidCode
from gate.ingest.readers.base import Forwarder, Reader, Result, Scan, ScanSink
from gate.ingest.readers.crossread import CrossReads
from gate.ingest.readers.dedupe import PortalDedupe
from gate.ingest.readers.health import Backoff
from gate.ingest.readers.read_window import ReadWindow
from gate.service.clock import utc_now

log = logging.getLogger("gate.ingest.readers.llrp")

#: Scans the door refused for its own sake: the tag may be sent again later.
DOOR_FIELDS = frozenset({"door", "shipment"})
CLOSE_TIMEOUT = 3.0
#: How long past a cross-read's hold a closing read window waits for its decision.
_DECISION_SLACK = 0.05
#: How long a closing read window waits for the gate's answer about a tag that was in the
#: field as the session started (counted already: parked; else it fills the window).
ANSWER_WAIT = 2.0
#: The most of a reader's firmware version kept (LLRP carries up to 64 KiB of it; it is
#: logged at each connect and shown on the API).
MAX_FIRMWARE = 100
#: Seconds an inventory must run without an error (or read a tag) before the portal counts as
#: up again: a reader that takes its sensor and refuses the inventory (START_ROSPEC refused:
#: another client's ROSpec, a setting it will not take) never guarded its door, and each
#: attempt was an outage of its own, a window, a record and a critical alert each (review22).
#: A refusal comes within milliseconds; one slower than this costs one window more.
INVENTORY_SETTLE = 1.0


def _countable(epc: str) -> bool:
    """Whether the gate can count the tag ``epc`` (hex): a GS1 EPC it decodes. Decoding is
    cached, as the gate's own decoding of the scan is."""
    try:
        decode(epc, "epc")
    except InvalidCode:
        return False
    return True


class LlrpReader(Reader):
    """A fixed RFID reader spoken to over LLRP."""

    def __init__(
        self, config: ReaderConfig, sink: ScanSink, cross: CrossReads | None = None
    ) -> None:
        super().__init__(config, sink)
        if not isinstance(config.options, LlrpOptions) or config.host is None:
            raise TypeError(f"reader {config.name} is not an LLRP reader")
        self.options: LlrpOptions = config.options
        self.host: str = config.host
        self.port: int = config.port or 5084
        self.dedupe = PortalDedupe(self.options.dedupe_window, self.options.rejected_retry)
        self.forwarder = Forwarder(
            sink,
            config.actor,
            self.health,
            max_pending=self.options.max_pending,
            backoff=Backoff(0.05, max(1.0, self.options.retry_max)),
            on_results=self._settled,
            on_dropped=self.dedupe.forget,
        )
        self.session: llrpkit.Reader | None = None  # the live session's reader, if any
        self._last_heard = 0.0
        self._reading = asyncio.Event()  # a tag read in this session (``INVENTORY_SETTLE``)
        self.cross = cross if self.options.cross_read_hold > 0 else None
        self._holds: set[asyncio.TimerHandle] = set()
        self.window = (
            ReadWindow(self.options.window_tail, gone=self.options.dedupe_window)
            if self.options.gpi_port
            else None
        )
        self.guards_door = self.window is not None
        #: Scan id -> the window its read fell in, for tags in the field as the session
        #: started: the gate's answer says whether it fills it (``ReadWindow.resolve``).
        self._unknown: dict[str, int] = {}

    async def run(self) -> None:
        self.forwarder.start()
        backoff = Backoff(self.options.retry_initial, self.options.retry_max)
        await self.retry_forever(self._session, backoff)

    async def close(self) -> None:
        for handle in self._holds:
            handle.cancel()  # tags not yet decided: their next read starts a new episode
        self._holds.clear()
        await self.forwarder.close()

    # --- one session --------------------------------------------------------------------------

    async def _session(self) -> None:
        opts = self.options
        reader = llrpkit.Reader(
            self.host,
            self.port,
            response_timeout=opts.response_timeout,
            connect_timeout=opts.connect_timeout,
            enable_impinj_extensions=opts.impinj_extensions,
        )
        try:
            await reader.connect()
            if opts.keepalive:
                await reader.set_keepalive(round(opts.keepalive * 1000))
            self._last_heard = time.monotonic()
            self.session = reader
            self.connected(
                f"model {reader.model_number}, firmware {reader.firmware[:MAX_FIRMWARE]!r}, "
                f"{reader.max_antennas} antennas"
                + (", Impinj extensions" if reader.impinj_extensions_enabled else "")
            )
            if self.window is not None:
                # Tags in the field as the session starts were not seen to arrive (a gate
                # restarted beside a parked pallet): unknown until the gate answers.
                self.window.unknown_until = time.monotonic() + self.options.dedupe_window
            self._reading = asyncio.Event()  # set by this session's first tag
            async with asyncio.TaskGroup() as group:
                group.create_task(self._inventory(reader))
                if self.window is not None:
                    group.create_task(self._sensor(reader))
                if opts.keepalive:
                    group.create_task(self._watch(reader))
        except Exception:
            if self.session is not None:
                # Its door is unguarded from now, not once the polite close below has given
                # up on a reader that is gone (CLOSE_TIMEOUT): held first (review20).
                await self._went_down()
            raise
        finally:
            self.session = None
            # Polite close (CLOSE_CONNECTION), bounded: a reader that is gone cannot answer.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    await reader.close()

    async def _inventory(self, reader: llrpkit.Reader) -> None:
        opts = self.options
        tags = reader.inventory(
            antennas=opts.antennas,
            session=opts.session,
            search_mode=opts.search_mode,
            tx_power_dbm=opts.tx_power_dbm,
            tag_population=opts.tag_population,
        )
        # aclosing: the stream's own cleanup (STOP_ROSPEC, DELETE_ROSPEC) runs however the
        # session ends.
        async with contextlib.aclosing(tags):
            async for tag in tags:
                self._read(tag)
        raise LLRPConnectionError("the reader ended the inventory")

    async def _sensor(self, reader: llrpkit.Reader) -> None:
        """Follows the sensor's GPI edges: opens and closes the read window, and holds the
        door when a window settles empty."""
        window, port = self.window, self.options.gpi_port
        assert window is not None and port is not None
        await reader.set_gpi_enabled(port, True)
        # The sensor may have changed while no session was up: start from its level now.
        level = (await reader.get_gpio()).gpis.get(port)
        if level in ("high", "low"):
            if (level == "high") == self.options.gpi_active_high:
                if window.open(time.monotonic()):
                    await self._empty_window()
            else:
                window.close(time.monotonic())
        # Up again only once the inventory runs too (``INVENTORY_SETTLE``): a refused one
        # ends the session first, and this task with it, so the outage goes on as one.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(INVENTORY_SETTLE):
                await self._reading.wait()
        self.guarding()
        edges = reader.client.gpi_edges
        while True:
            due = window.due(time.monotonic())
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation,
                # and this task must end with its session.
                async with asyncio.timeout(1.0 if due is None else due):
                    edge = await edges.get()
            except TimeoutError:
                if window.settle(time.monotonic()):
                    await self._empty_window()
                if not reader.client.connected:
                    raise LLRPConnectionError("the reader closed the connection") from None
                continue
            if edge.port != port:
                continue
            self._last_heard = time.monotonic()
            if edge.high == self.options.gpi_active_high:
                if window.open(time.monotonic()):
                    await self._empty_window()
            else:
                window.close(time.monotonic())

    async def _empty_window(self) -> None:
        log.warning("%s: goods passed without a readable tag", self.name)
        try:
            await self.sink.empty_window(self.config.door, self.name)
        except Exception as exc:  # the hold is in memory before any write: never lost here
            log.error("%s: the door's hold could not be stored yet: %s", self.name, exc)

    async def _watch(self, reader: llrpkit.Reader) -> None:
        """Ends the session when the reader has been silent for two keepalive periods and
        does not answer a request either."""
        period = self.options.keepalive
        probe = messages.GET_READER_CONFIG(
            antenna_id=0,
            requested_data=enums.GetReaderConfigRequestedData.KeepaliveSpec,
            gpi_port_num=0,
            gpo_port_num=0,
        )
        while True:
            await asyncio.sleep(period)
            if time.monotonic() - self._last_heard < 2 * period:
                continue
            try:
                await reader.client.transact(probe, timeout=self.options.response_timeout)
            except Exception:
                # Its door held now: the session's end waits for the inventory's cleanup and
                # the polite close, each a response timeout or more from a reader that is gone.
                await self._went_down()
                raise
            self._last_heard = time.monotonic()

    # --- reads to scans ---------------------------------------------------------------------

    def _read(self, tag: llrpkit.TagReport) -> None:
        mono = time.monotonic()
        self._last_heard = mono
        self._reading.set()
        health = self.health
        health.read(utc_now(), mono)
        if tag.antenna is not None:
            health.antennas[tag.antenna] = health.antennas.get(tag.antenna, 0) + 1
        epc = tag.epc.hex().upper()
        seen = _reader_time(tag.first_seen_us)
        health.last_tag = {
            "epc": epc,
            "antenna": tag.antenna,
            "rssi_dbm": tag.rssi_dbm,
            "seen": seen,
        }
        if not epc:
            health.refused += 1  # a tag with an empty EPC names nothing
            return
        floor = self.options.rssi_floor(tag.antenna)
        if floor is not None and tag.rssi_dbm is not None and tag.rssi_dbm < floor:
            antenna = tag.antenna or 0
            health.below_min_rssi[antenna] = health.below_min_rssi.get(antenna, 0) + 1
            return
        window, cross, door = self.window, self.cross, self.config.door
        if cross is not None:
            # Every read, in a window or not (review15): a pallet parked in this door's field
            # is no scan here, but it is this door's, not a neighbour's that hears it weakly.
            cross.seen(epc, door, tag.rssi_dbm, mono)
        readable = window is not None and _countable(epc)
        tracked = epc if readable else None  # a countable tag's stay: parked or not
        # With cross-reads decided, a read fills the window once it counts here (below).
        if window is not None and not window.read(
            mono, readable=readable and cross is None, tag=tracked
        ):
            return  # no goods passing: a tag parked in the field is not loaded
        if window is not None and readable and cross is not None and cross.claimed_by(epc) == door:
            window.credit(window.windows, epc)
        unknown = None  # the window a tag in the field as the session started fell in
        if window is not None and readable and window.unknown(epc):
            unknown = window.windows
            window.wait(mono + self.options.cross_read_hold + ANSWER_WAIT)
        sid = self.dedupe.admit(epc, mono, utc_now().timestamp())
        if sid is None:
            return
        if unknown is not None:
            self._unknown[sid] = unknown
        scan: Scan = {
            "scan_id": sid,
            "reader": self.config.name,
            "door": self.config.door,
            "code": epc,
            "kind": "epc",
        }
        if seen is not None:
            scan["ts"] = seen
        if cross is None:
            self.forwarder.put(epc, scan)
            return
        hold = self.options.cross_read_hold
        filling = None
        if window is not None and readable:
            filling = window.windows  # the window this read fell in, credited if it counts
            window.wait(mono + hold + _DECISION_SLACK)
        loop = asyncio.get_running_loop()
        handle = loop.call_later(hold, lambda: self._decide(epc, scan, filling))
        self._holds.add(handle)

    def _decide(self, epc: str, scan: Scan, filling: int | None = None) -> None:
        """After the hold: send the scan if the tag is this door's (and fill the read window
        number ``filling`` with it), else count a cross-read."""
        self._holds = {h for h in self._holds if not h.cancelled() and h.when() > _now()}
        assert self.cross is not None
        verdict = self.cross.decide(epc, self.config.door, time.monotonic())
        if verdict.counts:
            if filling is not None and self.window is not None:
                self.window.credit(filling, epc)
            self.forwarder.put(epc, scan)
            return
        self.health.cross_reads += 1
        self.health.last_cross_read = {
            "epc": epc,
            "rssi_dbm": verdict.own_rssi,
            "counted_at": verdict.winner,
            "counted_rssi_dbm": verdict.winner_rssi,
            "at": utc_now().isoformat(),
        }
        log.debug("%s: %s is a cross-read (counted at %s)", self.name, epc, verdict.winner)

    def _settled(self, batch: list[tuple[str, Scan]], results: list[Result]) -> None:
        now = time.monotonic()
        for (epc, scan), result in zip(batch, results, strict=True):
            number = self._unknown.pop(scan["scan_id"], None)
            if number is not None and self.window is not None:
                # Counted already (a re-read adds nothing, or the scan id was stored before the
                # restart: a duplicate): the tag was parked here before.
                status = result.get("status")
                before = status == "duplicate" or (
                    status == "accepted" and not result.get("counted")
                )
                self.window.resolve(epc, number, counted_before=before)
            if result.get("status") == "rejected":
                log.debug("%s: %s refused: %s", self.name, epc, result.get("error"))
                if result.get("field") in DOOR_FIELDS:
                    self.dedupe.refused(epc, scan["scan_id"], now)

    def extra(self) -> dict[str, Any]:
        return {
            "pending": len(self.forwarder.pending),
            "in_window": len(self.dedupe),
            "min_rssi": {str(a) if a else "*": dbm for a, dbm in self.options.min_rssi},
            "cross_read_hold": self.options.cross_read_hold if self.cross else None,
            "read_window": None if self.window is None else self.window.doc(),
        }


def _now() -> float:
    return asyncio.get_running_loop().time()


def _reader_time(microseconds: int | None) -> str | None:
    """The reader's UTC timestamp as RFC 3339, or None when it has none or one the gate cannot
    hold (``require_instant``): a scan with such a ``ts`` is rejected, not sent again, so a
    reader whose clock said the year 9258 had its tags read and never counted (attack20)."""
    if not microseconds:
        return None
    try:
        moment = require_instant(dt.datetime.fromtimestamp(microseconds / 1e6, dt.UTC))
    except (ValueError, OverflowError, OSError):
        return None
    return moment.isoformat()
