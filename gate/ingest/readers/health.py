"""How each reader is doing, and how long to wait before trying it again. Pure: no I/O.

A reader's health is what an operator asks of a dock door's hardware: is it connected,
when did it last read something, how busy is it. The adapters update it; the API
(``GET /api/v1/readers``) and the metrics read it. Clocks are passed in (monotonic seconds
for rates and waits, UTC datetimes for what is shown) so all of it is testable as values.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

RATE_SECONDS = 10


class RateMeter:
    """Events per second over the last ``seconds`` whole seconds (a ring of 1 s buckets)."""

    def __init__(self, seconds: int = RATE_SECONDS) -> None:
        self.seconds = seconds
        self._counts = [0] * seconds
        self._stamps = [-1] * seconds

    def add(self, n: int, now: float) -> None:
        second = int(now)
        i = second % self.seconds
        if self._stamps[i] != second:
            self._stamps[i], self._counts[i] = second, 0
        self._counts[i] += n

    def rate(self, now: float) -> float:
        """The average over the last ``seconds`` seconds, the current (partial) one included."""
        second = int(now)
        total = sum(
            c for c, s in zip(self._counts, self._stamps, strict=True) if second - s < self.seconds
        )
        return total / self.seconds


class Backoff:
    """Exponential backoff with jitter: waits grow ×2 from ``initial`` up to ``maximum``;
    each is drawn from [w/2, w] so a dock of readers that failed together does not retry
    in step."""

    def __init__(self, initial: float, maximum: float, rng: random.Random | None = None) -> None:
        self.initial = initial
        self.maximum = maximum
        self.attempt = 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        ceiling = min(self.maximum, self.initial * 2.0 ** min(self.attempt, 62))
        self.attempt += 1
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.attempt = 0


@dataclass(slots=True)
class ReaderHealth:
    """One reader's state as shown on the API and in metrics.

    ``state``: ``starting``, ``connecting``, ``connected`` (a reader session, a serial port
    open, or for a listener at least one scanner connected), ``listening`` (a listener with
    no scanner connected), ``disconnected`` (waiting to retry; ``last_error`` says why),
    ``stopped``.
    """

    name: str
    kind: str
    door: str
    address: str
    state: str = "starting"
    since: dt.datetime | None = None
    last_error: str | None = None
    last_read: dt.datetime | None = None
    last_tag: dict[str, Any] | None = None
    reads: int = 0  # raw reads: tag reports, lines
    scans: int = 0  # reads sent to the scan path (after the portal window)
    results: dict[str, int] = field(default_factory=dict)  # accepted / duplicate / rejected
    refused: int = 0  # input that never became a scan (overlong line, peer not allowed)
    dropped: int = 0  # reads the gate could not take before the pending bound was hit
    connects: int = 0
    failures: int = 0  # failed attempts since the last connect
    retry_at: dt.datetime | None = None
    clients: int = 0  # text-tcp: scanners connected now
    antennas: dict[int, int] = field(default_factory=dict)
    info: str | None = None  # what the reader said about itself (model, firmware)
    below_min_rssi: dict[int, int] = field(default_factory=dict)  # antenna -> reads dropped
    cross_reads: int = 0  # new tags another door read stronger (counted there, not here)
    last_cross_read: dict[str, Any] | None = None
    rate: RateMeter = field(default_factory=RateMeter)

    @property
    def connected(self) -> bool:
        return self.state == "connected"

    def set_state(self, state: str, now: dt.datetime, error: str | None = None) -> None:
        if state != self.state:
            self.state, self.since = state, now
        if state == "connected":
            self.connects += 1
            self.failures = 0
            self.retry_at = None
            self.last_error = None
        elif error is not None:
            self.last_error = error[:500]

    def failed(self, error: str, now: dt.datetime, wait: float) -> None:
        self.failures += 1
        self.set_state("disconnected", now, error)
        self.retry_at = now + dt.timedelta(seconds=wait)

    def read(self, now: dt.datetime, mono: float, n: int = 1) -> None:
        self.reads += n
        self.last_read = now
        self.rate.add(n, mono)

    def counted(self, results: list[dict[str, Any]]) -> None:
        self.scans += len(results)
        for r in results:
            status = str(r.get("status"))
            self.results[status] = self.results.get(status, 0) + 1

    def doc(self, mono: float) -> dict[str, Any]:
        """The JSON shape of ``GET /api/v1/readers`` entries."""
        return {
            "name": self.name,
            "kind": self.kind,
            "door": self.door,
            "address": self.address,
            "state": self.state,
            "connected": self.connected,
            "since": _iso(self.since),
            "last_read": _iso(self.last_read),
            "last_tag": self.last_tag,
            "reads_per_second": round(self.rate.rate(mono), 3),
            "reads": self.reads,
            "scans": self.scans,
            "results": dict(sorted(self.results.items())),
            "refused": self.refused,
            "dropped": self.dropped,
            "connects": self.connects,
            "reconnects": max(0, self.connects - 1),
            "failures": self.failures,
            "last_error": self.last_error,
            "retry_at": _iso(self.retry_at),
            "clients": self.clients,
            "antennas": {str(k): v for k, v in sorted(self.antennas.items())},
            "info": self.info,
            "below_min_rssi": {str(k): v for k, v in sorted(self.below_min_rssi.items())},
            "cross_reads": self.cross_reads,
            "last_cross_read": self.last_cross_read,
        }


def _iso(at: dt.datetime | None) -> str | None:
    return None if at is None else at.isoformat()
