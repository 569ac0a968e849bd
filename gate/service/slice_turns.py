"""Turns between scan batches decided slice by slice and the changes that must not fall
between two of their slices.

A portal's batch is decided in slices, with other requests served in between
(``gate.service.scan_path.SLICE_SCANS``), so that a single scan at another door does not
wait for a whole truck's batch. A change to a shipment (a seal, a dispatch, a cancel, an
approval, a new table or licence, an operator's release of a door) must still fall before or
after each batch, never between two of its slices: a seal between them would make the
batch's later reads "read after seal" and hold the door after its truck had left.

So a change first waits here (``settled``) until no batch is being decided, then decides
without awaiting anything until its change is staged (``Committer.begin``). Batches of
several slices that arrive while a change waits start only once every waiting change has
returned from ``settled``: a portal reading without pause cannot keep a seal waiting.

Between two slices of a batch other requests are served. While small requests come (one of
a slice or less in the last ``PACE_SECONDS``), a batch's next slice is decided only once its
last is on its way to the writer (``Change.taken``, ``Slices.next``), so that one send to
the writer process carries one slice of it: decided at once, the three slices after the
first went in one send of 75 scans (5-7 ms to commit) that every single scan decided
meanwhile queued behind. With no small request about, the slices follow at once (larger
sends: more scans a second). The commit step's stall bound counts from the batch's first
slice handed over (``Slices.started``), so these waits are inside it: a batch's caller waits
no longer for a paced batch than for one decided at once.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

#: Seconds after a request of one slice or less during which a batch's slices are paced.
PACE_SECONDS = 0.1
#: Seconds a batch waits at most for its last slice to be taken (normally one commit, a few
#: milliseconds); after a longer wait (a writer that stalls: the commit step's own bound
#: answers for that) its later slices follow at once.
PACE_WAIT = 0.1


class Slices:
    """One batch's way from a slice to the next (``SliceTurns.batch``)."""

    def __init__(self, turns: SliceTurns, bound: float) -> None:
        self._turns = turns
        self._paced = True
        self._bound = bound
        #: When the batch's first slice was handed over (``time.monotonic``; None: not yet):
        #: its caller's wait for the writer, the paced waits included, is bounded from then
        #: (``Committer.ended``'s ``since``).
        self.started: float | None = None

    async def next(self, taken: asyncio.Future[None] | None) -> None:
        """Returns when the batch may decide its next slice: after other requests had a turn
        and, while small requests come (``PACE_SECONDS``), once its last slice is on its way
        to the writer (``taken``: ``Change.taken``), ``PACE_WAIT`` at most and never past the
        batch's stall bound (a batch of 40 slices may wait 39 times)."""
        now = time.monotonic()
        if self.started is None:
            self.started = now  # called first once the first slice is handed over
        recent = now - self._turns.small_at < PACE_SECONDS
        if taken is None or taken.done() or not (recent and self._paced):
            await asyncio.sleep(0)
            return
        left = self.started + self._bound - now
        done, _ = await asyncio.wait([taken], timeout=max(0.0, min(PACE_WAIT, left)))
        self._paced = bool(done)


class SliceTurns:
    """The batches being decided slice by slice, and the changes waiting for them."""

    def __init__(self) -> None:
        self._deciding: set[asyncio.Future[None]] = set()
        self._holding = 0  # changes waiting in ``settled``
        self._clear = asyncio.Event()  # set while no change waits
        self._clear.set()
        #: When the last request of one slice or less came (``time.monotonic``).
        self.small_at = -PACE_SECONDS

    @asynccontextmanager
    async def batch(self, sliced: bool = True, bound: float = math.inf) -> AsyncIterator[Slices]:
        """A batch decided slice by slice within the block: it starts once no change is
        waiting, and the changes that come while it runs wait for its end. A batch of one
        slice (``sliced`` false) waits for nothing: it is a small request (``Slices.next``).
        ``bound``: the commit step's stall bound, which its paced waits stay within."""
        if not sliced:
            self.small_at = time.monotonic()
            yield Slices(self, bound)
            return
        while self._holding:
            await self._clear.wait()
        deciding = asyncio.get_running_loop().create_future()
        self._deciding.add(deciding)
        try:
            yield Slices(self, bound)
        finally:
            self._deciding.discard(deciding)
            deciding.set_result(None)

    async def settled(self) -> None:
        """Returns once no batch is being decided slice by slice (those begun before this
        and any that began while it waited)."""
        if not self._deciding:
            return
        self._holding += 1
        self._clear.clear()
        try:
            while self._deciding:
                await asyncio.wait(tuple(self._deciding))
        finally:
            self._holding -= 1
            if not self._holding:
                self._clear.set()

    def busy(self) -> int:
        """How many batches are being decided slice by slice (for tests)."""
        return len(self._deciding)

    def waiting(self) -> int:
        """How many changes wait in ``settled`` (for tests)."""
        return self._holding
