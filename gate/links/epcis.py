"""Delivers the EPCIS documents queued at dispatch to the company's EPCIS 2.0 repository.

A document enters ``epcis_outbox`` in the transaction that stores its dispatch
(``gate.service.epcis_out``); this sender POSTs each pending one, as JSON-LD, to
``[epcis] capture_url`` (the repository's ``POST /capture``, GS1's EPCIS 2.0 REST bindings)
and records every outcome durably, so a restart resumes where it stopped:

- 2xx (the bindings answer 202 with the capture job's URL in ``Location``): delivered; the
  job is kept with the row;
- 413: the repository found the document too large. Its ``GS1-EPCIS-Capture-Limit`` (events)
  and ``GS1-EPCIS-Capture-File-Size-Limit`` (bytes), when stated, are kept and respected from
  then on; the document is split into parts within them (or in halves, when it states
  none), the parts replacing it in one transaction. A single event too large for the
  repository cannot be split: it is refused and alerted. Limits a repository states to an
  ``OPTIONS`` request at start are respected the same way, before any 413;
- 408, 429, 5xx, a redirect (never followed), no answer: tried again after an exponential
  backoff with jitter (``retry_initial_seconds`` .. ``retry_max_seconds``), the next time in
  the database; an unreachable repository is alerted after ``unreachable_alert_seconds``;
- any other 4xx (a validation error, a wrong token): refused for good, and alerted: the
  events are still in the table and the journal says why, for a person to look at.

Every event has its CBV 2.0 hash as ``eventID``, so a repository that receives a document
twice (an answer lost on the way back) can drop the repeat. Time comes from a ``Clock``
(``gate.links.central``), so tests move it by hand instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import math
import random
from typing import Any
from urllib.parse import urljoin

import aiohttp

from gate.config.epcis import EpcisConfig
from gate.core.epcis import split_document
from gate.links.central import Clock, LinkHealth, SystemClock, backoff
from gate.service.events import Events
from gate.storage import epcis_rows
from gate.storage.store import Store

log = logging.getLogger("gate.epcis")

ANSWER_EXCERPT_BYTES = 4096
ERROR_TEXT_CHARS = 300
PAUSE_AFTER_FAULT_SECONDS = 5.0
EVENTS_LIMIT = "GS1-EPCIS-Capture-Limit"
BYTES_LIMIT = "GS1-EPCIS-Capture-File-Size-Limit"
HEADERS = {
    "Content-Type": "application/ld+json",
    "GS1-EPCIS-Version": "2.0.0",
    "GS1-CBV-Version": "2.0.0",
}


class EpcisLink:
    """The sender: one loop that delivers due documents, then waits for the next due time
    or for ``wake`` (set when a dispatch queued a document)."""

    def __init__(
        self,
        config: EpcisConfig,
        store: Store,
        events: Events,
        wake: asyncio.Event,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.events = events
        self.wake = wake
        self.rng = rng or random.Random()
        self._clock: Clock = clock or SystemClock()
        self.health = LinkHealth(clock=self._clock.now)
        #: What the repository said it takes (events, bytes per document); None: unknown.
        self.event_limit: int | None = None
        self.byte_limit: int | None = None
        self.jobs: list[str] = []  # capture jobs of this run, newest last (for people, tests)

    @property
    def clock(self) -> Clock:
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = clock
        self.health.clock = clock.now
        self.wake.set()

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.config.timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await self.discover(session)
            while True:
                self.wake.clear()  # before the round: a document queued meanwhile sets it
                try:
                    wait = await self.round(session)
                except Exception:
                    log.exception("EPCIS link round failed")
                    wait = PAUSE_AFTER_FAULT_SECONDS
                await self.clock.wait(wait, self.wake)

    async def discover(self, session: aiohttp.ClientSession) -> None:
        """Reads the limits a repository states to ``OPTIONS /capture`` (optional in the
        bindings: any failure leaves them unknown, and a 413 teaches them later)."""
        try:
            async with session.options(
                self.config.capture_url, headers=self._headers({}), allow_redirects=False
            ) as response:
                if 200 <= response.status < 300:
                    self._learn(response.headers)
        except Exception as exc:
            log.info("EPCIS capture discovery failed (%s); limits unknown", _describe(exc))

    async def round(self, session: aiohttp.ClientSession) -> float:
        """Sends every due document; returns seconds until the next is due."""
        now = self.clock.now()
        rows = await self.store.read(epcis_rows.pending)
        next_at: dt.datetime | None = None
        faulted = sent = False
        for row in rows:
            if row.due > now:
                next_at = row.due if next_at is None else min(next_at, row.due)
                continue
            sent = True
            try:
                await self._deliver(session, row)
            except Exception as exc:
                faulted = True
                log.exception("EPCIS document %s: sending failed", row.id)
                self._alert("epcis_failed", f"EPCIS document {row.id} could not be sent: {exc}")
        await self._refresh_backlog()
        if faulted:
            return PAUSE_AFTER_FAULT_SECONDS
        if sent:
            return 0.0  # parts of a split document are due at once: read again
        if next_at is None:
            return 30.0
        return max(0.0, (next_at - self.clock.now()).total_seconds())

    async def _deliver(self, session: aiohttp.ClientSession, row: epcis_rows.Pending) -> None:
        most = self._fits(row)
        if most is not None:
            await self._split(row, most, "the repository's stated capture limit")
            return
        self.health.attempts += 1
        status, headers, error = await self._post(session, row.body.encode())
        now = self.clock.now()
        if status is not None and 200 <= status < 300:
            where = headers.get("Location")
            job = urljoin(self.config.capture_url, where) if where else None
            await self.store.write(epcis_rows.delivered(row.id, job, now))
            if job is not None:
                self.jobs.append(job)
            self.health.delivered += 1
            self.health.last_success = now
            self._reachable()
            told = f"job {job}" if job else "no job location given"
            log.info("EPCIS document %s (%s events) captured (%s)", row.id, row.events, told)
            self.events.publish("epcis", {"event": "delivered", "document": row.id, "job": job})
            return
        error = (error or f"HTTP {status}")[:ERROR_TEXT_CHARS]
        self.health.last_error, self.health.last_error_at = error, now
        if status == 413:
            self._learn(headers)
            self._reachable()
            most = self._fits(row) or math.ceil(row.events / 2)
            if row.events > 1:
                await self._split(row, most, error)
                return
            await self._refuse(row, f"one event is larger than the repository takes: {error}")
            return
        if status is not None and 400 <= status < 500 and status not in (408, 429):
            self._reachable()
            await self._refuse(row, error)
            return
        delay = backoff(
            row.attempts,
            self.config.retry_initial_seconds,
            self.config.retry_max_seconds,
            self.rng,
        )
        await self.store.write(epcis_rows.retry(row.id, error, now + dt.timedelta(seconds=delay)))
        if status is None or 300 <= status < 400:
            self._unreachable(now)
        log.warning("EPCIS document %s not captured (%s); next try in %.1f s", row.id, error, delay)

    def _fits(self, row: epcis_rows.Pending) -> int | None:
        """None if ``row`` is within the known limits (or holds one event), else how many
        events each part may hold."""
        if row.events <= 1:
            return None
        most = row.events
        if self.event_limit is not None:
            most = min(most, self.event_limit)
        if self.byte_limit is not None and len(row.body.encode()) > self.byte_limit:
            # Events are of similar size; a part still too large is split again on its turn.
            share = self.byte_limit / len(row.body.encode())
            most = min(most, max(1, math.floor(row.events * share)))
        return most if most < row.events else None

    async def _split(self, row: epcis_rows.Pending, most: int, why: str) -> None:
        parts = split_document(json.loads(row.body), most)
        await self.store.write(epcis_rows.split(row.id, parts, why, self.clock.now()))
        log.info("EPCIS document %s split into %s (%s)", row.id, len(parts), why)

    async def _refuse(self, row: epcis_rows.Pending, error: str) -> None:
        await self.store.write(epcis_rows.refused(row.id, error, self.clock.now()))
        self.health.refused += 1
        log.error("EPCIS document %s refused by the repository: %s", row.id, error)
        self._alert(
            "epcis_refused",
            f"The EPCIS repository refused the events of shipment {row.shipment_id}: {error}",
        )

    def _learn(self, headers: Any) -> None:
        for name, attr in ((EVENTS_LIMIT, "event_limit"), (BYTES_LIMIT, "byte_limit")):
            value = str(headers.get(name, "")).strip()
            if value.isascii() and value.isdigit() and int(value) >= 1:
                setattr(self, attr, int(value))

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = {**HEADERS, **extra}
        if self.config.token is not None:
            headers["Authorization"] = f"Bearer {self.config.token}"
        return headers

    async def _post(
        self, session: aiohttp.ClientSession, raw: bytes
    ) -> tuple[int | None, dict[str, str], str | None]:
        """POSTs one document: (status, headers, error); status None when no answer came.
        Raises nothing but a cancellation."""
        try:
            async with session.post(
                self.config.capture_url, data=raw, headers=self._headers({}), allow_redirects=False
            ) as response:
                status, headers = response.status, dict(response.headers)
                if 200 <= status < 300:
                    return status, headers, None
                if 300 <= status < 400:
                    where = _printable(headers.get("Location", ""))[:200]
                    return status, headers, f"HTTP {status} redirect to {where!r} (not followed)"
                return status, headers, f"HTTP {status}: {await _excerpt(response)}"
        except Exception as exc:
            return None, {}, _describe(exc)

    def _alert(self, kind: str, text: str) -> None:
        self.events.publish("alert", {"level": "critical", "kind": kind, "text": text})

    def _reachable(self) -> None:
        if self.health.unreachable_since is not None:
            self.events.publish(
                "alert",
                {"level": "info", "kind": "epcis_up", "text": "The EPCIS repository is back"},
            )
        self.health.unreachable_since = None
        self.health.alerted = False

    def _unreachable(self, now: dt.datetime) -> None:
        h = self.health
        if h.unreachable_since is None:
            h.unreachable_since = now
        down = (now - h.unreachable_since).total_seconds()
        if not h.alerted and down >= self.config.unreachable_alert_seconds:
            h.alerted = True
            self._alert(
                "epcis_down",
                f"The EPCIS repository has been unreachable for {int(down)} s; "
                f"{h.backlog} document(s) waiting",
            )

    async def _refresh_backlog(self) -> None:
        count, oldest = await self.store.read(epcis_rows.backlog)
        self.health.backlog = count
        self.health.oldest_pending = None if oldest is None else dt.datetime.fromisoformat(oldest)


async def _excerpt(response: aiohttp.ClientResponse) -> str:
    """At most ANSWER_EXCERPT_BYTES of an answer's body, as one printable line."""
    data = b""
    with contextlib.suppress(Exception):
        data = await response.content.read(ANSWER_EXCERPT_BYTES)
    return _printable(data.decode("utf-8", errors="replace"))[:200]


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)


def _describe(exc: BaseException) -> str:
    return _printable(f"{type(exc).__name__}: {exc}")[:ERROR_TEXT_CHARS]
