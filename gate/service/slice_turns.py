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
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class SliceTurns:
    """The batches being decided slice by slice, and the changes waiting for them."""

    def __init__(self) -> None:
        self._deciding: set[asyncio.Future[None]] = set()
        self._holding = 0  # changes waiting in ``settled``
        self._clear = asyncio.Event()  # set while no change waits
        self._clear.set()

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """A batch decided slice by slice within the block: it starts once no change is
        waiting, and the changes that come while it runs wait for its end."""
        while self._holding:
            await self._clear.wait()
        deciding = asyncio.get_running_loop().create_future()
        self._deciding.add(deciding)
        try:
            yield
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
