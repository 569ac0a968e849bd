"""Cross-reads: a tag the portals of two doors both read counts at the door that read it
strongest. Pure: no I/O here; clocks are passed in (monotonic seconds).

Dock doors stand side by side, and a portal's field reaches into its neighbour's: a pallet
going through door 1 is often read, weakly, by door 2's antennas too. Counting it at both
would put the same unit on two shipments. So every LLRP reader of the gate reports each read
(its door and peak RSSI) here, and a reader holds a tag's new scan for a moment
(``cross_read_hold``) before asking :meth:`CrossReads.decide` whether the tag is its door's:

- a door that has already counted the tag (its claim is still alive: that door read the tag
  within the window) keeps it: the others drop their reads as cross-reads;
- otherwise the door with the strongest peak RSSI among the doors that read the tag within
  the window wins (a read with no RSSI is the weakest; a tie goes to the lower door id), and
  claims the tag.

The window is the readers' dedupe window (the longest of them): a door whose reads of a tag
stopped longer ago than that no longer competes for it, and its claim lapses.

A peak RSSI above ``MAX_RSSI_DBM`` is no UHF tag's: a reader in error or one that lies. It
counts as a read with no RSSI, the weakest, so such a reader never takes another door's
tags with it (attack20: a reader reporting +127 dBm won every cross-read, and the door whose
portal the pallet really passed never counted it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

NO_RSSI = float("-inf")
#: The strongest peak RSSI a read may have (dBm): a tag's backscatter reaches a reader far
#: below the reader's own 30 dBm or so of transmit power; readers report -20 to -90 dBm.
MAX_RSSI_DBM = 0.0


@dataclass(slots=True)
class _Door:
    peak: float
    last_seen: float


@dataclass(slots=True)
class _Tag:
    doors: dict[str, _Door] = field(default_factory=dict)
    claimed: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether ``door`` counts the tag; otherwise ``winner`` does (with its peak RSSI)."""

    counts: bool
    winner: str
    winner_rssi: float | None
    own_rssi: float | None


class CrossReads:
    """The doors' reads of each tag in the last window, and which door counted it."""

    def __init__(self, window: float) -> None:
        if window <= 0:
            raise ValueError("window must be positive")
        self.window = window
        self._tags: dict[str, _Tag] = {}
        self._last_sweep = 0.0

    def __len__(self) -> int:
        return len(self._tags)

    def seen(self, tag: str, door: str, rssi: float | None, now: float) -> None:
        """One read of ``tag`` at ``door`` (after the reader's ``min_rssi``)."""
        self._sweep(now)
        entry = self._tags.setdefault(tag, _Tag())
        value = NO_RSSI if rssi is None or not rssi <= MAX_RSSI_DBM else rssi
        read = entry.doors.get(door)
        if read is None or now - read.last_seen >= self.window:
            entry.doors[door] = _Door(value, now)
        else:
            read.peak = max(read.peak, value)
            read.last_seen = now

    def decide(self, tag: str, door: str, now: float) -> Verdict:
        """Whether ``door``'s new scan of ``tag`` counts; a winning door claims the tag."""
        entry = self._tags.setdefault(tag, _Tag())
        live = {d: r for d, r in entry.doors.items() if now - r.last_seen < self.window}
        own = live.get(door)
        if entry.claimed is not None and entry.claimed not in live:
            entry.claimed = None  # the claiming door has not read it for a window
        if entry.claimed is not None:
            winner = entry.claimed
        elif live:
            winner = max(sorted(live), key=lambda d: live[d].peak)
        else:
            winner = door
        if winner == door:
            entry.claimed = door
        there = live.get(winner)
        return Verdict(winner == door, winner, _dbm(there), _dbm(own))

    def claimed_by(self, tag: str) -> str | None:
        """The door that counted ``tag`` (its claim is checked at its next ``decide``)."""
        entry = self._tags.get(tag)
        return None if entry is None else entry.claimed

    def _sweep(self, now: float) -> None:
        """Forgets tags no door has read for a window (at most once per window)."""
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        stale = [
            tag
            for tag, entry in self._tags.items()
            if all(now - r.last_seen >= self.window for r in entry.doors.values())
        ]
        for tag in stale:
            del self._tags[tag]


def _dbm(read: _Door | None) -> float | None:
    return None if read is None or read.peak == NO_RSSI else read.peak
