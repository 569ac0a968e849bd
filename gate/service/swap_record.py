"""The journal record of a swap of the data decisions rest on, in the order of effect.

A reload's new policy (``policy.changed``, gate/service/reloader.py) and a signed bundle
(``reference.applied``, gate/service/reference_swap.py) are journaled in the step that swaps
the new data in, as a reload's lists are (``lists.changed``, attack13): the record is begun
through the docks' commit step (``Committer.begin``) as a change of its own, and the data is
swapped in before the loop runs anything else. So every change decided before the swap (on
the old data) takes its place among the writes before the record, and every change decided
after it (on the new data) after it, whichever writer takes it. Written first and swapped
after a wait for the scan batches, a dispatch decided meanwhile on the old data was journaled
after the record of the new (audit14).

The new data is then in use as a staged value is: if the record is not stored, the change's
``rolled_back`` puts the old data back in the step that learns it, before any other decision,
and the caller refuses the swap. The swap's own re-decisions of the shipments carry
``stored_first`` as their first step: each is stored only if the record is in the journal by
then (in its transaction, or one committed before), so none is journaled on data whose record
is not. Not enforced: another change decided on the new data while the record was written, and
handed to a writer before the record failed, is stored unless its own write fails too (as for
a reload's lists, ``ScreeningState._swap``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable

from gate.errors import StaleDecision
from gate.service.commit_step import Change

#: Starts a change's write in the order changes are decided (``Committer.begin``).
Begin = Callable[[Change], "asyncio.Future[None]"]


class SwapRecord:
    """One swap's journal record: ``write`` appends it and returns its ``seq``."""

    def __init__(self, kind: str, write: Callable[[sqlite3.Connection], int]) -> None:
        self.kind = kind
        self._write = write
        self._seq: int | None = None  # set and read on the store's thread only
        self._ending: asyncio.Future[None] | None = None

    def begin(self, commit: Begin, take_back: Callable[[], None]) -> None:
        """Begins the record's write; ``take_back`` puts the old data back if it fails. The
        caller swaps the new data in before it next awaits."""

        def step(conn: sqlite3.Connection) -> None:
            self._seq = self._write(conn)

        self._ending = commit(Change(sql=[step], rolled_back=[take_back]))

    def stored_first(self, conn: sqlite3.Connection) -> None:
        """A write step for a change decided on the swapped data: raises StaleDecision
        (nothing of that change stored) unless the record is in the journal."""
        seq = self._seq
        found = (
            seq is not None
            and conn.execute(
                "SELECT 1 FROM audit WHERE seq = ? AND kind = ?", (seq, self.kind)
            ).fetchone()
        )
        if not found:
            raise StaleDecision(f"decided on data whose {self.kind} record was not stored")

    async def error(self) -> BaseException | None:
        """Waits for the record's write to end; its error (None: stored)."""
        ending = self._ending
        if ending is None:
            raise RuntimeError("the record was not begun")
        await asyncio.wait([ending])
        return asyncio.CancelledError() if ending.cancelled() else ending.exception()
