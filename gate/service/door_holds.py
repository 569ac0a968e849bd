"""Door holds: goods passed a portal and no tag was read, so nobody knows what went through.

A reader with a motion sensor or light barrier on a GPI port opens a read window when the
sensor trips and closes it when it clears (``gate.ingest.readers.llrp``). A window in which
goods passed but no tag was read is an unknown load: the door is *held* (amber, "goods
passed without a readable tag") until an operator acknowledges it on the page (having
checked and scanned the goods by hand). While a door is held its shipment is not dispatched
(409).

**Fail closed: memory first.** An empty window holds the door in memory at once, before
any await: dispatch is refused, the light and the page show it (a ``door_hold`` event and
an alert go out at once), even while the write is pending or failing. The window is then
written (a ``door.held`` journal record and the ``door_holds`` row, in one transaction
through the docks' commit step); a write that fails (the database locked by another
process) is retried with a backoff until it is stored, or until the gate latches and
refuses every change. A hold is never dropped: not by a failed write, and not by a restart
(the table is read at the start).

**Every window counts.** A second empty window at a held door is journaled and alerted
too, and the hold counts them (``windows``). An acknowledgement names the count the
operator saw (``{"windows": n}``, what the page's button sends): if another window came
since, it is refused (409) and the door stays held; while a window is still being written
it is refused too (503). The acknowledgement is journaled (``door.hold_acknowledged``).

**A portal reader down holds its door.** A reader with a sensor is what holds the door for
goods passing unread; while its session is down nothing is read and no window opens, so a
door whose sensor portal goes down is held ("portal reader down: goods may have passed
unread"), journaled, alerted and stored like an empty window: whether or not a shipment is at
it. An idle door too (fail closed): goods loaded into the trailer meanwhile were neither read
nor seen (the gate holds a controlled item read with no shipment open, and an empty window at
an idle door, but a portal down reads nothing and opens no window), and a shipment created
there after the portal is back would dispatch with them. The cost, accepted: an operator
checks the trailer and acknowledges once after a portal rebooted at night. A shipment created
at a door so held finds it held (its dispatch refused until the acknowledgement): the
outage's one window, not a second. At once, with no grace for a quick reconnect: the reader
reads its sensor's level again when it is back, but a pass that began and ended meanwhile
leaves no trace, and a pass is not longer than a reconnect. Once per outage (repeated failed
attempts are one outage, and a reader is up again only once it follows its sensor, not when
it merely answers); a reader is not down before its first attempt at the start fails (a gate
whose portals answer at the start holds nothing), but until that attempt ends no
acknowledgement is taken at its door (``starting``: a hold from before the restart released
then left the door unguarded with no hold until the attempt failed: review20). The reader
being back does not release the door; an operator does, and not while one of the door's
sensor portals is still down (409: the door would be unguarded again with no hold). So a
door is held whenever one of its sensor portals is down (``down``): only an acknowledgement
releases a hold, and it is refused then. A portal that never comes back keeps the door held:
the way out is a restart with it repaired or taken out of the config. Its coming back at a
held door is announced (a ``door_hold`` event with ``readers_down``, as its going down is with
the window it counts), so the page says at once whether the acknowledgement is taken. A
reader with no sensor guards nothing, and its outage holds nothing.

**A prohibited item held is red.** Goods read after their shipment was sealed hold the door
too (``hold_in``, from the scan path); when the rules would prohibit that item in that
shipment the window is *prohibited*, and so is the hold from then on (``Hold.prohibited``):
the light shows red, not amber (``gate.core.stack_light``), until an operator acknowledges
it. Sticky: a later ordinary window at the door counts, and never makes it amber again.
Stored with the hold (its ``prohibited`` column, journaled in each ``door.held`` record), so
a restart keeps the door red.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Final

from gate.core.shipment_values import Shipment
from gate.core.stack_light import held_signal
from gate.errors import Conflict, NotFound, Unavailable
from gate.service.commit_step import Change
from gate.service.docks import Docks
from gate.service.event_shapes import door_held_alert, door_hold_event
from gate.storage import journal

log = logging.getLogger("gate.service.door_holds")

EMPTY_WINDOW: Final = "goods passed without a readable tag"
PORTAL_DOWN: Final = "portal reader down: goods may have passed unread"


#: Seconds between attempts to store a window whose write failed (doubling up to the max).
RETRY_INITIAL: Final = 0.05
RETRY_MAX: Final = 2.0


@dataclass(frozen=True, slots=True)
class Hold:
    door: str
    reason: str
    reader: str
    held_at: str  # the first window's time
    windows: int = 1  # the empty windows since the door was held
    last_at: str = ""  # the latest window's time
    prohibited: bool = False  # a window was a prohibited item read after the seal: red

    def counted(self, at: str, reason: str, reader: str, *, prohibited: bool) -> Hold:
        """This hold with one more window at ``at``; prohibited once any window was. The
        window that makes it prohibited gives it its reason and reader (what the operator
        must see: why the door is red)."""
        if prohibited and not self.prohibited:
            return replace(
                self,
                reason=reason,
                reader=reader,
                windows=self.windows + 1,
                last_at=at,
                prohibited=True,
            )
        return replace(self, windows=self.windows + 1, last_at=at)

    def doc(self) -> dict[str, Any]:
        return {
            "door": self.door,
            "reason": self.reason,
            "reader": self.reader,
            "at": self.held_at,
            "windows": self.windows,
            "last_at": self.last_at or self.held_at,
            "prohibited": self.prohibited,
        }


@dataclass(frozen=True, slots=True)
class _Window:
    """One empty window not yet stored: the hold as it was once this window counted, and the
    window's own reason and reader (a held door keeps its first ones: review22)."""

    hold: Hold
    at: dt.datetime
    shipment: str | None
    reason: str
    reader: str


class DoorHolds:
    """The doors held now (in memory at once, written after), and the two operations."""

    def __init__(self, docks: Docks) -> None:
        self.docks = docks
        self.held: dict[str, Hold] = {}
        self.on_change: Callable[[], None] = lambda: None
        # Windows held, not yet stored, oldest first; these two are keyed by the window's
        # ``id``: a truck's reads after its seal are thousands of windows in flight, and each
        # one stored took itself out of lists of all the others (seconds of the loop, every
        # door waiting, for 4,000 of them).
        self._unwritten: dict[str, dict[int, _Window]] = {}
        self._locks: dict[str, asyncio.Lock] = {}  # one writer per door, acknowledge too
        self._retries: dict[str, asyncio.Task[None]] = {}
        self._claimed: dict[int, _Window] = {}  # windows a scan batch's change is writing
        #: door -> its sensor portals whose session is down now (memory only: after a
        #: restart a reader is down again once its first attempt fails).
        self.down: dict[str, set[str]] = {}
        #: door -> its sensor portals whose first attempt since the start is under way: not
        #: down (nothing held for them), not guarding either (no acknowledgement taken).
        self.starting: dict[str, set[str]] = {}

    async def load(self) -> None:
        """Reads the open holds (a restart keeps a door held)."""
        rows = await self.docks.store.read(
            lambda conn: conn.execute(
                "SELECT door, reason, reader, held_at, windows, last_at, prohibited"
                " FROM door_holds ORDER BY door"
            ).fetchall()
        )
        self.held = {
            door: Hold(door, reason, reader, at, windows, last_at or at, bool(prohibited))
            for door, reason, reader, at, windows, last_at, prohibited in rows
        }

    async def close(self) -> None:
        """Stops the retries (the gate is stopping; an unwritten window is lost with the
        process, and logged)."""
        for door, task in list(self._retries.items()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if self._unwritten.get(door):
                log.error("door %s: a hold was not stored before the stop", door)
        self._retries.clear()

    def is_held(self, door: str) -> bool:
        return door in self.held

    def is_prohibited(self, door: str) -> bool:
        """Whether ``door``'s hold is for a prohibited item (its light shows red)."""
        hold = self.held.get(door)
        return hold is not None and hold.prohibited

    def kind(self, door: str) -> bool | None:
        """None when ``door`` is not held; else whether its hold is for a prohibited item."""
        hold = self.held.get(door)
        return None if hold is None else hold.prohibited

    def shown(self, door_event: dict[str, Any]) -> dict[str, Any]:
        """A ``door`` event with its signal as the door's hold shows it (never green held)."""
        prohibited = self.kind(door_event["id"])
        if prohibited is None:
            return door_event
        signal = held_signal(door_event["signal"], held=True, prohibited_hold=prohibited)
        return {**door_event, "signal": signal}

    async def portal_down(self, door: str, reader: str) -> None:
        """``reader``, a sensor portal of ``door``, is down (its session ended, or its first
        attempt failed): the door is held, a shipment at it or not, once per outage (a held
        door counts the outage's window). Raises NotFound for an unknown door."""
        _discard(self.starting, door, reader)
        readers = self.down.setdefault(door, set())
        if reader in readers:
            return
        readers.add(reader)
        await self.hold(door, reader, PORTAL_DOWN)

    def portal_up(self, door: str, reader: str) -> None:
        """``reader``'s session is up again: its door's hold stays until acknowledged, and is
        announced (the page says at once that the acknowledgement is taken: review20)."""
        _discard(self.starting, door, reader)
        if _discard(self.down, door, reader):
            doc = self.doc(door)
            if doc is not None:
                self.docks.events.publish("door_hold", door_hold_event(door, doc))
            self.on_change()

    def portal_starting(self, door: str, reader: str) -> None:
        """``reader``, a sensor portal of ``door``, makes its first attempt (the gate
        started): until it connects or fails, an acknowledgement at its door is refused."""
        self.starting.setdefault(door, set()).add(reader)

    def unguarded(self, door: str) -> list[str]:
        """The door's sensor portals down now, or not connected yet since the start."""
        return sorted(self.down.get(door, set()) | self.starting.get(door, set()))

    def unwritten(self, door: str) -> int:
        """How many of the door's empty windows are not stored yet."""
        return len(self._unwritten.get(door, ()))

    def doc(self, door: str) -> dict[str, Any] | None:
        hold = self.held.get(door)
        if hold is None:
            return None
        down = self.unguarded(door)
        return {**hold.doc(), "stored": not self._unwritten.get(door), "readers_down": down}

    def check_dispatch(self, shipment: Shipment) -> None:
        """Raises Conflict (409, nothing changes) while the shipment's door is held, the
        hold stored or still being written."""
        hold = self.held.get(shipment.door)
        if hold is not None:
            raise Conflict(
                f"door {shipment.door} is held ({hold.reason}, reader {hold.reader}, at"
                f" {hold.held_at}, {hold.windows} window(s)): an operator must acknowledge"
                " it on the page first",
                extra={"door": shipment.door, "hold": hold.doc()},
            )

    async def hold(
        self, door: str, reader: str, reason: str = EMPTY_WINDOW, *, prohibited: bool = False
    ) -> Hold:
        """Holds ``door`` for one empty window (``prohibited``: a prohibited item's, which
        makes the hold prohibited): in memory at once (before any await), then journaled and
        stored; a held door counts the window. Returns the hold. A failed write is retried in
        the background (logged); the door stays held meanwhile. Raises NotFound for an
        unknown door."""
        hold = self._take(door, reader, reason, prohibited=prohibited)
        await self._store(door)
        return hold

    def hold_in(
        self,
        change: Change,
        door: str,
        reader: str,
        reason: str,
        *,
        prohibited: bool = False,
    ) -> Hold:
        """``hold`` for a caller deciding a change it has not written yet (the scan path
        deciding a batch): held in memory before it returns, and the window written in
        ``change`` itself, so the answer that says the door is held goes out only once the
        hold is stored. If ``change`` is not stored, the window is retried on its own.
        Raises NotFound."""
        hold = self._take(door, reader, reason, announce=False, prohibited=prohibited)
        window = next(reversed(self._unwritten[door].values()))  # the one just taken
        self._claimed[id(window)] = window  # written by ``change``: not by a flush meanwhile
        events = [
            ("door_hold", door_hold_event(door, hold.doc())),
            ("alert", door_held_alert(door, reason, reader, hold.windows)),
        ]
        change.sql.append(self._writer(door, [window]))
        change.committed.append(lambda: self._stored(door, [window]))
        change.committed.append(lambda: self._as_api(change, door))
        change.events.extend(events)

        def not_stored() -> None:  # held in memory still: say so now, and write it later
            self._claimed.pop(id(window), None)
            self.docks.events.publish_all(events)
            self._retry(door)

        change.rolled_back.append(not_stored)
        return hold

    def _take(
        self,
        door: str,
        reader: str,
        reason: str,
        *,
        announce: bool = True,
        prohibited: bool,
    ) -> Hold:
        """The hold, in memory (and announced: events, alert), its window queued to be
        written; a prohibited window makes the hold prohibited (never the other way). Raises
        NotFound for an unknown door."""
        if door not in self.docks.doors:
            raise NotFound(f"unknown door {door!r}")
        at = self.docks.clock()
        stamp = at.isoformat()
        before = self.held.get(door)
        hold = (
            Hold(door, reason, reader, stamp, 1, stamp, prohibited)
            if before is None
            else before.counted(stamp, reason, reader, prohibited=prohibited)
        )
        current = self.docks.door_shipment(door)
        self.held[door] = hold
        window = _Window(hold, at, None if current is None else current.id, reason, reader)
        self._unwritten.setdefault(door, {})[id(window)] = window
        if announce:
            # As the door's API shows it (``readers_down``, ``stored``): the hold's document.
            self.docks.events.publish("door_hold", door_hold_event(door, self.doc(door)))
            self.docks.events.publish("alert", door_held_alert(door, reason, reader, hold.windows))
        self.on_change()
        return hold

    async def _store(self, door: str) -> None:
        """Writes the door's queued windows, or leaves them to the retries."""
        if door not in self._retries:
            try:
                await self._flush(door)
            except asyncio.CancelledError:  # the reader's session ended: the write goes on
                self._retry(door)
                raise
            except Exception as exc:  # kept in memory; retried until stored
                log.error("door %s: the hold could not be stored yet (retrying): %s", door, exc)
                self._retry(door)

    async def acknowledge(self, door: str, actor: str, windows: int | None, note: str = "") -> Hold:
        """An operator releases the hold, naming the count of windows they saw (journaled
        with who and their note). Raises NotFound (an unknown door), Conflict (the door is
        not held, another window came since, or a sensor portal of the door is down),
        Unavailable (a window is not stored yet, or the gate takes no changes)."""
        if door not in self.docks.doors:
            raise NotFound(f"unknown door {door!r}")
        async with self._lock(door):
            # After the scan batches that arrived before it (the windows they open count),
            # and with nothing awaited from here until its change is staged: waited for
            # before the door's lock, a batch could begin while the lock was awaited and the
            # acknowledgement fall between two of its slices.
            await self.docks.scan_path.turns.settled()
            hold = self.held.get(door)
            if hold is None:
                raise Conflict(f"door {door} is not held")
            if windows != hold.windows:
                raise Conflict(
                    f"door {door} is held for {hold.windows} empty window(s) (the latest at"
                    f" {hold.last_at}), not the {windows} acknowledged: check the goods again"
                    " and acknowledge what the page shows now",
                    extra={"door": door, "hold": hold.doc()},
                )
            down = self.unguarded(door)
            if down:
                raise Conflict(
                    f"door {door}: portal reader {', '.join(down)} is down: goods passing now"
                    " are not read; acknowledge once it is back (one that cannot be repaired:"
                    " take it out of gate.toml and restart the gate)",
                    extra={"door": door, "hold": hold.doc(), "readers_down": down},
                )
            if self._unwritten.get(door):
                raise Unavailable(f"door {door}: its hold is still being stored, try again")
            self.docks.committer.require_ok()
            at = self.docks.clock()
            data = {**hold.doc(), "note": note[:500]}

            def write(conn: sqlite3.Connection) -> None:
                conn.execute("DELETE FROM door_holds WHERE door = ?", (door,))
                journal.append(
                    conn,
                    kind="door.hold_acknowledged",
                    actor=actor,
                    subject=door,
                    data=data,
                    ts=at,
                )

            change = Change(sql=[write])
            change.events.append(("door_hold", door_hold_event(door, None)))

            def released() -> None:
                self._release(door, hold)
                if door in self.held:
                    # A window counted while this was written keeps the door held: announced
                    # as it is, not released (the page would drop that window's alert:
                    # review22).
                    change.events[:] = [("door_hold", door_hold_event(door, self.doc(door)))]

            change.committed.append(released)
            await self.docks.committer.apply(change)
        return hold

    # --- writing ----------------------------------------------------------------------------

    def _lock(self, door: str) -> asyncio.Lock:
        return self._locks.setdefault(door, asyncio.Lock())

    async def _flush(self, door: str) -> None:
        """Writes the door's unwritten windows, oldest first, in one change. Raises what the
        write raised (the windows stay unwritten)."""
        async with self._lock(door):
            unwritten = self._unwritten.get(door, {})
            batch = [w for key, w in unwritten.items() if key not in self._claimed]
            if not batch:
                return
            self.docks.committer.require_ok()
            last = batch[-1].hold
            change = Change(
                sql=[self._writer(door, batch)], committed=[lambda: self._stored(door, batch)]
            )
            # The hold as memory has it now: windows are written out of order (a prohibited
            # one with its scan batch may be stored before an earlier ordinary one).
            now = self.held.get(door, last)
            change.events.append(("door_hold", door_hold_event(door, now.doc())))
            change.committed.append(lambda: self._as_api(change, door))
            await self.docks.committer.apply(change)

    def _as_api(self, change: Change, door: str) -> None:
        """``change``'s ``door_hold`` events of ``door``, once it is stored, as the door's API
        shows its hold (``stored``, ``readers_down``: review22), not the bare hold."""
        doc = self.doc(door)
        if doc is not None:
            change.events[:] = [
                ("door_hold", door_hold_event(door, doc))
                if kind == "door_hold" and data.get("door") == door
                else (kind, data)
                for kind, data in change.events
            ]

    def _retry(self, door: str) -> None:
        if door not in self._retries:
            self._retries[door] = asyncio.create_task(
                self._retry_until_stored(door), name=f"door-hold-{door}"
            )

    async def _retry_until_stored(self, door: str) -> None:
        """Retries the door's unwritten windows with a backoff until they are stored, or
        the gate latched (it then refuses every change; the hold stays in memory)."""
        delay = RETRY_INITIAL
        try:
            while self._unwritten.get(door):
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                if self.docks.committer.failed is not None:
                    log.error("door %s: the hold stays in memory only: the gate is latched", door)
                    return
                try:
                    await self._flush(door)
                except Exception as exc:
                    log.warning("door %s: the hold is still not stored: %s", door, exc)
                    continue
                log.info("door %s: the hold is stored", door)
        finally:
            self._retries.pop(door, None)

    @staticmethod
    def _writer(door: str, windows: list[_Window]) -> Callable[[sqlite3.Connection], None]:
        """The SQL that stores ``windows`` of ``door``: the hold as of the last of them, and
        a ``door.held`` record each, its window's reader's: the hold as it then stood and the
        window itself (``window``: a portal's outage at a door held for an empty window is
        journaled as the outage, not as the hold's first reason: review22)."""
        last = windows[-1].hold

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO door_holds"
                " (door, reason, reader, held_at, windows, last_at, prohibited)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (door) DO UPDATE SET"
                " windows = MAX(windows, excluded.windows), last_at = excluded.last_at,"
                # Windows can be written out of order (one with its scan batch, one on its
                # own): prohibited only ever turns on, and brings the reason that turned it.
                " reason = IIF(excluded.prohibited > prohibited, excluded.reason, reason),"
                " reader = IIF(excluded.prohibited > prohibited, excluded.reader, reader),"
                " prohibited = MAX(prohibited, excluded.prohibited)",
                (
                    door,
                    last.reason,
                    last.reader,
                    last.held_at,
                    last.windows,
                    last.last_at,
                    int(last.prohibited),
                ),
            )
            for w in windows:
                journal.append(
                    conn,
                    kind="door.held",
                    actor=f"reader:{w.reader}",
                    subject=door,
                    data={
                        **w.hold.doc(),
                        "shipment": w.shipment,
                        "window": {"reason": w.reason, "reader": w.reader, "at": w.at.isoformat()},
                    },
                    ts=w.at,
                )

        return write

    def _stored(self, door: str, windows: list[_Window]) -> None:
        """Takes the stored ``windows`` out of the door's unwritten ones."""
        left = self._unwritten.get(door, {})
        for window in windows:
            self._claimed.pop(id(window), None)
            left.pop(id(window), None)
        if not left:
            self._unwritten.pop(door, None)
        self.on_change()

    def _release(self, door: str, hold: Hold) -> None:
        # Only the hold acknowledged: a window counted meanwhile keeps the door held.
        if self.held.get(door) == hold:
            del self.held[door]
        self.on_change()


def _discard(readers: dict[str, set[str]], door: str, reader: str) -> bool:
    """Takes ``reader`` out of ``door``'s set in ``readers``; True when it was in it."""
    found = readers.get(door)
    if found is None or reader not in found:
        return False
    found.discard(reader)
    if not found:
        del readers[door]
    return True
