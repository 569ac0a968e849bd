"""Delivers licence requests from the durable outbox to the central office.

A request enters the outbox in the transaction that holds its shipment (see docks), so it
cannot be lost between the decision and the sending. This sender takes, for each shipment,
only its oldest undelivered request (a shipment's requests are never reordered), POSTs it
signed (Standard Webhooks v1, the gate's own secret, ``webhook-id`` = ``request_id`` so the
office can drop duplicates) and records the outcome durably:

- 2xx: delivered, never sent again;
- 4xx other than 408 and 429: the office refused it for good; it is not retried, and an
  alert says so (a human must look);
- anything else (5xx, 408, 429, connection refused, timeout): tried again after an
  exponential backoff with full jitter, bounded by ``retry_max_seconds``, also across
  restarts, since the next attempt time is in the database.

Any answer is treated as hostile until proven otherwise. A redirect is never followed (a POST
turned into a GET without body by a proxy is not a delivery): a 3xx is a failure, retried and
alerted. Of an answer's body at most ``ANSWER_EXCERPT_BYTES`` are read, and decoded with
replacement characters, so a huge or non-UTF-8 body costs a few kilobytes and never raises.
Whatever goes wrong while one request is sent stays with that request: it backs off and is
shown and alerted, and the requests of the other shipments are still sent in the same round.

Time comes from a ``Clock``: the system clock in production; tests pass one they move by
hand, so backoff, retry and the unreachable alert are tested without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from gate.config.settings import Config
from gate.core.signatures import parse_secret, signed_headers
from gate.service.clock import utc_now
from gate.service.events import Events
from gate.storage import journal
from gate.storage.store import Store

log = logging.getLogger("gate.central")

# An answer's body is only ever an error excerpt for people: a few kilobytes say enough.
ANSWER_EXCERPT_BYTES = 4096
ERROR_TEXT_CHARS = 300
# After a round in which sending a request failed in an unexpected way, at least this long
# before the next round, so a fault that repeats cannot spin the loop.
PAUSE_AFTER_FAULT_SECONDS = 5.0


class Clock(Protocol):
    """The link's time: what time it is, and waiting for a while or until woken."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    async def wait(self, seconds: float, wake: asyncio.Event) -> None:
        """Returns once ``seconds`` have passed or ``wake`` is set, whichever comes first."""
        ...


class SystemClock:
    """The real clock: the wall time in UTC and the event loop's timers."""

    def now(self) -> dt.datetime:
        return utc_now()

    async def wait(self, seconds: float, wake: asyncio.Event) -> None:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
        # races with the event, and the link's loop must end when the app stops.
        # The floor keeps a loop that is always due from spinning.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.01, seconds)):
                await wake.wait()


@dataclass(slots=True)
class LinkHealth:
    backlog: int = 0
    oldest_pending: dt.datetime | None = None
    last_success: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    unreachable_since: dt.datetime | None = None
    delivered: int = 0
    refused: int = 0
    attempts: int = 0
    alerted: bool = False
    clock: Callable[[], dt.datetime] = field(default=SystemClock().now, repr=False)

    def doc(self) -> dict[str, Any]:
        now = self.clock()
        return {
            "backlog": self.backlog,
            "oldest_pending_seconds": None
            if self.oldest_pending is None
            else round((now - self.oldest_pending).total_seconds(), 1),
            "last_success": None if self.last_success is None else self.last_success.isoformat(),
            "last_error": self.last_error,
            "last_error_at": None if self.last_error_at is None else self.last_error_at.isoformat(),
            "unreachable_since": None
            if self.unreachable_since is None
            else self.unreachable_since.isoformat(),
            "delivered": self.delivered,
            "refused": self.refused,
        }


def backoff(attempts: int, initial: float, maximum: float, rng: random.Random) -> float:
    """Seconds before attempt ``attempts + 1``: exponential, full jitter in its upper half."""
    ceiling = min(maximum, initial * (2 ** min(attempts, 30)))
    return rng.uniform(ceiling / 2, ceiling)


class CentralLink:
    """The sender: one loop that delivers due requests and waits for the next due time or
    for ``wake`` (set when the outbox changes)."""

    def __init__(
        self,
        config: Config,
        store: Store,
        events: Events,
        wake: asyncio.Event,
        *,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.central = config.central
        self.store = store
        self.events = events
        self.wake = wake
        self.secret = parse_secret(config.central.signing_secret)
        self.health = LinkHealth()
        self.rng = rng or random.Random()
        self._clock: Clock = clock or SystemClock()
        self.health.clock = self._clock.now

    @property
    def clock(self) -> Clock:
        """The link's clock. Setting it (a test does, on a running gate) also wakes the loop,
        so that its next wait is on the new clock."""
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = clock
        self.health.clock = clock.now
        self.wake.set()

    async def run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.central.timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                # Cleared before the round, not after: a request queued while the round runs
                # sets it again, and the wait below returns at once instead of missing it.
                self.wake.clear()
                try:
                    wait = await self.round(session)
                except Exception:
                    log.exception("central link round failed")
                    wait = PAUSE_AFTER_FAULT_SECONDS
                await self.clock.wait(wait, self.wake)

    async def round(self, session: aiohttp.ClientSession) -> float:
        """Sends every due request (oldest per shipment); returns seconds until the next.

        A request whose sending fails unexpectedly is logged, shown and alerted; the round
        goes on with the other shipments' requests."""
        now = self.clock.now()
        rows = await self.store.read(_due_heads)
        await self._refresh_backlog()
        next_at: dt.datetime | None = None
        faulted = False
        for row_id, request_id, body, attempts, due_text in rows:
            due = dt.datetime.fromisoformat(due_text)
            if due > now:
                next_at = due if next_at is None else min(next_at, due)
                continue
            try:
                await self._send(session, row_id, request_id, body, attempts)
            except Exception as exc:
                faulted = True
                log.exception("licence request %s: sending failed", request_id)
                self._fault(request_id, _describe(exc))
        await self._refresh_backlog()
        if faulted:
            return PAUSE_AFTER_FAULT_SECONDS
        if next_at is None:
            # Requests were sent: read again at once, a shipment's next request may be due.
            return 30.0 if not rows else 0.0
        return max(0.0, (next_at - self.clock.now()).total_seconds())

    async def _post(
        self, session: aiohttp.ClientSession, request_id: str, raw: bytes
    ) -> tuple[int | None, str | None]:
        """POSTs one request; returns (status, error), status None when no answer came.

        Never raises an exception other than a cancellation: whatever the office (or
        something posing as it) answers ends as a status and a short error text."""
        stamp = int(self.clock.now().timestamp())
        headers = signed_headers(request_id, stamp, raw, secret=self.secret)
        headers["Content-Type"] = "application/json"
        url = f"{self.central.url}/licence-requests"
        try:
            async with session.post(
                url, data=raw, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
                if 200 <= status < 300:
                    return status, None  # the body says nothing the gate needs
                if 300 <= status < 400:
                    where = _printable(response.headers.get("Location", ""))[:200]
                    return status, f"HTTP {status} redirect to {where!r} (not followed)"
                return status, f"HTTP {status}: {await _excerpt(response)}"
        except Exception as exc:  # whatever it is, it is this request's failure only
            return None, _describe(exc)

    async def _send(
        self, session: aiohttp.ClientSession, row_id: int, request_id: str, body: str, attempts: int
    ) -> None:
        if not await self.store.read(_still_pending(row_id)):
            return  # answered, or its shipment closed, since this round read the outbox
        self.health.attempts += 1
        status, error = await self._post(session, request_id, body.encode())
        now = self.clock.now()
        if status is not None and 200 <= status < 300:
            await self.store.write(_delivered(row_id, now))
            self.health.delivered += 1
            self.health.last_success = now
            self._reachable(now)
            self.events.publish(
                "link", {"event": "delivered", "request_id": request_id, **self.health.doc()}
            )
            log.info("licence request %s delivered", request_id)
            return
        error = (error or f"HTTP {status}")[:ERROR_TEXT_CHARS]
        definitive = status is not None and 400 <= status < 500 and status not in (408, 429)
        self.health.last_error, self.health.last_error_at = error, now
        if definitive:
            await self.store.write(_refused(row_id, error, now))
            self.health.refused += 1
            self._reachable(now)
            log.error("licence request %s refused by the office: %s", request_id, error)
            self.events.publish(
                "alert",
                {
                    "level": "critical",
                    "kind": "request_refused",
                    "text": f"The central office refused licence request {request_id}: {error}",
                },
            )
            return
        delay = backoff(
            attempts, self.central.retry_initial_seconds, self.central.retry_max_seconds, self.rng
        )
        await self.store.write(_retry(row_id, error, now + dt.timedelta(seconds=delay)))
        if status is None or 300 <= status < 400:
            # No answer, or one from somewhere that is not the office's endpoint.
            self._unreachable(now)
        if status is not None and 300 <= status < 400:
            self.events.publish(
                "alert",
                {
                    "level": "critical",
                    "kind": "link_redirected",
                    "text": f"Licence request {request_id} was answered with a redirect, "
                    f"which the gate does not follow; check [central] url: {error}",
                },
            )
        log.warning(
            "licence request %s not delivered (%s); next try in %.1f s", request_id, error, delay
        )
        self.events.publish(
            "link", {"event": "retry", "request_id": request_id, **self.health.doc()}
        )

    def _fault(self, request_id: str, error: str) -> None:
        """Shows and alerts a request whose sending failed in a way the sender did not
        expect (its outcome could not be recorded, say); the next round tries it again."""
        now = self.clock.now()
        self.health.last_error = f"sending failed: {error}"[:ERROR_TEXT_CHARS]
        self.health.last_error_at = now
        self.events.publish(
            "alert",
            {
                "level": "critical",
                "kind": "request_failed",
                "text": f"Licence request {request_id} could not be sent: {error}",
            },
        )

    def _reachable(self, now: dt.datetime) -> None:
        if self.health.unreachable_since is not None:
            self.events.publish(
                "alert",
                {
                    "level": "info",
                    "kind": "link_up",
                    "text": "The central office is reachable again",
                },
            )
        self.health.unreachable_since = None
        self.health.alerted = False

    def _unreachable(self, now: dt.datetime) -> None:
        h = self.health
        if h.unreachable_since is None:
            h.unreachable_since = now
        down = (now - h.unreachable_since).total_seconds()
        if not h.alerted and down >= self.central.unreachable_alert_seconds:
            h.alerted = True
            self.events.publish(
                "alert",
                {
                    "level": "critical",
                    "kind": "link_down",
                    "text": f"The central office has been unreachable for {int(down)} s; "
                    f"{h.backlog} licence request(s) waiting",
                },
            )

    async def _refresh_backlog(self) -> None:
        count, oldest = await self.store.read(_backlog)
        self.health.backlog = count
        self.health.oldest_pending = None if oldest is None else dt.datetime.fromisoformat(oldest)
        if self.health.unreachable_since is not None:
            self._unreachable(self.clock.now())


async def _excerpt(response: aiohttp.ClientResponse) -> str:
    """At most ANSWER_EXCERPT_BYTES of the answer's body as text (undecodable bytes replaced);
    the rest is never read (the connection is closed instead of drained)."""
    data = bytearray()
    try:
        while len(data) < ANSWER_EXCERPT_BYTES:
            chunk = await response.content.read(ANSWER_EXCERPT_BYTES - len(data))
            if not chunk:
                break
            data += chunk
    except Exception as exc:  # the status is known; a body cut short only loses the excerpt
        return f"{_printable(data.decode('utf-8', errors='replace'))[:100]} ({_describe(exc)})"
    return _printable(data.decode("utf-8", errors="replace"))[:200]


def _printable(text: str) -> str:
    """``text`` on one line of printable characters: it goes into logs, alerts and the page."""
    return "".join(c if c.isprintable() else " " for c in text)


def _describe(exc: BaseException) -> str:
    return _printable(f"{type(exc).__name__}: {exc}")[:ERROR_TEXT_CHARS]


def _due_heads(conn: sqlite3.Connection) -> list[tuple[int, str, str, int, str]]:
    """The oldest pending request of each shipment."""
    return [
        (r[0], r[1], r[2], r[3], r[4])
        for r in conn.execute(
            "SELECT o.id, o.request_id, o.body, o.attempts, o.next_attempt_at FROM outbox o"
            " JOIN (SELECT shipment_id, min(id) AS id FROM outbox"
            "       WHERE delivered_at IS NULL AND next_attempt_at IS NOT NULL"
            "       GROUP BY shipment_id) h ON h.id = o.id ORDER BY o.id"
        )
    ]


def _still_pending(row_id: int) -> Any:
    def read(conn: sqlite3.Connection) -> bool:
        row = conn.execute(
            "SELECT 1 FROM outbox WHERE id = ? AND delivered_at IS NULL"
            " AND next_attempt_at IS NOT NULL",
            (row_id,),
        ).fetchone()
        return row is not None

    return read


def _backlog(conn: sqlite3.Connection) -> tuple[int, str | None]:
    row = conn.execute(
        "SELECT count(*), min(created_at) FROM outbox"
        " WHERE delivered_at IS NULL AND next_attempt_at IS NOT NULL"
    ).fetchone()
    return int(row[0]), row[1]


def _journal(
    conn: sqlite3.Connection, row_id: int, kind: str, now: dt.datetime, **data: Any
) -> None:
    request_id, shipment_id, attempts = conn.execute(
        "SELECT request_id, shipment_id, attempts FROM outbox WHERE id = ?", (row_id,)
    ).fetchone()
    journal.append(
        conn,
        kind=kind,
        actor="gate",
        subject=shipment_id,
        data={"request_id": request_id, "attempts": attempts, **data},
        ts=now,
    )


def _delivered(row_id: int, now: dt.datetime) -> Any:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, last_error = NULL"
            " WHERE id = ?",
            (now.isoformat(), row_id),
        )
        _journal(conn, row_id, "licence_request.delivered", now)

    return write


def _refused(row_id: int, error: str, now: dt.datetime) -> Any:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE outbox SET next_attempt_at = NULL, attempts = attempts + 1, last_error = ?"
            " WHERE id = ?",
            (f"refused at {now.isoformat()}: {error}", row_id),
        )
        _journal(conn, row_id, "licence_request.refused", now, error=error)

    return write


def _retry(row_id: int, error: str, at: dt.datetime) -> Any:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1, last_error = ?"
            # Not if the request was taken out meanwhile (answered, or its shipment closed).
            " WHERE id = ? AND next_attempt_at IS NOT NULL",
            (at.isoformat(), error, row_id),
        )

    return write
