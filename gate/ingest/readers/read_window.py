"""A portal's read window, opened and closed by a sensor on the reader's GPI port. Pure: no
I/O here; clocks are passed in (monotonic seconds).

A motion sensor or light barrier at the door trips when goods pass: the window opens on the
sensor's active edge and closes on the inactive one, and reads still count for ``tail``
seconds after it closed (a tag is often read as the pallet leaves the beam). Reads outside a
window are not scans: a pallet parked in the field is not loaded. A window that closes with
no read in it is *empty*: goods passed and no tag was readable, which holds the door
(gate.service.door_holds). Readable means a tag the gate can count (a GS1 EPC it decodes): a
read of any other tag (an asset's GRAI or GIAI, an unprogrammed tag) falls in the window but
does not fill it, or a pallet passing with only such a tag beside it would go uncounted.

Where the readers decide cross-reads (gate.ingest.readers.crossread), a read fills the window
only once it counts at this door: the reader reads with ``readable=False``, ``wait``s for the
decision (the window does not settle before it), and ``credit``s the window the read fell in
if the tag is this door's. A neighbouring door's pallet heard weakly through the field would
otherwise fill this door's window while goods with no tag pass it.

**A parked tag fills no window.** A tag that filled a window and is then read while no window
is open (it stayed in the field after its pass: a pallet set down within the portal's reach,
in the trailer's nose) is *parked*: its reads fall in later windows but do not fill them, for
as long as it stays in the field. Otherwise a counted pallet parked in the field filled every
later window, and goods with no tag passed unheld (attack14). A tag that filled a window stays
known for ``remember`` seconds (a minute) after its last read, not only the ``gone`` seconds
(the reader's dedupe window) that end the stay of one that filled none: a pallet at the edge
of the field is read only now and then, one hidden for a moment behind a forklift not at all,
and each was fresh again after two seconds (review20). A tag first read outside windows in the
first ``gone`` seconds of a session (before ``unknown_until``) is *unknown*: it was in the
field before the reader could see it arrive (after a gate restart, the counted pallet parked
there was taken for one waiting at the beam, and covered untagged goods: review20). Its reads
fill no window until the gate answers its scan (``resolve``, the window ``wait``ing for it): a
tag the gate had counted already is parked; any other (a pallet staged in front of the door)
fills the window its read fell in.

A tag read outside windows later, before it filled one (a pallet waiting at the beam, then
passing), is not parked, nor is one read in two windows with no read between them (the next
pallet tripping the sensor during the tail). So a pallet whose every tag was read while the
pallet before it passed, and then waited in the field, holds the door when it passes (the gate
cannot tell its pass from untagged goods passing while it waited).

A window that opens again during the previous one's tail settles the previous one at once,
with the reads it had: a second pallet's tags never cover for a first pallet's missing one.
If the previous one has no read yet but reads of it are still being decided, it is *late*
instead: it settles empty once their decisions are due (``settle``) unless one credits it
first. Settled at once, a pallet whose tag was first read in its last half second (as it
left the beam) held the door whenever the next pallet followed that closely (review15).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class _Presence:
    """One countable tag's stay in the field: reads no more than ``gone`` seconds apart
    (``remember`` once it filled a window)."""

    last: float
    filled: bool = False  # it filled a window during this stay
    parked: bool = False  # and was read outside windows after that
    unknown: bool = False  # in the field as the session started: the gate's answer tells


@dataclass(slots=True)
class ReadWindow:
    """One reader's window; ``windows``/``empty`` count the settled ones."""

    tail: float
    gone: float = 2.0  # a tag not read this long has left the field (its stay ended)
    remember: float = 60.0  # ... or this long, once it filled a window (review20)
    opened_at: float | None = None
    closed_at: float | None = None
    reads: int = 0
    windows: int = 0
    empty: int = 0
    outside: int = 0  # reads dropped while no window was open
    wait_until: float = 0.0  # a closing window settles no sooner (reads being decided)
    #: Windows opened over while reads of theirs were being decided, none credited yet:
    #: number -> when they settle empty (counted in ``windows`` already).
    late: dict[int, float] = field(default_factory=dict)
    #: Countable tags in the field now (read within ``gone``, or ``remember``): tag -> its
    #: stay.
    present: dict[str, _Presence] = field(default_factory=dict)
    #: A tag whose stay begins outside windows before this (a session's start plus ``gone``)
    #: was in the field already: unknown (the reader sets it when a session starts).
    unknown_until: float = float("-inf")
    parked_reads: int = 0  # reads in a window of a parked tag (not filling it)
    _swept: float = 0.0

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "open" if self.closed_at is None else "closing"

    def open(self, now: float) -> bool:
        """The sensor tripped. True when this settled an earlier window that was empty."""
        if self.opened_at is not None and self.closed_at is None:
            return False  # already open
        empty = False
        if self.opened_at is not None:
            if self.reads == 0 and self.wait_until > now:
                self.late[self.windows] = self.wait_until  # settles once they are decided
                self.windows += 1
            else:
                empty = self._settle()
        self.opened_at, self.closed_at, self.reads = now, None, 0
        self.wait_until = 0.0
        return empty

    def close(self, now: float) -> None:
        """The sensor cleared: reads count for ``tail`` seconds more."""
        if self.opened_at is not None and self.closed_at is None:
            self.closed_at = now

    def read(self, now: float, *, readable: bool = True, tag: str | None = None) -> bool:
        """A read at ``now``: True when it falls in the window (and is sent as a scan). Only
        a ``readable`` one (a tag the gate can count) keeps the window from being empty, and
        only when ``tag`` (the countable tag read, tracked while it stays in the field) is
        not parked. Where cross-reads are decided the reader passes ``readable=False`` and
        the ``tag``, and ``credit``s the window later."""
        inside = self.opened_at is not None and (
            self.closed_at is None or now - self.closed_at < self.tail
        )
        stay = None if tag is None else self._stay(tag, now, inside)
        if inside:
            if readable:
                self._fill(stay)
            return True
        if stay is not None and stay.filled:
            stay.parked = True
        self.outside += 1
        return False

    def _stay(self, tag: str, now: float, inside: bool) -> _Presence:
        """``tag``'s stay in the field, extended to ``now`` (a new one after ``gone``; read
        ``inside`` a window or not)."""
        if now - self._swept >= self.gone:
            self._swept = now
            left = [t for t, stay in self.present.items() if self._left(stay, now)]
            for t in left:
                del self.present[t]
        stay = self.present.get(tag)
        if stay is None or self._left(stay, now):
            unknown = not inside and now < self.unknown_until
            stay = self.present[tag] = _Presence(now, unknown=unknown)
        stay.last = now
        return stay

    def unknown(self, tag: str) -> bool:
        """Whether ``tag`` was in the field as the session started and the gate has not
        answered yet whether it counted it before (``resolve``)."""
        stay = self.present.get(tag)
        return stay is not None and stay.unknown

    def resolve(self, tag: str, window: int, *, counted_before: bool) -> None:
        """The gate answered the scan of ``tag``, an unknown tag read in window number
        ``window``: a tag it had counted already is parked (a pallet parked in the field
        across a restart); any other fills that window, as a tag waiting at the beam does."""
        stay = self.present.get(tag)
        if stay is None or not stay.unknown:
            return
        stay.unknown = False
        if counted_before:
            stay.filled = stay.parked = True
        else:
            self.credit(window, tag)

    def _left(self, stay: _Presence, now: float) -> bool:
        """Whether the tag of ``stay``, unread since ``stay.last``, has left the field."""
        known = stay.filled or stay.unknown
        return now - stay.last >= (max(self.remember, self.gone) if known else self.gone)

    def _fill(self, stay: _Presence | None) -> bool:
        """The open or closing window counts a read of a tag with ``stay`` (None: a tag not
        tracked); False when the tag is parked."""
        if stay is not None:
            if stay.parked:
                self.parked_reads += 1
                return False
            if stay.unknown:
                return False  # until the gate's answer (``resolve``)
            stay.filled = True
        self.reads += 1
        return True

    def wait(self, until: float) -> None:
        """A read in the window is being decided until ``until``: a closing window settles
        no sooner, so its ``credit`` is not too late."""
        if self.opened_at is not None:
            self.wait_until = max(self.wait_until, until)

    def credit(self, window: int, tag: str | None = None) -> None:
        """A read of ``tag`` decided to count here fills window number ``window``
        (``windows`` when the read fell in it), if that window has not settled since and
        the tag is not parked."""
        stay = None if tag is None else self.present.get(tag)
        if stay is not None and stay.parked:
            self.parked_reads += 1
            return
        if stay is not None and stay.unknown:
            return  # the gate's answer credits it (``resolve``)
        if window in self.late:
            del self.late[window]  # a late window: not empty
            if stay is not None:
                stay.filled = True
            return
        if self.opened_at is not None and self.windows == window:
            self._fill(stay)

    def due(self, now: float) -> float | None:
        """Seconds until a closing or late window settles; None when none is either."""
        dues = [until - now for until in self.late.values()]
        closing = self._closing(now)
        if closing is not None:
            dues.append(closing)
        return None if not dues else max(0.0, min(dues))

    def _closing(self, now: float) -> float | None:
        """Seconds until the closing window settles (its tail, its reads' decisions)."""
        if self.closed_at is None:
            return None
        return max(self.closed_at + self.tail - now, self.wait_until - now)

    def settle(self, now: float) -> bool:
        """Ends a closed window whose tail is over and the late ones whose reads were
        decided without a credit; True when one of them was empty."""
        gone = [number for number, until in self.late.items() if until <= now]
        for number in gone:
            del self.late[number]
        self.empty += len(gone)
        closing = self._closing(now)
        if closing is not None and closing <= 0:
            return self._settle() or bool(gone)
        return bool(gone)

    def _settle(self) -> bool:
        empty = self.reads == 0
        self.windows += 1
        self.empty += empty
        self.opened_at = self.closed_at = None
        self.reads = 0
        self.wait_until = 0.0
        return empty

    def doc(self) -> dict[str, object]:
        return {
            "state": self.state,
            "windows": self.windows,
            "empty": self.empty,
            "outside_window": self.outside,
            "parked_reads": self.parked_reads,
        }
