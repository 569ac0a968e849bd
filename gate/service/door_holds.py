"""Door holds: goods passed a portal and no tag was read, so nobody knows what went through.

A reader with a motion sensor or light barrier on a GPI port opens a read window when the
sensor trips and closes it when it clears (``gate.ingest.readers.llrp``). A window in which
goods passed but no tag was read is an unknown load: the door is *held* (amber, "goods
passed without a readable tag") until an operator acknowledges it on the page (having
checked and scanned the goods by hand). While a door is held its shipment is not dispatched
(409).

A hold and its acknowledgement are changes like any other: decided, written with their
journal record (``door.held``, ``door.hold_acknowledged``) in one transaction through the
docks' commit step, and only then taken into memory and published (``door_hold`` events,
and an alert). The open holds are kept in their own table (``door_holds``), so a restart
keeps a door held: a hold is never lost to a restart.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from gate.core.shipment_values import Shipment
from gate.errors import Conflict, NotFound
from gate.service.commit_step import Change
from gate.service.docks import Docks
from gate.service.event_shapes import door_held_alert, door_hold_event
from gate.storage import journal

EMPTY_WINDOW: Final = "goods passed without a readable tag"


@dataclass(frozen=True, slots=True)
class Hold:
    door: str
    reason: str
    reader: str
    held_at: str

    def doc(self) -> dict[str, Any]:
        return {"door": self.door, "reason": self.reason, "reader": self.reader, "at": self.held_at}


class DoorHolds:
    """The doors held now, and the two operations on them."""

    def __init__(self, docks: Docks) -> None:
        self.docks = docks
        self.held: dict[str, Hold] = {}
        self.on_change: Callable[[], None] = lambda: None
        self._pending: set[str] = set()  # holds being written

    async def load(self) -> None:
        """Reads the open holds (a restart keeps a door held)."""
        rows = await self.docks.store.read(
            lambda conn: conn.execute(
                "SELECT door, reason, reader, held_at FROM door_holds ORDER BY door"
            ).fetchall()
        )
        self.held = {door: Hold(door, reason, reader, at) for door, reason, reader, at in rows}

    def is_held(self, door: str) -> bool:
        return door in self.held

    def doc(self, door: str) -> dict[str, Any] | None:
        hold = self.held.get(door)
        return None if hold is None else hold.doc()

    def check_dispatch(self, shipment: Shipment) -> None:
        """Raises Conflict (409, nothing changes) while the shipment's door is held."""
        hold = self.held.get(shipment.door)
        if hold is not None:
            raise Conflict(
                f"door {shipment.door} is held ({hold.reason}, reader {hold.reader}, at"
                f" {hold.held_at}): an operator must acknowledge it on the page first",
                extra={"door": shipment.door, "hold": hold.doc()},
            )

    async def hold(self, door: str, reader: str, reason: str = EMPTY_WINDOW) -> bool:
        """Holds ``door`` (journaled, alerted); False when it was held already (the first
        hold stands until acknowledged). Raises Unavailable when it could not be written."""
        if door in self.held or door in self._pending or door not in self.docks.doors:
            return False
        self.docks.committer.require_ok()
        at = self.docks.clock()
        hold = Hold(door, reason, reader, at.isoformat())
        shipment = self.docks.door_shipment(door)
        data = {**hold.doc(), "shipment": None if shipment is None else shipment.id}

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR IGNORE INTO door_holds (door, reason, reader, held_at)"
                " VALUES (?, ?, ?, ?)",
                (door, reason, reader, hold.held_at),
            )
            journal.append(
                conn, kind="door.held", actor=f"reader:{reader}", subject=door, data=data, ts=at
            )

        change = Change(sql=[write], committed=[lambda: self._set(door, hold)])
        change.events.append(("door_hold", door_hold_event(door, hold.doc())))
        change.events.append(("alert", door_held_alert(door, reason, reader)))
        self._pending.add(door)
        try:
            await self.docks.committer.apply(change)
        finally:
            self._pending.discard(door)
        return True

    async def acknowledge(self, door: str, actor: str, note: str = "") -> Hold:
        """An operator releases the hold (journaled with who and their note). Raises NotFound
        (an unknown door), Conflict (the door is not held), Unavailable."""
        if door not in self.docks.doors:
            raise NotFound(f"unknown door {door!r}")
        hold = self.held.get(door)
        if hold is None:
            raise Conflict(f"door {door} is not held")
        self.docks.committer.require_ok()
        at = self.docks.clock()
        data = {**hold.doc(), "note": note[:500]}

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM door_holds WHERE door = ?", (door,))
            journal.append(
                conn, kind="door.hold_acknowledged", actor=actor, subject=door, data=data, ts=at
            )

        change = Change(sql=[write], committed=[lambda: self._set(door, None)])
        change.events.append(("door_hold", door_hold_event(door, None)))
        await self.docks.committer.apply(change)
        return hold

    def _set(self, door: str, hold: Hold | None) -> None:
        if hold is None:
            self.held.pop(door, None)
        else:
            self.held[door] = hold
        self.on_change()
