"""What the status page and ``GET /api/v1/status`` show: the gate at a glance, as data.

Three things live here, all read-only views over the running gate:

- ``Bulletin``: the recent alerts and scans, fed by the event stream, so that a page loaded
  now shows the last ones and not only what happens from now on.
- ``status_doc``: doors with their shipments (lines, parties and their list hits, holds,
  licence requests and whether the office has received them), the control table, every
  screening list and data source with its age against its limit (as ``GET /lists`` shows
  them), the central link's health, and the bulletin.
- ``history_doc``: one shipment's audit records (who did what when), each with a one-line
  summary in plain words.

Nothing here changes the gate's state or decides anything; the HTML is
``gate.web.page.render``'s.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from gate.config.settings import Config
from gate.core.rules import stale_at
from gate.core.stack_light import held_signal
from gate.errors import GateError, NotFound, TableError
from gate.ingest.outputs.lights import DoorLights
from gate.links.central import LinkHealth
from gate.service.data_ages import lists_doc
from gate.service.docks import Docks
from gate.service.door_holds import DoorHolds
from gate.service.event_shapes import IDLE
from gate.service.events import Event, Events
from gate.service.screening import ScreeningState
from gate.table.native import TableSlot
from gate.web.page.alert_book import AlertBook, seen_keys
from gate.web.shipment_docs import REASON_TEXT, to_doc

log = logging.getLogger("gate.web.page.overview")
#: Events after which an alert's cause may be gone (a shipment changed or left its door).
SWEEP_KINDS = frozenset({"shipment", "door", "scan"})

SCAN_LIMIT = 40
HISTORY_LIMIT = 1000
HISTORY_MAX = 5000


class Bulletin:
    """The page's alerts (``gate.web.page.alert_book``: stored, acknowledged, cleared) and the
    last ``SCAN_LIMIT`` scan results, newest last."""

    def __init__(self) -> None:
        self.book = AlertBook()
        self.scans: deque[dict[str, Any]] = deque(maxlen=SCAN_LIMIT)

    @property
    def alerts(self) -> deque[dict[str, Any]]:
        return self.book.alerts

    def take(self, event: Event) -> dict[str, Any] | None:
        """Keeps the event if it is an alert (returned as kept) or a scan."""
        if event.kind == "alert":
            return self.book.take(event.data, event.seq, event.at)
        if event.kind == "scan":
            self.scans.append({**event.data, "seq": event.seq, "at": event.at})
        return None

    async def _keep(self, events: Events, event: Event, alert: dict[str, Any] | None) -> None:
        """Stores an alert and clears the alerts whose cause the event took away. A newly
        stored alert is announced (``page``): only a stored one can be acknowledged, and the
        pages fetched the alert when it was raised, a moment before."""
        try:
            if alert is not None:
                new = alert.get("id") is None
                await self.book.save(alert)
                if new and alert.get("id") is not None:
                    events.publish("page", {"what": "alert_stored", "id": alert["id"]})
            if alert is not None or event.kind in SWEEP_KINDS:
                await self.book.sweep(seen_keys(event.data) if alert else set())
            elif event.kind == "door_hold" and not event.data.get("held"):
                await self.book.sweep(seen_keys({**event.data, "kind": "door_released"}))
        except GateError as exc:
            log.error("could not store the page's alerts: %s", exc)

    async def follow(self, events: Events) -> None:
        """Takes every event until the gate stops, from the first the bus still holds: an
        alert published before this task first ran (a stack light found unreachable while
        the gate started, a control table refused) is on the page too. Subscribes again
        after the last event taken if it fell behind, so the gap is taken as well."""
        seen = 0
        while not events.closed.is_set():
            async with events.subscribe(seen) as sub:
                while (event := await sub.queue.get()) is not None:
                    if event.seq <= seen:
                        continue
                    seen = event.seq
                    await self._keep(events, event, self.take(event))

    def recent_alerts(self) -> list[dict[str, Any]]:
        return self.book.recent()

    def recent_scans(self) -> list[dict[str, Any]]:
        return list(reversed(self.scans))


# --- control data ---------------------------------------------------------------------------


def control_data_doc(docks: Docks, slot: TableSlot, now: dt.datetime) -> dict[str, Any]:
    """The table in use and how old the control data is (DESIGN.md rule 9)."""
    try:
        table = slot.current()
    except TableError as exc:
        return {"loaded": False, "error": str(exc), "stale": True}
    info = table.info
    controls = docks.controls(table)
    turns_stale = stale_at(controls.policy, controls.dates, now)
    oldest = controls.dates.oldest
    return {
        "loaded": True,
        "version": info.version,
        "entries": info.entries,
        "built_at": info.built_at.isoformat(),
        "table_age_seconds": round((now - info.built_at).total_seconds()),
        "age_seconds": None if oldest is None else round((now - oldest).total_seconds()),
        "max_age_days": controls.policy.max_list_age_days,
        "stale_at": None if turns_stale is None else turns_stale.isoformat(),
        "stale": turns_stale is None or now >= turns_stale,
    }


def sources_doc(docks: Docks, screening: ScreeningState, now: dt.datetime) -> dict[str, Any]:
    """Every screening list and data source, and the control list's edition, exactly as
    ``GET /api/v1/lists`` shows them: entries, published date, age against its limit and
    whether it is fresh."""
    sources = lists_doc(docks.config, docks.policy, docks.data_dates(), now)
    return {
        "lists": [*screening.status_docs(now), *sources["lists"]],
        "control_list": sources["control_list"],
        "bundle": sources["bundle"],
    }


# --- doors and holds ------------------------------------------------------------------------


def _deliveries(request_ids: list[str]) -> Callable[[sqlite3.Connection], dict[str, Any]]:
    def read(conn: sqlite3.Connection) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for rid in request_ids:
            row = conn.execute(
                "SELECT attempts, next_attempt_at, delivered_at, last_error FROM outbox"
                " WHERE request_id = ?",
                (rid,),
            ).fetchone()
            if row is None:
                continue
            attempts, next_at, delivered_at, last_error = row
            if delivered_at is not None:
                state = "delivered"
            elif next_at is None:
                state = "refused"
            else:
                state = "queued"
            found[rid] = {
                "state": state,
                "attempts": attempts,
                "delivered_at": delivered_at,
                "next_attempt_at": next_at,
                "last_error": last_error,
            }
        return found

    return read


async def doors_doc(
    docks: Docks, now: dt.datetime, holds: DoorHolds | None = None
) -> list[dict[str, Any]]:
    """Every configured door, in config order, with its current shipment in full and its
    hold (goods passed without a readable tag), if any."""
    doors: list[dict[str, Any]] = []
    request_ids: list[str] = []
    for door in docks.doors.values():
        shipment = docks.door_shipment(door.id)
        doc = None if shipment is None else to_doc(shipment)
        hold = None if holds is None else holds.doc(door.id)
        signal = IDLE if doc is None else doc["signal"]
        if hold is not None:  # never green held, as GET /api/v1/doors says
            signal = held_signal(signal, held=True, prohibited_hold=hold["prohibited"])
        entry: dict[str, Any] = {
            "id": door.id,
            "name": door.name,
            "idle": doc is None,
            "signal": signal,
            "shipment": doc,
            "hold": hold,
        }
        if doc is not None:
            sealed = doc["sealed_at"]
            entry["waiting_seconds"] = (
                round((now - dt.datetime.fromisoformat(sealed)).total_seconds())
                if sealed is not None and doc["state"] == "held"
                else None
            )
            request_ids.extend(r["request_id"] for r in doc["requests"])
        doors.append(entry)
    deliveries = await docks.store.read(_deliveries(request_ids)) if request_ids else {}
    for entry in doors:
        for request in (entry["shipment"] or {}).get("requests", ()):
            request["delivery"] = deliveries.get(request["request_id"])
    return doors


async def status_doc(
    config: Config,
    docks: Docks,
    slot: TableSlot,
    link: LinkHealth,
    bulletin: Bulletin,
    screening: ScreeningState,
    now: dt.datetime | None = None,
    holds: DoorHolds | None = None,
    lights: DoorLights | None = None,
) -> dict[str, Any]:
    """The whole status page as one document (``outputs``: the stack lights' devices)."""
    now = now or docks.clock()
    control_data = {**control_data_doc(docks, slot, now), **sources_doc(docks, screening, now)}
    return {
        "gate_id": config.gate_id,
        "now": now.isoformat(),
        "ready": docks.failed is None and slot.loaded,
        "failed": docks.failed,
        "doors": await doors_doc(docks, now, holds),
        "control_data": control_data,
        "link": link.doc(),
        "alerts": bulletin.recent_alerts(),
        "scans": bulletin.recent_scans(),
        "outputs": [] if lights is None else lights.docs(),
    }


# --- history --------------------------------------------------------------------------------


def _states(d: Mapping[str, Any]) -> str:
    before, after = d.get("previous_state"), d.get("state")
    if before and after and before != after:
        return f"{before} → {after}"
    return str(after or "")


def _reasons(codes: Any) -> str:
    if not codes:
        return ""
    return "; ".join(REASON_TEXT.get(str(c), str(c)) for c in codes)


def _scan(d: Mapping[str, Any]) -> str:
    if d.get("status") == "rejected":
        return f"Scan {d.get('scan_id')} rejected: {d.get('error')}"
    what = d.get("key") or d.get("code")
    decision = str(d.get("decision") or "").replace("_", " ")
    reasons = _reasons(d.get("reasons"))
    return f"Scanned {what} at {d.get('door')}: {decision}" + (f" ({reasons})" if reasons else "")


def _created(d: Mapping[str, Any]) -> str:
    consignee = d.get("consignee") or {}
    route = f" via {', '.join(d['transit'])}" if d.get("transit") else ""
    return (
        f"Shipment created at {d.get('door')} for {consignee.get('name')}"
        f" ({consignee.get('country')}), destination {d.get('destination')}{route}"
    )


def _approval(verb: str) -> Callable[[Mapping[str, Any]], str]:
    def text(d: Mapping[str, Any]) -> str:
        licence = f", licence {d['licence']}" if d.get("licence") else ""
        reason = f": {d['reason']}" if d.get("reason") else ""
        # An answer for some lines or fewer units than asked says which: a line it does not
        # cover stays held, and the next request for it follows in the history.
        lines = d.get("lines")
        only = " for " + ", ".join(f"{key} ×{quantity}" for key, quantity in lines) if lines else ""
        return f"Central office {verb} request {d.get('request_id')}{only}{licence}{reason}"

    return text


def _refused(d: Mapping[str, Any]) -> str:
    blocking = ", ".join(
        f"{b.get('key')} ({_reasons(b.get('reasons'))})" for b in d.get("blocking") or ()
    )
    return f"Dispatch refused: {d.get('reason')}" + (f" — {blocking}" if blocking else "")


#: Audit kind -> one line in plain words (the state change is added where there is one).
SUMMARIES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "shipment.created": _created,
    "scan": _scan,
    "shipment.sealed": lambda d: "Sealed: loading ended",
    "line.removed": lambda d: f"Line {d.get('key')} removed: goods unloaded",
    "shipment.dispatched": lambda d: "Dispatched",
    "shipment.cancelled": lambda d: "Cancelled",
    "shipment.dispatch_refused": _refused,
    "shipment.reevaluated": lambda d: f"Decided again ({d.get('why')})",
    "approval.approved": _approval("approved"),
    "approval.denied": _approval("denied"),
    "licence_request.queued": lambda d: (
        f"Licence request {d.get('request_id')} queued for the central office: "
        + ", ".join(f"{x.get('key')} ×{x.get('quantity')}" for x in d.get("lines") or ())
    ),
    "licence_request.delivered": lambda d: (
        f"Licence request {d.get('request_id')} received by the central office"
    ),
    "licence_request.refused": lambda d: (
        f"Licence request {d.get('request_id')} refused by the central office: {d.get('error')}"
    ),
    "alert.acknowledged": lambda d: f"Alert acknowledged: {d.get('text')}",
    "epcis.delivered": lambda d: f"EPCIS events ({d.get('events')}) captured by the repository",
    "epcis.split": lambda d: f"EPCIS document split in {d.get('parts')}: {d.get('reason')}",
    "epcis.refused": lambda d: f"EPCIS events refused by the repository: {d.get('error')}",
}


def summary(kind: str, data: Mapping[str, Any]) -> str:
    """One line in plain words for an audit record."""
    make = SUMMARIES.get(kind)
    text = make(data) if make is not None else kind.replace(".", " ").replace("_", " ")
    states = _states(data) if kind != "scan" else ""
    return f"{text} [{states}]" if states and "→" in states else text


def _history(
    shipment_id: str, limit: int
) -> Callable[[sqlite3.Connection], tuple[list[tuple[Any, ...]], bool] | None]:
    def read(conn: sqlite3.Connection) -> tuple[list[tuple[Any, ...]], bool] | None:
        row = conn.execute(
            "SELECT created_at FROM shipments WHERE id = ?", (shipment_id,)
        ).fetchone()
        if row is None:
            return None
        # The audit_subject index (migration 2) finds them without walking the journal.
        rows = conn.execute(
            "SELECT seq, ts, kind, actor, data FROM audit WHERE subject = ?"
            " ORDER BY seq DESC LIMIT ?",
            (shipment_id, limit + 1),
        ).fetchall()
        return [tuple(r) for r in reversed(rows[:limit])], len(rows) > limit

    return read


async def history_doc(docks: Docks, shipment_id: str, limit: int = HISTORY_LIMIT) -> dict[str, Any]:
    """The shipment's audit records, oldest first (the newest ``limit`` of them).

    Raises NotFound for a shipment the gate has never had.
    """
    limit = max(1, min(limit, HISTORY_MAX))
    found = await docks.store.read(_history(shipment_id, limit))
    if found is None and shipment_id in docks.shipments:
        # Created a moment ago: in memory already, its first record not yet committed.
        found = [], False
    if found is None:
        raise NotFound(f"no shipment {shipment_id!r}")
    rows, truncated = found
    records = []
    for seq, ts, kind, actor, data in rows:
        payload = json.loads(data)
        records.append(
            {
                "seq": seq,
                "ts": ts,
                "kind": kind,
                "actor": actor,
                "summary": summary(kind, payload),
                "data": payload,
            }
        )
    return {"shipment": shipment_id, "records": records, "truncated": truncated}
