"""The running gate's state: doors, shipments, standing licences, and how they change.

Every change follows one path: validate, compute the new shipment with the pure core, put it
in memory at once (so the next request, even one already waiting, builds on it), then write
the change, its scans and its audit records in one transaction, and answer only after that
transaction has committed. Events for the page go out after the commit too. (A read of the
API may see the in-memory state a moment before its commit returns; no answer to a change,
and no event, ever reports a state the database does not hold.)

Fail closed: a failed lookup holds the line (the core sees "no classification"); a failed
write answers 503 and marks the gate not ready, because the memory is then ahead of the
disk; a shipment document that cannot be read at start stops the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import re
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gate.config.settings import Config
from gate.core.classification import Classification
from gate.core.identifiers import Identifier, decode
from gate.core.licences import Approval, Drawdown, LicenceRequest, StandingLicence, upsert
from gate.core.rules import ControlDates
from gate.core.shipments import (
    FINAL,
    Consignee,
    Controls,
    Manifest,
    Shipment,
    Signal,
    State,
    Transition,
    add_scan,
    apply_approval,
    cancel,
    dispatch,
    new_shipment,
    reevaluate,
    remove_line,
    seal,
)
from gate.errors import (
    Conflict,
    DispatchRefused,
    GateError,
    InvalidApproval,
    InvalidCode,
    InvalidShipment,
    NotFound,
    Overdraw,
    StoreError,
    TableError,
    Unavailable,
)
from gate.service.events import Events
from gate.service.policy_files import PolicyData
from gate.storage import journal
from gate.storage.shipment_docs import (
    DocRenderer,
    from_doc,
    licence_doc,
    licence_from_doc,
    request_doc,
)
from gate.storage.store import Store
from gate.table.native import Table, TableSlot

log = logging.getLogger("gate.service.docks")

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")
SCAN_KINDS = frozenset({"gs1", "gtin", "sscc", "epc", "epc_uri"})
MAX_CODE = 512
RECENT_SCANS = 200_000
REJECTIONS_PER_SECOND = 50


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(slots=True)
class ScanInput:
    """One scan as received (fields checked by ``check_scan``)."""

    scan_id: str
    reader: str
    door: str
    code: str
    kind: str | None = None
    ts: str | None = None
    shipment: str | None = None


@dataclass(slots=True)
class _Batch:
    """What one request's scans change: rows to write, shipments to save, events to send."""

    scan_rows: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    audits: list[tuple[str, str, str | None, dict[str, Any]]] = field(default_factory=list)
    shipments: dict[str, Shipment] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


SCAN_FIELDS = frozenset({"scan_id", "reader", "door", "code", "kind", "ts", "shipment"})


def check_scan(raw: Any) -> ScanInput:
    """Checks one scan's shape. Raises InvalidCode naming the field that is wrong."""
    if not isinstance(raw, dict):
        raise InvalidCode("a scan must be an object", field="scan")
    unknown = sorted(str(k) for k in raw if k not in SCAN_FIELDS)
    if unknown:
        raise InvalidCode(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
    values: dict[str, str | None] = {}
    for name in ("scan_id", "reader", "door", "code"):
        value = raw.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidCode(f"{name} must be a non-empty string", field=name)
        values[name] = value
    for name in ("kind", "ts", "shipment"):
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidCode(f"{name} must be a string", field=name)
        values[name] = value
    for name in ("scan_id", "reader"):
        if len(values[name] or "") > 128 or "|" in (values[name] or ""):
            raise InvalidCode(f"{name} must be at most 128 characters, without '|'", field=name)
    if len(values["code"] or "") > MAX_CODE:
        raise InvalidCode(f"code is longer than {MAX_CODE} characters", field="code")
    if values["kind"] is not None and values["kind"] not in SCAN_KINDS:
        raise InvalidCode(f"kind must be one of {', '.join(sorted(SCAN_KINDS))}", field="kind")
    if values["ts"] is not None:
        try:
            dt.datetime.fromisoformat(values["ts"])
        except ValueError:
            raise InvalidCode("ts must be an RFC 3339 timestamp", field="ts") from None
    return ScanInput(**values)  # type: ignore[arg-type]


def check_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise InvalidShipment(
            f"{what} must be 1-64 characters: letters, digits and . _ : / - (got {value!r})"
        )
    return value


class Docks:
    """The gate's live state and every operation on it."""

    def __init__(
        self,
        config: Config,
        store: Store,
        table: TableSlot,
        policy: PolicyData,
        events: Events,
        clock: Callable[[], dt.datetime] = now_utc,
    ) -> None:
        self.config = config
        self.store = store
        self.table = table
        self.policy = policy
        self.events = events
        self.clock = clock
        self.shipments: dict[str, Shipment] = {}
        self.current: dict[str, str] = {}  # door -> its shipment that is not final
        self.licences: dict[str, StandingLicence] = {}
        self.recent: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self.failed: str | None = None
        self.doors = {d.id: d for d in config.doors}
        self.changed = asyncio.Event()
        self.outbox_changed = asyncio.Event()
        self._signals: dict[str, tuple[Shipment, Signal]] = {}
        self._renderer = DocRenderer()  # used on the writer thread only
        self.callbacks = asyncio.Lock()
        self.counters: dict[str, int] = {}
        self.decisions: dict[str, int] = {}
        self._rejection_window = 0.0
        self._rejections = 0

    # --- start ------------------------------------------------------------------------------

    async def load(self) -> None:
        """Loads shipments that are not final (and recent final ones), licences and recent
        scan ids, then evaluates every live shipment with today's controls."""

        def read(conn: sqlite3.Connection) -> tuple[list[Any], list[Any], list[Any]]:
            ships = conn.execute(
                "SELECT doc FROM shipments WHERE state NOT IN ('dispatched', 'cancelled')"
                " OR updated_at >= ? ORDER BY created_at",
                ((now_utc() - dt.timedelta(days=2)).isoformat(),),
            ).fetchall()
            lics = conn.execute("SELECT doc, remaining FROM licences").fetchall()
            scans = conn.execute(
                "SELECT reader, scan_id, result FROM scans ORDER BY rowid DESC LIMIT ?",
                (RECENT_SCANS,),
            ).fetchall()
            return ships, lics, scans

        ships, lics, scans = await self.store.read(read)
        for (doc,) in ships:
            shipment = from_doc(json.loads(doc))
            self.shipments[shipment.id] = shipment
            if shipment.state not in FINAL:
                self.current[shipment.door] = shipment.id
        for doc, remaining in lics:
            lic = licence_from_doc(json.loads(doc), remaining)
            self.licences[lic.number] = lic
        for reader, scan_id, result in reversed(scans):
            self.recent[(reader, scan_id)] = json.loads(result)
        await self.reevaluate_all("start")

    # --- controls ---------------------------------------------------------------------------

    def controls(self, table: Table | None = None) -> Controls:
        table = table if table is not None else self.table.current()
        classify = _classifier(table)
        dates = ControlDates(table.info.built_at, self.policy.denials_changed_at)
        return Controls(self.policy.policy, classify, dates, tuple(self.licences.values()))

    def _require_ok(self) -> None:
        if self.failed is not None:
            raise Unavailable(f"the gate is not taking changes: {self.failed}")

    def shipment(self, shipment_id: str) -> Shipment:
        found = self.shipments.get(shipment_id)
        if found is None:
            raise NotFound(f"no shipment {shipment_id!r}")
        return found

    def door_shipment(self, door: str) -> Shipment | None:
        sid = self.current.get(door)
        return None if sid is None else self.shipments.get(sid)

    # --- writing ----------------------------------------------------------------------------

    async def _commit(
        self,
        fn: Callable[[sqlite3.Connection], Any],
        once: Mapping[Any, Callable[[sqlite3.Connection], None]] | None = None,
    ) -> Any:
        try:
            return await self.store.write(fn, once=once)
        except (StoreError, sqlite3.Error) as exc:
            self.failed = f"storage failed: {exc}"
            log.error("storage write failed; refusing changes until restart: %s", exc)
            self.events.publish("alert", {"level": "critical", "text": self.failed})
            raise Unavailable(self.failed) from exc

    def _save(self, conn: sqlite3.Connection, shipment: Shipment) -> None:
        """Writes the shipment's document (on the writer thread, like every write)."""
        conn.execute(
            "INSERT INTO shipments (id, door, state, doc, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state,"
            " doc = excluded.doc, updated_at = excluded.updated_at",
            (
                shipment.id,
                shipment.door,
                shipment.state.value,
                self._renderer.text(shipment),
                shipment.created_at.astimezone(dt.UTC).isoformat(),
                shipment.updated_at.astimezone(dt.UTC).isoformat(),
            ),
        )

    @staticmethod
    def _queue_requests(
        conn: sqlite3.Connection,
        gate_id: str,
        shipment: Shipment,
        requests: Iterable[LicenceRequest],
    ) -> None:
        for request in requests:
            body = {
                "request_id": request.request_id,
                "gate_id": gate_id,
                "shipment": {
                    "id": shipment.id,
                    "destination": shipment.destination,
                    "consignee": {
                        "name": shipment.consignee.name,
                        "country": shipment.consignee.country,
                    },
                    "end_use": shipment.end_use,
                    "transit": list(shipment.transit),
                },
                "lines": request_doc(request)["lines"],
                "created_at": request.created_at.isoformat(),
            }
            conn.execute(
                "INSERT OR IGNORE INTO outbox (request_id, shipment_id, body, created_at,"
                " next_attempt_at) VALUES (?, ?, ?, ?, ?)",
                (
                    request.request_id,
                    shipment.id,
                    json.dumps(body),
                    request.created_at.isoformat(),
                    request.created_at.isoformat(),
                ),
            )

    def _publish_shipment(self, before: Shipment | None, after: Shipment) -> None:
        doc = {
            "id": after.id,
            "door": after.door,
            "state": after.state.value,
            "signal": after.signal.value,
            "previous_state": None if before is None else before.state.value,
        }
        self.events.publish("shipment", doc)
        if before is None or before.signal != after.signal or before.state != after.state:
            self.events.publish(
                "door", {"id": after.door, "signal": after.signal.value, "shipment": after.id}
            )
        self.changed.set()

    async def _apply(
        self,
        before: Shipment,
        transition: Transition,
        *,
        actor: str,
        kind: str,
        data: Mapping[str, Any],
        extra: Callable[[sqlite3.Connection], None] | None = None,
    ) -> Shipment:
        """Puts a transition's shipment in memory and commits it with its audit record and
        its licence requests (and ``extra``, run in the same transaction); returns the
        shipment once durable."""
        after = transition.shipment
        self.shipments[after.id] = after
        if after.state in FINAL:
            self.current.pop(after.door, None)
        at = self.clock()
        gate_id = self.config.gate_id

        def write(conn: sqlite3.Connection) -> None:
            if extra is not None:
                extra(conn)
            self._save(conn, after)
            self._queue_requests(conn, gate_id, after, transition.requests)
            if after.state in FINAL:
                # A request not yet delivered is moot once the truck left or was cancelled.
                _stop_sending(conn, "shipment_id", after.id, f"shipment {after.state.value}")
            for approval in after.approvals:
                if approval not in before.approvals:
                    _stop_sending(conn, "request_id", approval.request_id, "answered")
            journal.append(
                conn,
                kind=kind,
                actor=actor,
                subject=after.id,
                data={**data, "state": after.state.value, "previous_state": before.state.value},
                ts=at,
            )
            for request in transition.requests:
                journal.append(
                    conn,
                    kind="licence_request.queued",
                    actor="gate",
                    subject=after.id,
                    data=request_doc(request),
                    ts=at,
                )

        try:
            await self._commit(write)
        except Unavailable:
            raise
        except GateError:
            # The extra step refused (e.g. a licence would be overdrawn): nothing was written.
            self.shipments[before.id] = before
            if before.state not in FINAL:
                self.current[before.door] = before.id
            raise
        if before.state != after.state or before.signal != after.signal or before is not after:
            self._publish_shipment(before, after)
        if transition.requests:
            self.outbox_changed.set()
        for request in transition.requests:
            self.events.publish("request", {"shipment": after.id, "request_id": request.request_id})
        return after

    async def record_rejection(self, info: Mapping[str, Any]) -> None:
        """Journals a refused request (bad input, no or wrong token, wrong role, conflict).

        Bounded (REJECTIONS_PER_SECOND) so a flood of bad requests cannot fill the disk;
        the ones over the bound are counted, not journaled.
        """
        if self.failed is not None:
            return
        now = time.monotonic()
        if now - self._rejection_window >= 1.0:
            self._rejection_window, self._rejections = now, 0
        self._rejections += 1
        if self._rejections > REJECTIONS_PER_SECOND:
            self.counters["rejections_not_journaled"] = (
                self.counters.get("rejections_not_journaled", 0) + 1
            )
            return
        at = self.clock()
        actor = str(info.get("actor") or "anonymous").replace("|", "/")

        def write(conn: sqlite3.Connection) -> None:
            journal.append(
                conn, kind="request.rejected", actor=actor, subject=None, data=dict(info), ts=at
            )

        with contextlib.suppress(Unavailable):
            await self._commit(write)

    # --- shipments --------------------------------------------------------------------------

    async def create(self, body: Mapping[str, Any], actor: str) -> Shipment:
        """Creates a shipment from a checked API body. Raises InvalidShipment, Conflict."""
        self._require_ok()
        sid = check_id(body["id"], "id")
        door = body["door"]
        if door not in self.doors:
            raise NotFound(f"unknown door {door!r}")
        if sid in self.shipments or await self._exists(sid):
            raise Conflict(f"shipment {sid!r} already exists")
        busy = self.door_shipment(door)
        if busy is not None:
            raise Conflict(
                f"door {door} already has shipment {busy.id} ({busy.state.value}):"
                " dispatch or cancel it first",
                extra={"shipment": busy.id},
            )
        consignee = body["consignee"]
        manifest = Manifest.from_mapping(
            {
                m["sscc"]: [
                    (c["gtin"], c["quantity"], c.get("serials") or ()) for c in m["contents"]
                ]
                for m in body.get("manifest") or ()
            }
        )
        if len(manifest.containers) != len(body.get("manifest") or ()):
            raise InvalidShipment("the manifest lists an SSCC twice")
        shipment = new_shipment(
            shipment_id=sid,
            door=door,
            destination=body["destination"],
            consignee=Consignee(consignee["name"], consignee["country"]),
            now=self.clock(),
            end_use=body.get("end_use"),
            transit=body.get("transit") or (),
            manifest=manifest,
        )
        # Decide the (empty) shipment once so its facts (screening) are in place.
        shipment = reevaluate(shipment, self.controls(), self.clock()).shipment
        self.shipments[sid] = shipment
        self.current[door] = sid
        at = self.clock()

        def write(conn: sqlite3.Connection) -> None:
            self._save(conn, shipment)
            journal.append(
                conn,
                kind="shipment.created",
                actor=actor,
                subject=sid,
                data={
                    "door": door,
                    "destination": shipment.destination,
                    "consignee": consignee,
                    "end_use": shipment.end_use,
                    "transit": list(shipment.transit),
                    "manifest_containers": len(manifest.containers),
                },
                ts=at,
            )

        try:
            await self._commit(write)
        except Unavailable:
            self.shipments.pop(sid, None)
            self.current.pop(door, None)
            raise
        self._publish_shipment(None, shipment)
        return shipment

    async def _exists(self, sid: str) -> bool:
        def read(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute("SELECT 1 FROM shipments WHERE id = ?", (sid,)).fetchone() is not None
            )

        return await self.store.read(read)

    async def seal(self, sid: str, actor: str) -> Shipment:
        self._require_ok()
        before = self.shipment(sid)
        transition = seal(before, self.controls(), self.clock())
        return await self._apply(before, transition, actor=actor, kind="shipment.sealed", data={})

    async def remove(self, sid: str, key: str, actor: str) -> Shipment:
        self._require_ok()
        before = self.shipment(sid)
        transition = remove_line(before, key, self.controls(), self.clock())
        return await self._apply(
            before, transition, actor=actor, kind="line.removed", data={"key": key}
        )

    async def cancel(self, sid: str, actor: str) -> Shipment:
        self._require_ok()
        before = self.shipment(sid)
        transition = cancel(before, self.clock())
        return await self._apply(
            before, transition, actor=actor, kind="shipment.cancelled", data={}
        )

    async def dispatch(self, sid: str, actor: str) -> Shipment:
        """Dispatches a cleared shipment, drawing standing licences down atomically.

        Raises DispatchRefused (after recording the re-evaluated state) when it is not cleared
        or a licence would be overdrawn.
        """
        self._require_ok()
        before = self.shipment(sid)
        controls = self.controls()
        now = self.clock()
        try:
            transition = dispatch(before, controls, now)
        except DispatchRefused as exc:
            await self._refused(before, controls, now, actor, exc)
            raise
        taken = transition.drawdowns
        for d in taken:
            lic = self.licences.get(d.licence)
            if lic is None or lic.remaining < d.quantity:
                refusal = DispatchRefused(
                    f"standing licence {d.licence} has too little left for this shipment",
                    shipment_id=sid,
                    state=before.state.value,
                    blocking=tuple((k, "licence_required", ("cat2",)) for k in d.keys),
                )
                await self._refused(before, controls, now, actor, refusal)
                raise refusal
        after = transition.shipment
        at = self.clock()
        gate_id = self.config.gate_id

        def write(conn: sqlite3.Connection) -> None:
            for d in taken:
                cur = conn.execute(
                    "UPDATE licences SET remaining = remaining - ?, updated_at = ?"
                    " WHERE number = ? AND remaining >= ?",
                    (d.quantity, at.isoformat(), d.licence, d.quantity),
                )
                if cur.rowcount != 1:
                    raise Overdraw(d.licence, -1, d.quantity)
            self._save(conn, after)
            _stop_sending(conn, "shipment_id", after.id, "shipment dispatched")
            journal.append(
                conn,
                kind="shipment.dispatched",
                actor=actor,
                subject=sid,
                data={
                    "drawdowns": [_drawdown_doc(d) for d in taken],
                    "state": after.state.value,
                    "previous_state": before.state.value,
                    "gate_id": gate_id,
                },
                ts=at,
            )

        # Memory first (so a racing dispatch sees the licences already drawn), undone on failure.
        saved = dict(self.licences)
        for d in taken:
            lic = self.licences[d.licence]
            self.licences[d.licence] = _with_remaining(lic, lic.remaining - d.quantity)
        self.shipments[sid] = after
        self.current.pop(after.door, None)
        try:
            await self.store.write(write)
        except Overdraw as exc:
            self.licences = saved
            self.shipments[sid] = before
            self.current[before.door] = sid
            raise DispatchRefused(
                str(exc), shipment_id=sid, state=before.state.value, blocking=()
            ) from exc
        except (StoreError, sqlite3.Error) as exc:
            self.failed = f"storage failed: {exc}"
            raise Unavailable(self.failed) from exc
        self._publish_shipment(before, after)
        return after

    async def _refused(
        self,
        before: Shipment,
        controls: Controls,
        now: dt.datetime,
        actor: str,
        refusal: DispatchRefused,
    ) -> None:
        """Records a refused dispatch and the shipment's re-evaluated state, in one commit."""
        transition = reevaluate(before, controls, now)
        blocking = [{"key": k, "decision": d, "reasons": list(r)} for k, d, r in refusal.blocking]
        await self._apply(
            before,
            transition,
            actor=actor,
            kind="shipment.dispatch_refused",
            data={"reason": str(refusal), "blocking": blocking},
        )

    async def _reevaluate_one(
        self, before: Shipment, controls: Controls, now: dt.datetime, why: str, actor: str
    ) -> Shipment:
        transition = reevaluate(before, controls, now)
        after = transition.shipment
        same = (after.state, after.lines, after.requests) == (
            before.state,
            before.lines,
            before.requests,
        )
        if same and not transition.requests:
            return before
        return await self._apply(
            before, transition, actor=actor, kind="shipment.reevaluated", data={"why": why}
        )

    async def reevaluate_all(self, why: str, table: Table | None = None) -> int:
        """Re-decides every shipment that is not final (new table, lists, licences, time)."""
        if not self.table.loaded:
            return 0
        controls = self.controls(table)
        now = self.clock()
        count = 0
        for sid in list(self.current.values()):
            before = self.shipments[sid]
            after = await self._reevaluate_one(before, controls, now, why, "gate")
            count += after is not before
        return count

    # --- the central office -----------------------------------------------------------------

    async def apply_approval(
        self, approval: Approval, extra: Callable[[sqlite3.Connection], None]
    ) -> Shipment:
        """Applies the office's answer (with ``extra`` in the same transaction: the webhook
        id record). Raises NotFound, InvalidApproval, StateError; changes nothing then."""
        self._require_ok()
        before = self.shipment(approval.shipment_id)
        request = next((r for r in before.requests if r.request_id == approval.request_id), None)
        if request is None:
            raise NotFound(f"shipment {before.id} has no licence request {approval.request_id!r}")
        unknown = sorted(k for k, _ in approval.lines or () if k not in request.keys)
        if unknown:
            raise InvalidApproval(
                f"lines not in request {approval.request_id}: {', '.join(unknown)}"
            )
        transition = apply_approval(before, approval, self.controls(), self.clock())
        return await self._apply(
            before,
            transition,
            actor="central",
            kind=f"approval.{approval.decision.value}",
            data={
                "request_id": approval.request_id,
                "lines": None if approval.lines is None else [list(x) for x in approval.lines],
                "licence": approval.licence_number,
                "valid_until": None
                if approval.valid_until is None
                else approval.valid_until.isoformat(),
                "reason": approval.reason,
            },
            extra=extra,
        )

    async def push_licence(
        self, pushed: StandingLicence, extra: Callable[[sqlite3.Connection], None]
    ) -> StandingLicence:
        """Stores a standing licence (the same number replaces it, keeping what this gate
        already drew) and re-evaluates live shipments."""
        self._require_ok()
        merged = upsert(tuple(self.licences.values()), pushed)
        stored = next(x for x in merged if x.number == pushed.number)
        at = self.clock()

        def write(conn: sqlite3.Connection) -> None:
            extra(conn)
            conn.execute(
                "INSERT INTO licences (number, doc, remaining, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (number) DO UPDATE SET doc = excluded.doc,"
                " remaining = excluded.remaining, updated_at = excluded.updated_at",
                (stored.number, json.dumps(licence_doc(stored)), stored.remaining, at.isoformat()),
            )
            journal.append(
                conn,
                kind="licence.pushed",
                actor="central",
                subject=stored.number,
                data=licence_doc(stored),
                ts=at,
            )

        await self._commit(write)
        self.licences[stored.number] = stored
        self.events.publish("licence", licence_doc(stored))
        await self.reevaluate_all(f"standing licence {stored.number}")
        return stored

    # --- scans ------------------------------------------------------------------------------

    async def scans(self, raws: Sequence[Any], actor: str) -> list[dict[str, Any]]:
        """Processes a batch of scans in order; one result each, all durable on return."""
        self._require_ok()
        batch = _Batch()
        results: list[dict[str, Any]] = []
        try:
            table: Table | None = self.table.current()
        except TableError:
            table = None
        controls = self.controls(table) if table is not None else None
        now = self.clock()
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in raws:
            results.append(self._scan(raw, actor, table, controls, now, batch, seen))
        if batch.scan_rows or batch.shipments or batch.audits:
            at = self.clock()

            def write(conn: sqlite3.Connection) -> None:
                conn.executemany(
                    "INSERT OR IGNORE INTO scans (reader, scan_id, door, code, received_at, result)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    batch.scan_rows,
                )
                journal.append_many(conn, batch.audits, ts=at)

            # Each shipment is saved once per group commit, in its state after the group's
            # last request: the scan rows and journal records of every request go with it.
            once = {
                ("shipment", sid): _saver(self, shipment)
                for sid, shipment in batch.shipments.items()
            }
            await self._commit(write, once)
        for kind, data in batch.events:
            self.events.publish(kind, data)
        if batch.shipments:
            self.changed.set()
        self.count(results)
        return results

    def count(self, results: Iterable[Mapping[str, Any]]) -> None:
        """Counts answered scans by status and accepted ones by decision: the one tally that
        ``/metrics`` reads, whichever way the scans came in."""
        for r in results:
            status = r["status"]
            self.counters[status] = self.counters.get(status, 0) + 1
            decision = r.get("decision")
            if decision:
                self.decisions[decision] = self.decisions.get(decision, 0) + 1

    def _scan(
        self,
        raw: Any,
        actor: str,
        table: Table | None,
        controls: Controls | None,
        now: dt.datetime,
        batch: _Batch,
        seen: dict[tuple[str, str], dict[str, Any]],
    ) -> dict[str, Any]:
        try:
            scan = check_scan(raw)
        except InvalidCode as exc:
            # Not storable under its id: answered, journaled, not kept as a scan.
            sid = raw.get("scan_id") if isinstance(raw, dict) else None
            result = _rejected(sid if isinstance(sid, str) else None, str(exc), exc.field)
            batch.audits.append(
                ("scan.rejected", actor, None, {"error": str(exc), "scan": _safe(raw)})
            )
            return result
        ident = (scan.reader, scan.scan_id)
        first = self.recent.get(ident) or seen.get(ident)
        if first is not None:
            return {**first, "status": "duplicate", "first_status": first["status"]}
        result = self._decide_scan(scan, table, controls, now, batch)
        seen[ident] = result
        self.recent[ident] = result
        if len(self.recent) > RECENT_SCANS:
            self.recent.popitem(last=False)
        batch.scan_rows.append(
            (scan.reader, scan.scan_id, scan.door, scan.code, now.isoformat(), json.dumps(result))
        )
        shipment = result.get("shipment") or {}
        batch.audits.append(
            (
                "scan",
                actor,
                shipment.get("id"),
                {
                    "scan_id": scan.scan_id,
                    "reader": scan.reader,
                    "door": scan.door,
                    "code": scan.code,
                    "status": result["status"],
                    "error": result.get("error"),
                    "key": (result.get("item") or {}).get("key"),
                    "serial": (result.get("item") or {}).get("serial"),
                    "decision": result.get("decision"),
                    "reasons": result.get("reasons"),
                    "state": shipment.get("state"),
                },
            )
        )
        batch.events.append(
            (
                "scan",
                {
                    k: result.get(k)
                    for k in (
                        "scan_id",
                        "status",
                        "error",
                        "item",
                        "decision",
                        "reasons",
                        "shipment",
                        "door",
                    )
                },
            )
        )
        if result.get("decision") == "prohibited":
            key = (result.get("item") or {}).get("key")
            batch.events.append(
                (
                    "alert",
                    {
                        "level": "critical",
                        "door": scan.door,
                        "text": f"Prohibited item scanned at {scan.door}: {key}",
                        "shipment": shipment.get("id"),
                    },
                )
            )
        return result

    def _decide_scan(
        self,
        scan: ScanInput,
        table: Table | None,
        controls: Controls | None,
        now: dt.datetime,
        batch: _Batch,
    ) -> dict[str, Any]:
        door = self.doors.get(scan.door)
        if door is None:
            return _rejected(scan.scan_id, f"unknown door {scan.door!r}", "door")
        try:
            item = decode(scan.code, scan.kind)
        except InvalidCode as exc:
            return _rejected(scan.scan_id, str(exc), exc.field, door=self._door_doc(scan.door))
        shipment = self.door_shipment(scan.door)
        if shipment is None:
            return _rejected(
                scan.scan_id,
                f"door {scan.door} has no open shipment",
                "door",
                item=item,
                door=self._door_doc(scan.door),
            )
        if scan.shipment is not None and scan.shipment != shipment.id:
            return _rejected(
                scan.scan_id,
                f"shipment {scan.shipment!r} is not the one at door {scan.door} ({shipment.id})",
                "shipment",
                item=item,
                door=self._door_doc(scan.door),
            )
        if shipment.state is not State.OPEN:
            return _rejected(
                scan.scan_id,
                f"shipment {shipment.id} is {shipment.state.value}: scans after seal are refused",
                "shipment",
                item=item,
                door=self._door_doc(scan.door),
                shipment={"id": shipment.id, "state": shipment.state.value},
            )
        classification: Classification | None = None
        if table is None or controls is None:
            controls = _no_table_controls(self)
        elif item.key is not None:
            try:
                found = table.lookup(item.key)
                classification = found
            except TableError as exc:
                log.error("lookup failed for %s: %s", item.key, exc)
        try:
            transition = add_scan(shipment, item, classification, controls, now)
        except GateError as exc:
            return _rejected(
                scan.scan_id, str(exc), "code", item=item, door=self._door_doc(scan.door)
            )
        after = transition.shipment
        self.shipments[after.id] = after
        batch.shipments[after.id] = after
        line = transition.lines[0] if transition.lines else None
        before_signal = self._signal(shipment)
        after_signal = self._signal(after)
        if before_signal != after_signal:
            batch.events.append(
                ("door", {"id": after.door, "signal": after_signal.value, "shipment": after.id})
            )
        if shipment is not after:
            batch.events.append(
                (
                    "shipment",
                    {
                        "id": after.id,
                        "door": after.door,
                        "state": after.state.value,
                        "signal": after_signal.value,
                    },
                )
            )
        return {
            "scan_id": scan.scan_id,
            "status": "accepted",
            "item": _item_doc(item),
            "classification": None
            if classification is None or not classification.listed
            else {
                "control": classification.control,
                "category": classification.category,
                "title": classification.title,
                "flags": sorted(classification.flags),
            },
            "description": classification.description if classification else None,
            "decision": None if line is None else line.decision.value,
            "reasons": [] if line is None else list(line.reasons),
            "line": None if line is None else {"key": line.key, "quantity": line.quantity},
            "shipment": {"id": after.id, "state": after.state.value},
            "door": {"id": after.door, "signal": after_signal.value},
        }

    def _signal(self, shipment: Shipment) -> Signal:
        """The shipment's door signal, computed once per shipment value (it reads every
        line, and a scan asks for it before and after)."""
        cached = self._signals.get(shipment.id)
        if cached is not None and cached[0] is shipment:
            return cached[1]
        signal = shipment.signal
        self._signals[shipment.id] = (shipment, signal)
        return signal

    def _door_doc(self, door: str) -> dict[str, Any]:
        shipment = self.door_shipment(door)
        return {"id": door, "signal": "green" if shipment is None else shipment.signal.value}

    def door_doc(self, door: str) -> dict[str, Any]:
        d = self.doors.get(door)
        if d is None:
            raise NotFound(f"unknown door {door!r}")
        shipment = self.door_shipment(door)
        return {
            "id": d.id,
            "name": d.name,
            "signal": "green" if shipment is None else shipment.signal.value,
            "shipment": None
            if shipment is None
            else {"id": shipment.id, "state": shipment.state.value},
        }


def _stop_sending(conn: sqlite3.Connection, column: str, value: str, why: str) -> None:
    """Takes undelivered licence requests (by shipment or request id) out of the outbox."""
    conn.execute(
        f"UPDATE outbox SET next_attempt_at = NULL, last_error = ?"
        f" WHERE {column} = ? AND delivered_at IS NULL AND next_attempt_at IS NOT NULL",
        (f"not sent: {why} before delivery", value),
    )


def _saver(docks: Docks, shipment: Shipment) -> Callable[[sqlite3.Connection], None]:
    def save(conn: sqlite3.Connection) -> None:
        docks._save(conn, shipment)

    return save


def _rejected(
    scan_id: str | None,
    error: str,
    field_name: str,
    *,
    item: Identifier | None = None,
    door: dict[str, Any] | None = None,
    shipment: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "status": "rejected",
        "error": error,
        "field": field_name,
        "item": None if item is None else _item_doc(item),
        "classification": None,
        "decision": None,
        "reasons": [],
        "shipment": shipment,
        "door": door,
    }


def _item_doc(item: Identifier) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "key": item.key,
        "serial": item.serial,
        "sscc": item.sscc,
        "batch": item.batch,
    }


def _safe(raw: Any) -> Any:
    """A bounded copy of a rejected input for the journal."""
    text = json.dumps(raw, default=repr)[:1000] if raw is not None else None
    return text


def _drawdown_doc(d: Drawdown) -> dict[str, Any]:
    return {"licence": d.licence, "quantity": d.quantity, "keys": list(d.keys)}


def _with_remaining(lic: StandingLicence, remaining: int) -> StandingLicence:
    return StandingLicence(
        lic.number,
        lic.consignee_name,
        lic.consignee_country,
        lic.destination,
        lic.controls,
        lic.quantity,
        remaining,
        lic.valid_from,
        lic.valid_until,
    )


def _classifier(table: Table) -> Callable[[str], Classification | None]:
    def classify(key: str) -> Classification | None:
        return table.lookup(key)

    return classify


def _no_table_controls(docks: Docks) -> Controls:
    """Controls with no table: every lookup fails, so every line is held (fail closed)."""

    def classify(key: str) -> Classification | None:
        raise TableError("no control table is loaded")

    dates = ControlDates(None, docks.policy.denials_changed_at)
    return Controls(docks.policy.policy, classify, dates, tuple(docks.licences.values()))


def licence_docs(licences: Iterable[StandingLicence]) -> list[dict[str, Any]]:
    return [licence_doc(x) for x in sorted(licences, key=lambda x: x.number)]
