"""The page's alerts, kept across restarts, acknowledged by name, cleared when their cause
is gone.

An alert arrives as an event (``alert``). The book keeps the ones the page shows:

- in memory, newest last, at most ``ALERT_LIMIT``; an alert that repeats one already kept
  (an RFID portal reads the same prohibited tag many times a second) is not kept again: the
  kept one moves up, counts the repeats (``count``) and keeps the time it was first raised;
- and, once the docks are up (``open``), in the ``page_alerts`` table, so that a restart of
  the gate shows the same alerts and who acknowledged them. A row is written after the alert
  is taken: the page may show an alert a moment before it is stored, never the reverse.

An alert that needs an operator (level ``critical`` or ``warning``) waits for an
acknowledgement (``acknowledge``): the acknowledgement is journaled with who made it
(``Docks.record``, the one commit step every page action uses) and then stored with the alert.
An alert about a shipment is cleared when its cause is gone: the shipment left the door
(dispatched, cancelled) or the line it names was removed or is no longer prohibited; an alert
that the control data is stale is cleared when it is current again. A cleared alert leaves the
page; its row stays, with when and why it was cleared.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from gate.errors import NotFound
from gate.service.docks import Docks

ALERT_LIMIT = 50
REPEAT_WRITE_SECONDS = 1.0
#: Levels that ask an operator to acknowledge the alert (``info`` only informs).
NEEDS_ACK = frozenset({"critical", "warning"})
#: Alert kinds that a later alert of another kind clears: (cleared kind, clearing kind).
CLEARED_BY = {
    "stale_data": "data_current",
    "writer_stalled": "writer_flowing",
    "listener_lost": "listener_restored",
    "reader_listener_lost": "reader_listener_restored",
    # Not an alert: the page's follower turns a ``door_hold`` event that releases a door into
    # this key (``overview``), so the door's hold alert goes when an operator acknowledged it.
    "door_held": "door_released",
}
#: Fields naming what an alert is about (a listener, a reader): the alert that clears it
#: must name the same one (one reader listening again does not clear another's alert).
SUBJECTS = ("listener", "reader", "door")
#: Kinds about the sockets of one life of the gate: a restart leaves them behind, cleared.
LIFE_BOUND = frozenset({"listener_lost", "reader_listener_lost"})
#: What makes two alerts the same.
SAME = ("level", "kind", "text", "shipment", *SUBJECTS)
#: States in which a shipment has left the door.
FINAL = frozenset({"dispatched", "cancelled"})


def _clearing(kind: str, alert: Mapping[str, Any]) -> str:
    """The key an alert of ``kind`` must bring to clear ``alert`` (``sweep``'s seen keys)."""
    for field in SUBJECTS:
        if alert.get(field) is not None:
            return f"{kind}@{alert[field]}"
    return kind


def seen_keys(data: Mapping[str, Any]) -> set[str]:
    """What an alert just raised may clear: its kind, for an alert about something
    (``SUBJECTS``) its kind and what it is about."""
    return {_clearing(str(data.get("kind")), data)}


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all(a.get(k) == b.get(k) for k in SAME)


class AlertBook:
    """The alerts the page shows, newest last (see the module's essay)."""

    def __init__(self) -> None:
        self.alerts: deque[dict[str, Any]] = deque(maxlen=ALERT_LIMIT)
        self.docks: Docks | None = None
        self._written: dict[int, float] = {}

    # --- taking events (in memory; the stored copy follows in ``save``) --------------------

    def take(self, data: Mapping[str, Any], seq: int, at: str) -> dict[str, Any]:
        """Keeps one alert event; returns the alert as kept (a repeat: the earlier one)."""
        alert = {**data, "seq": seq, "at": at, "count": 1, "first_at": at}
        alert["needs_ack"] = alert.get("level", "critical") in NEEDS_ACK
        alert.setdefault("acked_by", None)
        alert.setdefault("acked_at", None)
        for old in self.alerts:
            if _same(old, alert):
                self.alerts.remove(old)
                old.update(seq=seq, at=at, count=old["count"] + 1)
                alert = old
                break
        else:
            alert["id"] = None
            self._describe(alert)
        self.alerts.append(alert)
        return alert

    def _describe(self, alert: dict[str, Any]) -> None:
        """Adds the item's name to an alert that names a line (``key``) of a shipment."""
        if self.docks is None or not alert.get("shipment") or not alert.get("key"):
            return
        try:
            line = self.docks.shipment(str(alert["shipment"])).line(str(alert["key"]))
        except NotFound:
            return
        if line is not None and line.description:
            alert["item"] = line.description

    def recent(self) -> list[dict[str, Any]]:
        """The alerts, newest first."""
        return list(reversed(self.alerts))

    def find(self, alert_id: int) -> dict[str, Any]:
        """The shown alert with this stored id. Raises NotFound."""
        for alert in self.alerts:
            if alert.get("id") == alert_id:
                return alert
        raise NotFound(f"no alert {alert_id} is shown")

    # --- storage ----------------------------------------------------------------------------

    async def open(self, docks: Docks) -> None:
        """Loads the stored alerts not yet cleared (the newest ``ALERT_LIMIT``); from now on
        every alert is stored too."""
        self.docks = docks

        def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(
                "SELECT id, data, count, first_at, at, acked_by, acked_at FROM page_alerts"
                " WHERE cleared_at IS NULL ORDER BY id DESC LIMIT ?",
                (ALERT_LIMIT,),
            ).fetchall()

        rows = await docks.store.read(read)
        stored = []
        for row_id, data, count, first_at, at, acked_by, acked_at in reversed(rows):
            alert = {**json.loads(data), "id": row_id, "count": count, "seq": 0}
            alert.update(first_at=first_at, at=at, acked_by=acked_by, acked_at=acked_at)
            alert["needs_ack"] = alert.get("level", "critical") in NEEDS_ACK
            stored.append(alert)
        self.alerts.extendleft(reversed(stored))
        # A lost listener of the gate before this start: its sockets are gone with it.
        await self.sweep({f"{kind}@restart" for kind in LIFE_BOUND})

    async def save(self, alert: dict[str, Any]) -> None:
        """Stores a new alert, or a repeat's count and time. No-op before ``open``."""
        if self.docks is None:
            return
        if alert.get("id") is not None:
            row_id, count, at = alert["id"], alert["count"], alert["at"]
            # A portal repeats a read many times a second: the stored count follows at most
            # once a second (a restart may show a count a second's repeats short).
            now = time.monotonic()
            if now - self._written.get(row_id, -REPEAT_WRITE_SECONDS) < REPEAT_WRITE_SECONDS:
                return
            self._written[row_id] = now

            def update(conn: sqlite3.Connection) -> None:
                conn.execute(
                    "UPDATE page_alerts SET count = ?, at = ? WHERE id = ?", (count, at, row_id)
                )

            await self.docks.store.write(update)
            return
        kept = {k: v for k, v in alert.items() if k not in ("id", "seq", "count", "at")}
        row = (json.dumps(kept, sort_keys=True), alert["first_at"], alert["at"])

        def insert(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "INSERT INTO page_alerts (data, count, first_at, at) VALUES (?, 1, ?, ?)", row
            )
            return int(cur.lastrowid or 0)

        alert["id"] = await self.docks.store.write(insert)

    async def acknowledge(self, alert_id: int, who: str) -> dict[str, Any]:
        """Marks the shown alert acknowledged by ``who``: journaled first (``alert.
        acknowledged``, with the alert), then stored. Raises NotFound for an alert not shown,
        Unavailable (via the docks) when the journal cannot be written."""
        alert = self.find(alert_id)
        if alert.get("acked_by"):
            return alert
        assert self.docks is not None  # an alert has an id only once the book is open
        at = self.docks.clock().astimezone(dt.UTC).isoformat()
        data = {k: alert.get(k) for k in ("id", "level", "kind", "text", "door", "key", "item")}
        await self.docks.record("alert.acknowledged", alert.get("shipment"), data, who)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE page_alerts SET acked_by = ?, acked_at = ? WHERE id = ?",
                (who, at, alert_id),
            )

        await self.docks.store.write(write)
        alert.update(acked_by=who, acked_at=at)
        return alert

    # --- clearing ---------------------------------------------------------------------------

    def _cause_gone(self, alert: Mapping[str, Any], kinds_seen: set[str]) -> str | None:
        """Why the alert's cause is gone, or None while it holds."""
        kind = alert.get("kind")
        if kind in LIFE_BOUND and f"{kind}@restart" in kinds_seen:
            return "the gate restarted"
        if kind in CLEARED_BY and _clearing(CLEARED_BY[kind], alert) in kinds_seen:
            return CLEARED_BY[kind]
        sid = alert.get("shipment")
        if not sid or self.docks is None:
            return None
        try:
            s = self.docks.shipment(str(sid))
        except NotFound:
            return "shipment gone"
        if s.state.value in FINAL:
            return f"shipment {s.state.value}"
        key = alert.get("key")
        if key and kind == "prohibited_scan":
            line = s.line(str(key))
            if line is None or line.removed:
                return "line removed"
            if line.decision.value != "prohibited":
                return "line no longer prohibited"
        return None

    async def sweep(self, kinds_seen: set[str] | None = None) -> int:
        """Clears every alert whose cause is gone (``kinds_seen``: the alert kinds just
        raised, for alerts that another kind clears); returns how many."""
        seen = kinds_seen or set()
        gone = [(a, why) for a in self.alerts if (why := self._cause_gone(a, seen)) is not None]
        if not gone:
            return 0
        for alert, _ in gone:
            self.alerts.remove(alert)
            self._written.pop(alert.get("id") or 0, None)
        stored = [(why, a["id"]) for a, why in gone if a.get("id") is not None]
        if stored and self.docks is not None:
            at = self.docks.clock().astimezone(dt.UTC).isoformat()

            def write(conn: sqlite3.Connection) -> None:
                conn.executemany(
                    "UPDATE page_alerts SET cleared_at = ?, cleared_why = ? WHERE id = ?",
                    [(at, why, row_id) for why, row_id in stored],
                )

            await self.docks.store.write(write)
        return len(gone)
