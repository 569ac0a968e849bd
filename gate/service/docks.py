"""The running gate's docks: doors, shipments, standing licences, and every operation on them.

The core decides, this shell does the I/O around it: each operation checks its input
(``input_checks``), asks the core for the transition (``gate.core.shipments``: acceptance,
decisions, coverage, drawdown and refusals are all the core's), describes the result as a
``Change`` and hands it to the one decide-write-publish step (``commit_step``): memory and
events change only after the commit. Scans take the same step through ``scan_path``.

Fail closed: a failed lookup holds the line (reason ``error``, the failure recorded); a failed
write answers 503 and the gate refuses changes until restarted (memory still equals the
database); a shipment document that cannot be read at start stops the start.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any

from gate.config.settings import Config
from gate.core.classification import Classification
from gate.core.licences import Approval, StandingLicence, upsert
from gate.core.rules import ControlDates
from gate.core.shipment_values import FINAL, Controls, Shipment, Transition
from gate.core.shipments import (
    amend,
    apply_approval,
    cancel,
    dispatch,
    overdraw_refusal,
    reevaluate,
    remove_line,
    seal,
)
from gate.errors import Conflict, DispatchRefused, NotFound, Overdraw, TableError
from gate.service.audit_records import dispatched_lines, removed_record
from gate.service.clock import utc_now
from gate.service.commit_step import Change, Committer, Step
from gate.service.data_ages import control_dated
from gate.service.epcis_out import queue_dispatch
from gate.service.event_shapes import licence_doc
from gate.service.events import Events
from gate.service.input_checks import check_id, check_text, scrub
from gate.service.late_reads import amended_loaded, cancelled_loaded
from gate.service.live_state import LiveState
from gate.service.party_screening import list_dates_until, screened
from gate.service.policy_files import PolicyData
from gate.service.refusals import Refusals
from gate.service.scan_path import ScanPath
from gate.service.screening import ScreeningState
from gate.service.shipment_bodies import amendments, shipment_from_body
from gate.service.transition_change import change_of, unasked
from gate.storage import journal, licence_rows, scan_rows, shipment_rows
from gate.storage.shipment_codec import decode, decode_licence, encode_licence
from gate.storage.store import Store
from gate.table.native import Table, TableSlot

log = logging.getLogger("gate.service.docks")

#: What a re-evaluation must change to be recorded (new hits are journaled with their shipment).
_DECIDED = attrgetter("state", "lines", "requests", "screening")
#: Final shipments loaded at start (for the page and the API) if closed this recently.
KEEP_FINAL = dt.timedelta(days=2)


class Docks:
    """The gate's live state and every operation on it."""

    def __init__(
        self,
        config: Config,
        store: Store,
        table: TableSlot,
        policy: PolicyData,
        events: Events,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.config = config
        self.store = store
        self.table = table
        self.policy = policy
        self.events = events
        self._clock = clock
        self.doors = {d.id: d for d in config.doors}
        self.state = LiveState()
        self.committer = Committer(store, self.state, events)
        self.scan_path = ScanPath(
            self.state, self.committer, self.doors, table, self.scan_controls, clock
        )
        events.clock = clock
        self.callbacks = asyncio.Lock()
        #: The live lists every party is screened against (the app wires them before ``load``).
        self.screening: ScreeningState | None = None
        #: ``data_dates``' last answer: what it was made from, it, and the instants between
        #: which it holds (from when it was made: a clock set back asks again).
        self._dates: (
            tuple[tuple[object, ...], ControlDates, dt.datetime, dt.datetime | None] | None
        ) = None
        self.dispatch_check: Callable[[Shipment], None] = lambda s: None  # service.door_holds
        self.counters: dict[str, int] = {}
        self.decisions: dict[str, int] = {}
        self.refusals = Refusals(self.committer, lambda: self.clock())

    # --- what the rest of the gate reads ----------------------------------------------------

    @property
    def clock(self) -> Callable[[], dt.datetime]:
        """The gate's clock: every time of day the gate decides on, stamps or shows is read
        here (the wall time in UTC unless a test gives another)."""
        return self._clock

    @clock.setter
    def clock(self, clock: Callable[[], dt.datetime]) -> None:
        # Whatever stamps on the docks' behalf follows: the scan path and the event bus.
        self._clock = clock
        self.scan_path.clock = clock
        self.events.clock = clock

    @property
    def shipments(self) -> Mapping[str, Shipment]:
        """Every shipment in memory, as the database holds it."""
        return self.state.shipments

    @property
    def current(self) -> Mapping[str, str]:
        """Door -> its shipment that is not final."""
        return self.state.current

    @property
    def licences(self) -> Mapping[str, StandingLicence]:
        return self.state.licences

    @property
    def failed(self) -> str | None:
        """Why the gate refuses changes (a failed write, a broken journal), or None."""
        return self.committer.failed

    @property
    def changed(self) -> asyncio.Event:
        """Set after every committed change of a shipment (the review timer waits on it)."""
        return self.committer.changed

    @property
    def outbox_changed(self) -> asyncio.Event:
        return self.committer.outbox_changed

    def shipment(self, shipment_id: str) -> Shipment:
        found = self.state.shipments.get(shipment_id)
        if found is None:
            raise NotFound(f"no shipment {shipment_id!r}")
        return found

    def door_shipment(self, door: str) -> Shipment | None:
        return self.state.door_shipment(door, latest=False)

    # --- start ------------------------------------------------------------------------------

    async def load(self) -> None:
        """Loads shipments that are not final (and recent final ones), licences and recent
        scan ids, then evaluates every live shipment with today's controls."""
        since = self.clock() - KEEP_FINAL

        def read(
            conn: sqlite3.Connection,
        ) -> tuple[list[str], list[tuple[dict[str, Any], int]], list[scan_rows.ScanRow]]:
            return (
                shipment_rows.live_docs(conn, since),
                licence_rows.all_docs(conn),
                scan_rows.recent(conn, self.scan_path.ids.at_start),
            )

        ships, lics, scans = await self.store.read(read)
        self.state.loaded(
            [decode(json.loads(doc)) for doc in ships],
            [decode_licence(doc, remaining) for doc, remaining in lics],
        )
        self.scan_path.ids.loaded(scans)
        await self.reevaluate_all("start")

    # --- controls ---------------------------------------------------------------------------

    def controls(self, table: Table | None = None) -> Controls:
        """What decisions depend on outside a shipment: policy, table, dates, licences (as
        decided: a dispatch being written has already drawn its licences)."""
        return self.scan_controls(table if table is not None else self.table.current())

    def data_dates(self) -> ControlDates:
        """The data's own dates (DESIGN.md 2.3): the control list's Annex date from
        ``[table] annex_date`` (or its signed bundle's) and each list's; never a file's mtime.

        Kept while the config, the screening state and its data are the same objects and the
        clock has not reached the next instant they change at: every scan batch asks, and the
        same value lets the core see at once (``is``) that a shipment's facts still hold."""
        now = self.clock()
        screening = self.screening
        inputs = (
            self.config,
            screening,
            None if screening is None else screening.snapshot,
            None if screening is None else screening.configs,
        )
        kept = self._dates
        if (
            kept is not None
            and all(a is b for a, b in zip(kept[0], inputs, strict=True))
            and kept[2] <= now
            and (kept[3] is None or now < kept[3])
        ):
            return kept[1]
        lists, until = list_dates_until(screening, self.config.lists, now)
        dates = ControlDates(control_dated(self.config), lists=lists)
        self._dates = (inputs, dates, now, until)
        return dates

    def scan_controls(self, table: Table | None) -> Controls:
        """The controls for a scan batch: ``table`` None (none loaded) makes every lookup
        fail, so every line is held."""
        lookup = _no_table if table is None else table.lookup
        licences, gate = self.state.latest_licences(), self.config.gate_id
        return Controls(self.policy.policy, lookup, self.data_dates(), licences, gate)

    def _latest(self, sid: str) -> Shipment:
        found = self.state.latest(sid)
        if found is None:
            raise NotFound(f"no shipment {sid!r}")
        return found

    def _screened(self, shipment: Shipment) -> Shipment:
        """``shipment`` with its parties' hits from the lists in use now, not those it was
        last decided with: the re-decision that follows a swap of lists (``reevaluate_all``)
        is a step of its own, and a change decided between the two on the old hits could
        clear or dispatch a shipment to a party just listed (attack6 found one: a change
        waiting for a sliced batch woke after a swap made mid-batch; swaps now wait too)."""
        return screened(self.screening, shipment)

    async def _settled(self) -> None:
        """Raises Unavailable once a write has failed; else waits until the scan batches
        being decided slice by slice are decided whole (``SliceTurns.settled``): a change to a
        shipment sees every scan that arrived before it, never half a portal's batch."""
        self.committer.require_ok()
        await self.scan_path.turns.settled()
        self.committer.require_ok()

    # --- the change every operation makes ---------------------------------------------------

    def _change(
        self,
        before: Shipment | None,
        transition: Transition,
        *,
        actor: str,
        kind: str,
        data: Mapping[str, Any],
        read: Callable[[sqlite3.Connection], Mapping[str, Any]] | None = None,
    ) -> Change:
        """A transition as a change (``gate.service.transition_change``); no licence
        request while the lists load at the start (``unasked``)."""
        if self.screening is not None and self.screening.starting:
            transition = unasked(before, transition)
        return change_of(
            before,
            transition,
            actor=actor,
            kind=kind,
            data=data,
            gate_id=self.config.gate_id,
            at=self.clock(),
            read=read,
        )

    async def record(
        self, kind: str, subject: str | None, data: Mapping[str, Any], actor: str
    ) -> None:
        """Journals one operator or page action (a login, a logout, an acknowledgement)
        durably, through the same commit step as every change. Raises Unavailable if it
        could not be written."""
        self.committer.require_ok()
        at = self.clock()
        record = scrub(dict(data))
        kind, actor = scrub(kind), scrub(actor)
        subject = None if subject is None else scrub(subject)

        def write(conn: sqlite3.Connection) -> None:
            journal.append(conn, kind=kind, actor=actor, subject=subject, data=record, ts=at)

        await self.committer.apply(Change(sql=[write]))

    async def record_rejection(self, info: Mapping[str, Any]) -> None:
        """Journals a refused request (bad input, no or wrong token, wrong role, conflict)
        within its budget: a known client's own, or the small one every request without an
        accepted credential shares; the rest are counted and summed up once a minute
        (``gate.service.refusals``). Raises nothing."""
        await self.refusals.record(info)

    # --- shipments --------------------------------------------------------------------------

    async def create(self, body: Mapping[str, Any], actor: str) -> Shipment:
        """Creates a shipment from a checked API body. Raises InvalidShipment, NotFound (an
        unknown door), Conflict (the id exists, or the door is busy)."""
        self.committer.require_ok()
        check_text(body)
        sid = check_id(body["id"], "id")
        door = body["door"]
        if door not in self.doors:
            raise NotFound(f"unknown door {door!r}")
        stored = await self.store.read(lambda conn: shipment_rows.exists(conn, sid))
        await self._settled()
        # Decided from here on without awaiting: a concurrent create sees this one pending.
        if stored or self.state.latest(sid) is not None:
            raise Conflict(f"shipment {sid!r} already exists")
        busy = self.state.door_shipment(door)
        if busy is not None:
            what = f"door {door} already has shipment {busy.id} ({busy.state.value})"
            raise Conflict(f"{what}: dispatch or cancel it first", extra={"shipment": busy.id})
        now = self.clock()
        shipment = screened(self.screening, shipment_from_body(body, sid, now))
        # Decide the (empty) shipment once so its facts are in place.
        transition = reevaluate(shipment, self.controls(), now)
        data = {
            "door": door,
            "destination": shipment.destination,
            "consignee": dict(body["consignee"]),
            "parties": list(body.get("parties") or ()),
            "end_use": shipment.end_use,
            "end_use_codes": list(shipment.end_use_codes),
            "transit": list(shipment.transit),
            "manifest_containers": len(shipment.manifest.containers),
        }
        change = self._change(None, transition, actor=actor, kind="shipment.created", data=data)
        await self.committer.apply(change)
        return transition.shipment

    async def _transition(
        self,
        before: Shipment,
        transition: Transition,
        *,
        actor: str,
        kind: str,
        data: Mapping[str, Any],
        sql: Sequence[Callable[[sqlite3.Connection], None]] = (),
    ) -> Shipment:
        change = self._change(before, transition, actor=actor, kind=kind, data=data)
        change.sql.extend(sql)
        await self.committer.apply(change)
        return change.shipments[0][1]  # as stored: ``_change`` may hold its requests back

    async def amend(self, sid: str, body: Mapping[str, Any], actor: str) -> Shipment:
        """Changes an open shipment's parties, end use (text and codes) or transit from a
        checked ``PATCH`` body and decides it again; goods it eased hold the door. Raises
        NotFound, NotOpen (sealed: 409), ShipmentFinal, InvalidShipment/InvalidCountry."""
        await self._settled()
        check_text(body)
        before = self._latest(sid)
        controls, now = self.controls(), self.clock()
        transition = amend(before, controls, now, **amendments(body))
        transition = reevaluate(screened(self.screening, transition.shipment), controls, now)
        change = self._change(
            before, transition, actor=actor, kind="shipment.amended", data=dict(body)
        )
        unamended = reevaluate(screened(self.screening, before), controls, now).shipment
        amended_loaded(self.scan_path.late_read, change, unamended, transition.shipment, actor)
        await self.committer.apply(change)
        return change.shipments[0][1]

    async def seal(self, sid: str, actor: str) -> Shipment:
        await self._settled()
        before = self._latest(sid)
        transition = seal(self._screened(before), self.controls(), self.clock())
        return await self._transition(
            before, transition, actor=actor, kind="shipment.sealed", data={}
        )

    async def remove(self, sid: str, key: str, actor: str) -> Shipment:
        await self._settled()
        before = self._latest(sid)
        transition = remove_line(self._screened(before), key, self.controls(), self.clock())
        return await self._transition(
            before, transition, actor=actor, kind="line.removed", data=removed_record(before, key)
        )

    async def cancel(self, sid: str, actor: str) -> Shipment:
        await self._settled()
        before = self._latest(sid)
        transition = cancel(before, self.clock())
        change = self._change(before, transition, actor=actor, kind="shipment.cancelled", data={})
        cancelled_loaded(self.scan_path.late_read, change, before, actor)  # goods on the truck
        await self._close(sid, change)
        return transition.shipment

    async def _close(self, sid: str, change: Change) -> None:
        """Writes a closing change; if it fails, decides again (``reevaluate_all`` skipped it)."""
        try:
            await self.committer.apply(change)
        except Exception:
            try:
                await self.reevaluate_all(f"{sid} not closed: its write failed")
            except Exception:  # its write fails too: the storage failure has latched
                log.exception("re-evaluation after %s was not closed", sid)
            raise

    async def dispatch(self, sid: str, actor: str) -> Shipment:
        """Dispatches a cleared shipment, drawing its standing licences down (the core's
        drawdown; the database refuses to go below zero as well).

        Raises DispatchRefused (after recording the re-evaluated state) when it is not cleared
        or a licence would be overdrawn; the refusal names the lines with their own reasons.
        """
        await self._settled()
        before = self._latest(sid)
        self.dispatch_check(before)
        controls = self.controls()
        now = self.clock()
        try:
            transition = dispatch(self._screened(before), controls, now)
        except DispatchRefused as exc:
            await self._refused(before, controls, now, actor, exc)
            raise
        taken = transition.drawdowns
        drawn = {d.licence for d in taken}
        licences = [x for x in transition.licences or () if x.number in drawn]
        at = self.clock()

        def draw(conn: sqlite3.Connection) -> None:
            for d in taken:
                licence_rows.draw(conn, d, at)

        change = self._change(
            before,
            transition,
            actor=actor,
            kind="shipment.dispatched",
            data={
                "drawdowns": [
                    {"licence": d.licence, "quantity": d.quantity, "keys": list(d.keys)}
                    for d in taken
                ],
                "gate_id": self.config.gate_id,
                "dispatched_by": actor,
            },
            read=dispatched_lines(transition.shipment),  # lines, serials' digests: same commit
        )
        change.sql.insert(0, draw)
        change.licences.extend(licences)
        change.events.extend(("licence", licence_doc(x)) for x in licences)
        queue_dispatch(change, self.config, transition.shipment)  # EPCIS events, same commit
        try:
            await self._close(sid, change)
        except Overdraw as exc:
            refusal = overdraw_refusal(transition.shipment, taken, exc)
            await self.scan_path.turns.settled()  # decided again after an await: take a turn
            await self._refused(self._latest(sid), self.controls(), self.clock(), actor, refusal)
            raise refusal from exc
        if taken:
            # A licence drawn down is a changed licence: every other live shipment it covered
            # is decided again now, so no door stays green on units that have left. The
            # dispatch is stored: a failure here is logged (a storage failure has latched).
            try:
                await self.reevaluate_all(f"standing licence drawn by {sid}")
            except Exception:
                log.exception("re-evaluation after the dispatch of %s", sid)
        return transition.shipment

    async def _refused(
        self,
        before: Shipment,
        controls: Controls,
        now: dt.datetime,
        actor: str,
        refusal: DispatchRefused,
    ) -> None:
        """Records a refused dispatch and the shipment's re-evaluated state, in one commit."""
        transition = reevaluate(self._screened(before), controls, now)
        blocking = [{"key": k, "decision": d, "reasons": list(r)} for k, d, r in refusal.blocking]
        await self._transition(
            before,
            transition,
            actor=actor,
            kind="shipment.dispatch_refused",
            data={"reason": str(refusal), "blocking": blocking},
        )

    async def reevaluate_all(
        self, why: str, table: Table | None = None, first: Step | None = None
    ) -> int:
        """Re-decides every shipment that is not final (new table, lists, licences, time);
        ``first`` runs first in each one's write (a swap's ``SwapRecord.stored_first``)."""
        if not self.table.loaded:
            return 0
        await self.scan_path.turns.settled()
        controls = self.controls(table)
        now = self.clock()
        changes: list[Change] = []  # written together, in group commits, not one fsync each
        for sid in list(self.state.current.values()):
            before = self.state.latest(sid)
            if before is None or before.state in FINAL:
                # Closing (its write under way): history, unless ``_close`` finds it failed.
                continue
            transition = reevaluate(screened(self.screening, before), controls, now)
            if _DECIDED(transition.shipment) == _DECIDED(before) and not transition.requests:
                continue
            kind, data = "shipment.reevaluated", {"why": why}
            change = self._change(before, transition, actor="gate", kind=kind, data=data)
            changes.append(change)
            if first is not None:
                change.sql.insert(0, first)
        await self.committer.apply_all(changes)
        return len(changes)

    # --- the central office -----------------------------------------------------------------

    async def apply_approval(
        self,
        approval: Approval,
        remember: Callable[[Shipment], Callable[[sqlite3.Connection], None]],
    ) -> Shipment:
        """Applies the office's answer; returns the shipment it brought. ``remember`` is
        handed that decided shipment and gives the SQL that stores what a redelivery will be
        answered (the webhook id record), run in the same transaction as the change. Raises
        NotFound (an unknown shipment or request), InvalidApproval, StateError; changes
        nothing then."""
        await self._settled()
        before = self._latest(approval.shipment_id)
        transition = apply_approval(self._screened(before), approval, self.controls(), self.clock())
        return await self._transition(
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
            sql=[remember(transition.shipment)],
        )

    async def push_licence(
        self, pushed: StandingLicence, extra: Callable[[sqlite3.Connection], None]
    ) -> StandingLicence:
        """Stores a standing licence (the same number replaces it, keeping what this gate
        already drew), with ``extra`` (the webhook id record) in the same transaction, and
        re-evaluates live shipments."""
        await self._settled()
        merged = upsert(self.state.latest_licences(), pushed)
        stored = next(x for x in merged if x.number == pushed.number)
        at = self.clock()
        doc = encode_licence(stored)

        def write(conn: sqlite3.Connection) -> None:
            extra(conn)
            licence_rows.upsert(conn, stored.number, doc, stored.remaining, at)
            journal.append(
                conn, kind="licence.pushed", actor="central", subject=stored.number, data=doc, ts=at
            )

        change = Change(sql=[write], licences=[stored])
        change.events.append(("licence", licence_doc(stored)))
        await self.committer.apply(change)
        await self.reevaluate_all(f"standing licence {stored.number}")
        return stored

    # --- scans ------------------------------------------------------------------------------

    async def scans(
        self, raws: Sequence[Any], actor: str, doors: Collection[str] | None = None
    ) -> list[dict[str, Any]]:
        """A batch of scans from client ``actor``, bound to ``doors`` (None: every door), in
        order; one scan answer each, all durable on return."""
        outcomes = await self.scan_path.scans(raws, actor, doors)
        results = [outcome.to_wire() for outcome in outcomes]
        self.count(results)
        return results

    def count(self, results: Iterable[Mapping[str, Any]]) -> None:
        """Counts answered scans by status and decision: ``/metrics``' one tally of them."""
        for r in results:
            status = r["status"]
            self.counters[status] = self.counters.get(status, 0) + 1
            decision = r.get("decision")
            if decision:
                self.decisions[decision] = self.decisions.get(decision, 0) + 1


def _no_table(key: str) -> Classification | None:
    raise TableError("no control table is loaded")
