"""Refused requests in the journal: which are recorded one by one, and a count of the rest.

Every refused request (bad input, no or wrong token, wrong role or door, a conflict) may be
journaled as a ``request.rejected`` record, but not without bound: anyone who can reach the
port can send refused requests as fast as the network carries them (an attack sent 6 a
millisecond with no token, which one shared budget turned into 1.4 GB of journal a day and
which used up the budget a real client's refusal needed). So there are two kinds of budget:

- a known client (its credential accepted: a 403 for a wrong role or door, a 400, a 409,
  a 429 over its rate) has its own, ``CLIENT_PER_SECOND`` a second. Nobody else's flood
  uses it up, so the refusals of the gate's real clients are journaled one by one.
- requests with no accepted credential (401 for no or a wrong token, a throttled login, a
  body refused before its sender was known) share one small budget,
  ``UNAUTHENTICATED_PER_MINUTE`` a minute: enough to show what they were.

The rest are counted: on ``/metrics`` at once (``gate_refusals_not_journaled_total``), and in
the journal by one ``request.rejected_summary`` record (actor ``gate``) for each
``SUMMARY_SECONDS`` in which any were left out, written at its end (and when the gate
stops): how many, by status, by client, the addresses most of them came from, the first and
last, and a sentence ("N unauthenticated requests refused, not journaled one by one"). The
journal still tells the whole story, in a few records a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gate.errors import Unavailable
from gate.service.commit_step import Change, Committer
from gate.service.input_checks import scrub
from gate.storage import journal

log = logging.getLogger("gate.service.refusals")

#: Refusals journaled one by one for each known client, a second.
CLIENT_PER_SECOND = 50
#: Refusals journaled one by one for all requests without an accepted credential together,
#: a minute (about 30,000 records a day at most, against 4 million before).
UNAUTHENTICATED_PER_MINUTE = 20
#: The period of a summary record: the refusals left out are summed up once per period.
SUMMARY_SECONDS = 60.0
#: Addresses a summary names one by one (the most frequent); the others are summed up.
SUMMARY_REMOTES = 10
#: Distinct addresses counted within a period; more go under ``"other"`` (memory is bounded
#: whatever addresses a flood comes from).
MAX_REMOTES = 200
#: Budgets kept at once; over this, the ones whose window has passed are forgotten.
MAX_WINDOWS = 1024
SUMMARY_KIND = "request.rejected_summary"
OTHER = "other"


@dataclass
class _Tally:
    """The refusals left out of the journal since the last summary."""

    first: dt.datetime
    last: dt.datetime
    unauthenticated: int = 0
    clients: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    remotes: dict[str, int] = field(default_factory=dict)

    def add(self, actor: str | None, info: Mapping[str, Any], at: dt.datetime) -> None:
        self.last = max(self.last, at)
        if actor is None:
            self.unauthenticated += 1
        else:
            self.clients[actor] = self.clients.get(actor, 0) + 1
        _bump(self.statuses, str(info.get("status", "?")))
        remote = str(info.get("remote") or info.get("peer") or "unknown")[:100]
        if remote not in self.remotes and len(self.remotes) >= MAX_REMOTES:
            remote = OTHER
        _bump(self.remotes, remote)

    def record(self) -> dict[str, Any]:
        """The summary record's data."""
        total = self.unauthenticated + sum(self.clients.values())
        top = sorted(
            ((n, r) for r, n in self.remotes.items() if r != OTHER), key=lambda x: (-x[0], x[1])
        )
        remotes = {r: n for n, r in top[:SUMMARY_REMOTES]}
        rest = sum(n for n, _ in top[SUMMARY_REMOTES:]) + self.remotes.get(OTHER, 0)
        if rest:
            remotes[OTHER] = rest
        parts = []
        if self.unauthenticated:
            parts.append(
                f"{self.unauthenticated} unauthenticated requests refused, not journaled one by one"
            )
        for name, n in sorted(self.clients.items()):
            parts.append(
                f"{n} requests of client {name} refused over its {CLIENT_PER_SECOND}/s budget,"
                " not journaled one by one"
            )
        return {
            "not_journaled": total,
            "unauthenticated": self.unauthenticated,
            "clients": dict(sorted(self.clients.items())),
            "statuses": dict(sorted(self.statuses.items())),
            "remotes": remotes,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "detail": "; ".join(parts),
        }


def _bump(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


class Refusals:
    """Journals refused requests within their budgets and sums up the rest (module doc).

    ``clock`` is the gate's time of day (the records' stamps); ``monotonic`` measures the
    budgets' windows and ``period`` the summaries' (a test may shorten it)."""

    def __init__(
        self,
        committer: Committer,
        clock: Callable[[], dt.datetime],
        monotonic: Callable[[], float] = time.monotonic,
        period: float = SUMMARY_SECONDS,
    ) -> None:
        self.committer = committer
        self.clock = clock
        self.monotonic = monotonic
        self.period = period
        #: Refusals not journaled one by one since the start: ``unauthenticated``, ``client``.
        self.not_journaled: dict[str, int] = {"unauthenticated": 0, "client": 0}
        #: Each budget (a client's name; None for every unauthenticated request): the start
        #: of its window and the refusals journaled in it.
        self._windows: dict[str | None, tuple[float, int]] = {}
        self._tally: _Tally | None = None
        self._timer: asyncio.Task[None] | None = None

    def admit(self, actor: str | None) -> bool:
        """Whether a refusal for ``actor`` (None: no accepted credential) is journaled one by
        one now, taking it from that budget."""
        now = self.monotonic()
        span, limit = (
            (60.0, UNAUTHENTICATED_PER_MINUTE) if actor is None else (1.0, CLIENT_PER_SECOND)
        )
        start, used = self._windows.get(actor, (now, 0))
        if now - start >= span:
            start, used = now, 0
        if used >= limit:
            return False
        if actor not in self._windows and len(self._windows) >= MAX_WINDOWS:
            self._windows = {
                k: w for k, w in self._windows.items() if now - w[0] < (60.0 if k is None else 1.0)
            }
        self._windows[actor] = (start, used + 1)
        return True

    async def record(self, info: Mapping[str, Any]) -> None:
        """Journals one refused request (``info``: method, path, status, type, detail,
        ``actor`` (None or empty: no accepted credential), remote), or counts it for the next
        summary when its budget is spent. Raises nothing: a refusal that cannot be journaled
        must not turn into another error; nothing is written once the gate has failed."""
        if self.committer.failed is not None:
            return
        actor = str(info["actor"]) if info.get("actor") else None
        at = self.clock()
        if not self.admit(actor):
            self._count(actor, info, at)
            return
        name = scrub((actor or "anonymous").replace("|", "/"))
        data = scrub(dict(info))

        def write(conn: sqlite3.Connection) -> None:
            journal.append(
                conn, kind="request.rejected", actor=name, subject=None, data=data, ts=at
            )

        # Bounded (``waited``): a stalled writer must not hold every refused request's answer;
        # the record is still written in its turn.
        with contextlib.suppress(Unavailable):
            await self.committer.waited(self.committer.begin(Change(sql=[write])))

    def _count(self, actor: str | None, info: Mapping[str, Any], at: dt.datetime) -> None:
        self.not_journaled["unauthenticated" if actor is None else "client"] += 1
        if self._tally is None:
            self._tally = _Tally(first=at, last=at)
        self._tally.add(None if actor is None else scrub(actor), info, at)
        if self._timer is None or self._timer.done():
            self._timer = asyncio.get_running_loop().create_task(
                self._after_period(), name="refusal-summary"
            )

    async def _after_period(self) -> None:
        # One summary a period while refusals are counted; ends after a period with none (a
        # refusal counted while a summary is being written waits for the next one).
        while True:
            await asyncio.sleep(self.period)
            if self._tally is None:
                return
            await self.summarize()

    async def summarize(self) -> None:
        """Journals the summary of the refusals counted since the last one, if any (logged
        if it cannot be written: the counts stay on ``/metrics``)."""
        tally, self._tally = self._tally, None
        if tally is None or self.committer.failed is not None:
            return
        data = tally.record()
        at = self.clock()

        def write(conn: sqlite3.Connection) -> None:
            journal.append(conn, kind=SUMMARY_KIND, actor="gate", subject=None, data=data, ts=at)

        try:
            await self.committer.apply(Change(sql=[write]))
        except Unavailable as exc:
            log.warning(
                "could not journal the summary of %d refusals: %s", data["not_journaled"], exc
            )

    async def close(self) -> None:
        """Journals what is counted and not yet summed up (the gate is stopping)."""
        timer, self._timer = self._timer, None
        if timer is not None and not timer.done():
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer
        await self.summarize()
