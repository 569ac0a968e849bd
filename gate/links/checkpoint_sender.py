"""Takes signed journal checkpoints on a timer and delivers them to the central office.

Every ``journal_checkpoint_seconds`` (and once at start) the sender takes a checkpoint (see
``gate.storage.checkpoints``: signed, journaled and queued in one transaction) when the journal
grew, then POSTs every undelivered one, oldest first, to ``{central.url}/journal-checkpoints``
with its Standard Webhooks headers (``webhook-id`` = ``checkpoint_id``, so the office can drop
duplicates). Each answer is read defensively: at most ``MAX_ANSWER`` bytes of it, no redirect
followed (a 3xx is a failure), whatever its encoding.

- 2xx: delivered, never sent again;
- 4xx other than 408 and 429: refused for good, not retried; a critical alert says so;
- anything else (3xx, 5xx, 408, 429, no connection, timeout): tried again after the link's
  backoff, also across restarts (the next attempt time is in the database).

A delivery is not journaled: a record for it would make the journal grow, and with it the next
checkpoint, on an idle gate for ever. The outbox row keeps when it was delivered.

A checkpoint vouches for the journal it covers, so none is taken before the audit journal's
full check has passed since this start (``JournalWatch.settled`` and not ``broken``: a start
checks only the records after its verified mark), and none is taken or sent once the gate has
latched (``Committer.failed``): a checkpoint taken before a fault stays queued, undelivered,
until a person restores the database and restarts the gate. (The take itself checks the latch
again in the writer's transaction, so a latch between the check and the write still counts.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
import sqlite3
from collections.abc import Callable
from typing import Any

import aiohttp

from gate.config.settings import Config
from gate.core.signatures import parse_secret
from gate.errors import GateError
from gate.links.central import backoff
from gate.service.clock import utc_now
from gate.service.commit_step import Committer
from gate.service.events import Events
from gate.service.journal_watch import JournalWatch
from gate.storage import checkpoints
from gate.storage.store import Store

log = logging.getLogger("gate.checkpoints")

PATH = "journal-checkpoints"
#: The most bytes of an answer read (for the error text); the rest is never read.
MAX_ANSWER = 1024


class CheckpointSender:
    """The timer and the delivery of journal checkpoints; run ``run()`` as a task."""

    def __init__(
        self,
        config: Config,
        store: Store,
        events: Events,
        committer: Committer,
        watch: JournalWatch,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.config = config
        self.store = store
        self.events = events
        self.committer = committer
        self.watch = watch
        self.clock = clock
        self.secret = parse_secret(config.central.signing_secret)
        self.url = f"{config.central.url}/{PATH}"
        self.rng = random.Random()
        self.delivered = 0
        self.last_error: str | None = None
        #: True while the sender waits for the start's full check of the journal.
        self.waiting = False

    async def run(self) -> None:
        """Takes and sends checkpoints until cancelled."""
        every = self.config.journal_checkpoint_seconds
        timeout = aiohttp.ClientTimeout(total=self.config.central.timeout_seconds)
        next_take = 0.0
        loop = asyncio.get_running_loop()
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                if not self.vouched():  # not checked yet, or latched: neither take nor send
                    if self.committer.failed is not None or self.watch.broken is not None:
                        return  # until a restart: the gate refuses every change too
                    self.waiting = True
                    await self.watch.settled.wait()
                    self.waiting = False
                    continue
                try:
                    if loop.time() >= next_take:
                        await self.take()
                        next_take = loop.time() + every
                    wait = await self.send_due(session)
                except GateError as exc:  # storage busy or failed: one line, try again soon
                    log.warning("journal checkpoint round failed: %s", exc)
                    wait = 5.0
                except Exception:
                    log.exception("journal checkpoint round failed")
                    wait = 5.0
                await asyncio.sleep(max(0.01, min(wait, next_take - loop.time())))

    def vouched(self) -> bool:
        """Whether the journal may be vouched for now: its full check passed since this
        start and the gate has not latched."""
        return (
            self.watch.settled.is_set()
            and self.watch.broken is None
            and self.committer.failed is None
        )

    async def take(self) -> checkpoints.Checkpoint | None:
        """Takes a checkpoint now if the journal grew since the last one (never while the
        journal is not vouched for)."""
        now = self.clock()
        gate_id, secret = self.config.gate_id, self.secret
        vouched = self.vouched

        def write(conn: sqlite3.Connection) -> checkpoints.Checkpoint | None:
            if not vouched():  # latched since the caller looked
                return None
            return checkpoints.take(conn, gate_id=gate_id, secret=secret, now=now)

        taken = await self.store.write(write)
        if taken is not None:
            log.info(
                "journal checkpoint %s taken at %s records", taken.checkpoint_id, taken.records
            )
        return taken

    async def send_due(self, session: aiohttp.ClientSession) -> float:
        """Sends every checkpoint that is due, oldest first; returns seconds until the next
        attempt (30 when nothing waits)."""
        now = self.clock()
        for row_id, checkpoint_id, body, signature, attempts, due_text in await self.store.read(
            _pending
        ):
            if not self.vouched():  # latched meanwhile: what waits stays undelivered
                break
            if dt.datetime.fromisoformat(due_text) <= now:
                await self._send(session, row_id, checkpoint_id, body, signature, attempts)
        waiting = [dt.datetime.fromisoformat(row[5]) for row in await self.store.read(_pending)]
        if not waiting:
            return 30.0
        return max(0.0, (min(waiting) - self.clock()).total_seconds())

    async def _send(
        self,
        session: aiohttp.ClientSession,
        row_id: int,
        checkpoint_id: str,
        body: str,
        signature: str,
        attempts: int,
    ) -> None:
        stamp = checkpoints.parse_document({**_loads(body), "signature": signature}).headers()
        headers = {**stamp, "Content-Type": "application/json"}
        status: int | None = None
        error: str | None = None
        try:
            async with session.post(
                self.url, data=body.encode("utf-8"), headers=headers, allow_redirects=False
            ) as response:
                status = response.status
                if not 200 <= status < 300:
                    text = (await response.content.read(MAX_ANSWER)).decode("utf-8", "replace")
                    error = f"HTTP {status}: {text[:200]}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        now = self.clock()
        if status is not None and 200 <= status < 300:
            await self.store.write(_mark(row_id, now, delivered=True))
            self.delivered += 1
            self.last_error = None
            log.info("journal checkpoint %s delivered", checkpoint_id)
            return
        self.last_error = error
        if status is not None and 400 <= status < 500 and status not in (408, 429):
            await self.store.write(_mark(row_id, now, delivered=False, error=error))
            log.error("journal checkpoint %s refused by the office: %s", checkpoint_id, error)
            self.events.publish(
                "alert",
                {
                    "level": "critical",
                    "kind": "checkpoint_refused",
                    "text": f"The central office refused journal checkpoint {checkpoint_id}:"
                    f" {error}",
                },
            )
            return
        central = self.config.central
        delay = backoff(
            attempts, central.retry_initial_seconds, central.retry_max_seconds, self.rng
        )
        at = now + dt.timedelta(seconds=delay)
        await self.store.write(_retry(row_id, error or "", at))
        log.warning(
            "journal checkpoint %s not delivered (%s); next try in %.1f s",
            checkpoint_id,
            error,
            delay,
        )


def _loads(body: str) -> dict[str, Any]:
    value = json.loads(body)
    return value if isinstance(value, dict) else {}


def _pending(conn: sqlite3.Connection) -> list[tuple[int, str, str, str, int, str]]:
    return [
        (r[0], r[1], r[2], r[3], r[4], r[5])
        for r in conn.execute(
            "SELECT id, checkpoint_id, body, signature, attempts, next_attempt_at"
            " FROM journal_checkpoints WHERE delivered_at IS NULL AND next_attempt_at IS NOT NULL"
            " ORDER BY id"
        )
    ]


def _mark(
    row_id: int, now: dt.datetime, *, delivered: bool, error: str | None = None
) -> Callable[[sqlite3.Connection], None]:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE journal_checkpoints SET next_attempt_at = NULL, attempts = attempts + 1,"
            " delivered_at = ?, last_error = ? WHERE id = ?",
            (now.isoformat() if delivered else None, error, row_id),
        )

    return write


def _retry(row_id: int, error: str, at: dt.datetime) -> Callable[[sqlite3.Connection], None]:
    def write(conn: sqlite3.Connection) -> None:
        conn.execute(
            "UPDATE journal_checkpoints SET next_attempt_at = ?, attempts = attempts + 1,"
            " last_error = ? WHERE id = ?",
            (at.isoformat(), error, row_id),
        )

    return write
