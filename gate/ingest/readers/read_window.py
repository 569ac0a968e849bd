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

A window that opens again during the previous one's tail settles the previous one at once,
with the reads it had: a second pallet's tags never cover for a first pallet's missing one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class ReadWindow:
    """One reader's window; ``windows``/``empty`` count the settled ones."""

    tail: float
    opened_at: float | None = None
    closed_at: float | None = None
    reads: int = 0
    windows: int = 0
    empty: int = 0
    outside: int = 0  # reads dropped while no window was open
    wait_until: float = 0.0  # a closing window settles no sooner (reads being decided)

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "open" if self.closed_at is None else "closing"

    def open(self, now: float) -> bool:
        """The sensor tripped. True when this settled an earlier window that was empty."""
        if self.opened_at is not None and self.closed_at is None:
            return False  # already open
        empty = self._settle() if self.opened_at is not None else False
        self.opened_at, self.closed_at, self.reads = now, None, 0
        return empty

    def close(self, now: float) -> None:
        """The sensor cleared: reads count for ``tail`` seconds more."""
        if self.opened_at is not None and self.closed_at is None:
            self.closed_at = now

    def read(self, now: float, *, readable: bool = True) -> bool:
        """A read at ``now``: True when it falls in the window (and is sent as a scan). Only
        a ``readable`` one (a tag the gate can count) keeps the window from being empty."""
        if self.opened_at is not None and (
            self.closed_at is None or now - self.closed_at < self.tail
        ):
            if readable:
                self.reads += 1
            return True
        self.outside += 1
        return False

    def wait(self, until: float) -> None:
        """A read in the window is being decided until ``until``: a closing window settles
        no sooner, so its ``credit`` is not too late."""
        if self.opened_at is not None:
            self.wait_until = max(self.wait_until, until)

    def credit(self, window: int) -> None:
        """A read decided to count here fills window number ``window`` (``windows`` when the
        read fell in it), if that window has not settled since."""
        if self.opened_at is not None and self.windows == window:
            self.reads += 1

    def due(self, now: float) -> float | None:
        """Seconds until a closing window settles; None when none is closing."""
        if self.closed_at is None:
            return None
        return max(0.0, self.closed_at + self.tail - now, self.wait_until - now)

    def settle(self, now: float) -> bool:
        """Ends a closed window whose tail is over; True when it was empty."""
        due = self.due(now)
        if due is None or due > 0:
            return False
        return self._settle()

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
        }
