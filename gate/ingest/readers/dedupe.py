"""The portal window: a tag read many times while it passes counts once. Pure: no I/O here.

An RFID portal reports every tag in its field many times a second for as long as the tag
is there. A read becomes a scan only when it starts an *episode*: the tag was not read in
the last ``window`` seconds. Later reads only extend the episode; a tag that has been out
of the field for ``window`` seconds and comes back starts a new one (the gate then counts
the unit once anyway, by its serial).

Scan ids make retries idempotent. An episode's id is derived, not drawn: the tag and the
number of whole windows since the epoch at the episode's start, ``<tag>.<bucket>``. A
re-sent batch carries the same ids (the gate answers ``duplicate``), and after a restart of
the gate a tag still in the field within the same bucket is again a duplicate, not a second
read. Two episodes of one tag never share a bucket: the second starts at least ``window``
after the first one's last read. (A wall clock stepped back by more than a window could
repeat a bucket; the gate would then answer ``duplicate`` for a unit it has counted.)

A read the door refused for the door's sake (no open shipment yet, shipment sealed) is not
counted anywhere: the tag may be sent again, at most once per ``rejected_retry`` seconds
while it stays in the field, under a fresh id. A read refused for the code itself (not a
GS1 EPC) is not sent again during the episode.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

MAX_TAG_IN_ID = 100


@dataclass(slots=True)
class _Episode:
    last_seen: float  # monotonic seconds
    bucket: int
    scan_id: str
    retry_at: float | None = None  # monotonic; set when the door refused the scan


class PortalDedupe:
    """Decides which reads are scans, and under which scan id."""

    def __init__(self, window: float, rejected_retry: float | None = None) -> None:
        if window <= 0:
            raise ValueError("window must be positive")
        self.window = window
        self.rejected_retry = window if rejected_retry is None else rejected_retry
        self._episodes: OrderedDict[str, _Episode] = OrderedDict()
        self.suppressed = 0

    def __len__(self) -> int:
        return len(self._episodes)

    def admit(self, tag: str, now: float, wall: float) -> str | None:
        """The scan id under which this read is sent, or None when it repeats an episode.

        ``now`` is a monotonic clock (seconds), ``wall`` the time since the epoch.
        """
        self._expire(now)
        episode = self._episodes.get(tag)
        if episode is None:
            bucket = int(wall // self.window)
            episode = _Episode(now, bucket, scan_id(tag, bucket))
            self._episodes[tag] = episode
            return episode.scan_id
        episode.last_seen = now
        self._episodes.move_to_end(tag)
        if episode.retry_at is not None and now >= episode.retry_at:
            episode.retry_at = None
            episode.bucket = max(int(wall // self.window), episode.bucket + 1)
            episode.scan_id = scan_id(tag, episode.bucket)
            return episode.scan_id
        self.suppressed += 1
        return None

    def refused(self, tag: str, sid: str, now: float) -> None:
        """The door refused scan ``sid`` for its own sake: the tag may be sent again later."""
        episode = self._episodes.get(tag)
        if episode is not None and episode.scan_id == sid:
            episode.retry_at = now + self.rejected_retry

    def forget(self, tag: str) -> None:
        """The next read of ``tag`` starts a new episode (its scan was never stored)."""
        self._episodes.pop(tag, None)

    def _expire(self, now: float) -> None:
        episodes = self._episodes
        while episodes:
            tag, first = next(iter(episodes.items()))
            if now - first.last_seen < self.window:
                return
            del episodes[tag]


def scan_id(tag: str, bucket: int) -> str:
    """``<tag>.<bucket>``; a very long tag (an EPC of more than 400 bits) is hashed."""
    if len(tag) > MAX_TAG_IN_ID:
        tag = "h" + hashlib.blake2b(tag.encode(), digest_size=16).hexdigest()
    return f"{tag}.{bucket}"
