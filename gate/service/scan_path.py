"""The scan path: a batch of scans checked, decided by the core, written (one commit for each
slice of ``SLICE_SCANS``), and answered only after every slice is stored.

Each scan becomes one ``ScanOutcome``, built once and rendered to the wire answer, the audit
record, the event and the stored row.

Scan ids belong to the client that sent them: the key is ``(client, reader, scan_id)``, the
client being the authenticated name (the journal's actor), so one client can neither collide
with nor read back another's answers. Under a key already answered, the same scan again
(same code, door, kind and named shipment) is a retry and gets the first answer again, marked
``duplicate``; a retry of a scan whose first delivery is still being written waits for that
write, and if it failed is refused (``Unavailable``) so the reader sends it again. A
*different* scan under a used key (a handheld whose counter restarted) is never answered from
the first one: it is rejected naming the first use, journaled as ``scan.id_reused`` and
alerted, so the item is sent again under a new id instead of silently going unrecorded.

A client bound to doors (``doors`` in its config) has a scan for any other door rejected
(``scan.door_refused``) before anything is decided; the HTTP API refuses such a request
whole (403) before it gets here.

Fail closed: a table that cannot answer for an item holds its line with reason ``error``
and the lookup failure recorded (``lookup_error``), never "not in the table"; with no table
loaded every line is held that way.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

from gate.config.settings import Door
from gate.core import json_text
from gate.core.classification import Classification
from gate.core.identifiers import Identifier, decode
from gate.core.line_counting import added
from gate.core.shipment_values import (
    ACCEPTS,
    Controls,
    SerialRead,
    Shipment,
    Signal,
    Transition,
    accepts,
    signal_after,
)
from gate.core.shipments import add_scan
from gate.core.stack_light import held_signal
from gate.errors import GateError, InvalidCode, StateError, TableError, Unavailable
from gate.service.commit_step import Change, Committer
from gate.service.event_shapes import (
    IDLE,
    door_event,
    prohibited_alert,
    shipment_event,
)
from gate.service.input_checks import ScanInput, check_scan, refused_copy, storable
from gate.service.late_reads import LateRead, read_after_seal, read_uncounted
from gate.service.live_state import LiveState
from gate.service.scan_ids import Ident, ScanIds
from gate.service.scan_outcome import FirstUse, Remembered, ScanOutcome, first_use
from gate.service.scan_refusals import door_refused, reused
from gate.service.serial_ledger import SerialLedger
from gate.service.slice_turns import SliceTurns
from gate.storage import scan_rows
from gate.storage.scan_batch import ScanBatch
from gate.table.native import Table, TableSlot

log = logging.getLogger("gate.service.scan_path")

#: The scans of a batch decided as one change before it is handed over and other requests
#: are served (``ScanPath.scans``): 2-3 ms of the loop on the bench machine, so a single scan
#: at another door waits for a slice, not for a portal's whole batch of 100. A count, not a
#: time, so that a batch is cut the same way on every machine.
SLICE_SCANS = 25

Audits = list[tuple[str, str, str | None, dict[str, Any]]]
#: Serials a batch counted first, by shipment.
Counted = dict[str, list[SerialRead]]


class ScanPath:
    """Decides and stores batches of scans for the docks."""

    def __init__(
        self,
        state: LiveState,
        committer: Committer,
        doors: Mapping[str, Door],
        table: TableSlot,
        controls: Callable[[Table | None], Controls],
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.state = state
        self.committer = committer
        self.doors = doors
        self.table = table
        self.controls = controls
        self.clock = clock
        #: The scan ids answered: in memory, in flight, and in the database (``ScanIds``).
        self.ids = ScanIds(committer.store)
        self.recent = self.ids.recent
        self._pending = self.ids.pending
        #: Batches of several slices, and the changes that wait for them to end.
        self.turns = SliceTurns()
        self._signals: dict[str, tuple[Shipment, Signal]] = {}
        self.ledger = SerialLedger()
        self.stored = self.ids.stored
        self.side = self.ids.side
        #: Called with (the batch's change, door, reader, reason) for goods read at a door
        #: whose shipment is sealed, unless they add nothing to it: they are going onto a
        #: truck that was cleared without them, so the door is held for an operator to check
        #: (``DoorHolds.hold_in``: in memory at once, stored with the batch), as prohibited
        #: when the rules prohibit those goods there (gate.service.late_reads). None until wired.
        self.late_read: LateRead | None = None
        #: A door's hold (gate.service.door_holds): None when it is not held, else whether
        #: for a prohibited item. An answer then gives the door's signal as its light shows
        #: it (amber, red), never green. None until wired.
        self.held: Callable[[str], bool | None] | None = None

    async def scans(
        self, raws: Sequence[Any], actor: str, doors: Collection[str] | None = None
    ) -> list[ScanOutcome]:
        """Processes a batch from client ``actor`` (bound to ``doors``, None for every door)
        in order; one outcome each, all durable on return. Raises Unavailable when the gate
        takes no changes or the first delivery of a retried scan was not stored.

        A batch is decided in slices of ``SLICE_SCANS`` scans, each a change of its own handed
        to its writer before the next is decided, and the loop serves other requests in
        between: a portal's 100 reads must not hold a single scan at another door for the
        whole batch. A change to a shipment waits until such batches are decided whole
        (``gate.service.slice_turns``): no seal, dispatch or cancel falls between two slices.
        The batch is answered once every slice is stored, and refused if any was not: a
        retry then answers the stored ones ``duplicate``."""
        self.committer.require_ok()
        if self.ids.forgetting:
            await self.ids.recall(raws, actor)
        outcomes: list[ScanOutcome] = []
        writes: list[asyncio.Future[None]] = []
        waits: list[asyncio.Future[bool]] = []
        context = None
        async with self.turns.batch(len(raws) > SLICE_SCANS, self.committer.stall_bound) as slices:
            try:
                while True:
                    part = raws[len(outcomes) : len(outcomes) + SLICE_SCANS]
                    await self.ledger.load(self.state, self.committer.store, part)
                    # One table, set of licences and instant for the whole batch, as when it
                    # was one step: taken once the first slice's serials are loaded, after
                    # which no change to any of them falls between two slices (the turns).
                    context = context or self._context()
                    handed = self._slice(part, actor, doors, context, outcomes, waits)
                    if handed is not None:
                        writes.append(handed[0])
                    if len(outcomes) >= len(raws):
                        break
                    await slices.next(None if handed is None else handed[1])
                    self.committer.require_ok()
            except BaseException:
                # Each slice handed over ends (or is given up on) before the batch is refused.
                with contextlib.suppress(Exception):
                    await self.committer.ended(writes, since=slices.started)
                raise
        # Every slice's end taken, then the first failure raised: a slice's error left untaken
        # is logged by the loop as "never retrieved", a traceback for each.
        for error in await self.committer.ended(writes, since=slices.started):
            if error is not None:
                raise error
        for wait in waits:
            # Shielded, bounded: a caller that goes away must not cancel another batch's write.
            if not await self.committer.waited(wait):
                raise Unavailable("the first delivery of a scan in this batch was not stored")
        return outcomes

    def _context(self) -> tuple[Table | None, Controls, tuple[dt.datetime, str]]:
        """What a batch is decided on: the table (None: none loaded), the controls, and the
        instant every scan of it is received at (and its text)."""
        try:
            table: Table | None = self.table.current()
        except TableError:
            table = None
        now = self.clock()
        return table, self.controls(table), (now, now.isoformat())

    def _slice(
        self,
        part: Sequence[Any],
        actor: str,
        doors: Collection[str] | None,
        context: tuple[Table | None, Controls, tuple[dt.datetime, str]],
        outcomes: list[ScanOutcome],
        waits: list[asyncio.Future[bool]],
    ) -> tuple[asyncio.Future[None], asyncio.Future[None]] | None:
        """Decides the scans ``part`` (one slice) into ``outcomes`` on ``context``
        (``_context``) and hands their change to its writer (``Committer.begin``): the
        change's future and its ``Change.taken``, None when the slice stores nothing."""
        table, controls, received = context
        change = Change()
        loop = asyncio.get_running_loop()
        change.done, change.taken = loop.create_future(), loop.create_future()
        rows: list[scan_rows.ScanRow] = []
        audits: Audits = []
        seen: dict[Ident, FirstUse] = {}
        kept: dict[Ident, Remembered] = {}
        counted: Counted = {}
        change.rolled_back.append(lambda: self._uncount(counted))
        batch = (rows, audits, seen, kept, waits, counted)
        try:
            for raw in part:
                outcomes.append(
                    self._scan(raw, actor, doors, table, controls, received, change, batch)
                )
        except BaseException:
            self.state.unstage([after for _, after in change.shipments], {}, ())
            for undo in change.rolled_back:  # the serials counted; a hold's own retry
                undo()
            raise
        if not (rows or audits):
            return None
        # Written after the change's other steps (a hold a late read raised), on the store's
        # thread or by the writer process (gate.service.commit_step).
        change.batch = ScanBatch(rows, counted, audits, self.clock())
        # In flight until the change ends; remembered for retries once it committed. Both run
        # with the commit step, so a caller that goes away cannot skip them.
        done = change.done
        for ident, use in seen.items():
            self._pending[ident] = (use, done)
        change.committed.append(lambda: self.ids.remember(kept))
        done.add_done_callback(lambda _: self.ids.forget(seen, done))
        return self.committer.begin(change), change.taken

    def _uncount(self, counted: Counted) -> None:
        """Takes the serials of a batch that was not stored out of the ledger."""
        for sid, reads in counted.items():
            self.ledger.drop(sid, reads)

    def _scan(
        self,
        raw: Any,
        actor: str,
        doors: Collection[str] | None,
        table: Table | None,
        controls: Controls,
        received: tuple[dt.datetime, str],
        change: Change,
        batch: tuple[
            list[scan_rows.ScanRow],
            Audits,
            dict[Ident, FirstUse],
            dict[Ident, Remembered],
            list[asyncio.Future[bool]],
            Counted,
        ],
    ) -> ScanOutcome:
        rows, audits, seen, kept, waits, counted = batch
        now, at = received
        try:
            scan = check_scan(raw)
        except InvalidCode as exc:
            # Not storable under its id: answered, journaled, not kept as a scan.
            sid = raw.get("scan_id") if isinstance(raw, dict) else None
            sid = sid if isinstance(sid, str) and storable(sid) else None
            audits.append(
                ("scan.rejected", actor, None, {"error": str(exc), "scan": refused_copy(raw)})
            )
            return ScanOutcome.rejected(sid, str(exc), exc.field)
        if doors is not None and scan.door not in doors:
            return door_refused(scan, actor, doors, change, audits)
        ident = (actor, scan.reader, scan.scan_id)
        pending = None
        memory = self.recent.get(ident)
        first = seen.get(ident) if memory is None else first_use(memory)
        if first is None:
            pending = self._pending.get(ident)
            first = None if pending is None else pending[0]
        if first is not None:
            differs = first.differences(scan.door, scan.code, scan.kind, scan.shipment)
            if differs:
                return reused(scan, actor, first, differs, (change, audits), self._at(scan.door))
            if pending is not None:
                waits.append(pending[1])
            return first.outcome.duplicate()
        outcome = self._held(self._decide(scan, table, controls, now, change, counted))
        seen[ident] = FirstUse(scan.door, scan.code, scan.kind, scan.shipment, at, outcome)
        record = json_text.dumps(outcome.to_record())
        kept[ident] = (scan.door, scan.code, scan.kind, scan.shipment, at, record, True)
        self.stored.add(ident)
        rows.append(
            scan_rows.ScanRow(
                actor,
                scan.reader,
                scan.scan_id,
                scan.door,
                scan.code,
                scan.kind,
                scan.shipment,
                at,
                record,
            )
        )
        audits.append(("scan", actor, outcome.shipment_id, outcome.to_audit()))
        change.events.append(("scan", outcome.to_event()))
        if outcome.decision == "prohibited":
            key = None if outcome.item is None else outcome.item.key
            change.events.append(("alert", prohibited_alert(scan.door, key, outcome.shipment_id)))
        return outcome

    def _decide(
        self,
        scan: ScanInput,
        table: Table | None,
        controls: Controls,
        now: dt.datetime,
        change: Change,
        counted: Counted,
    ) -> ScanOutcome:
        if scan.door not in self.doors:
            return ScanOutcome.rejected(
                scan.scan_id,
                f"unknown door {scan.door!r}",
                "door",
                reader=scan.reader,
                door=scan.door,
                code=scan.code,
            )
        at_door = self._door_signal(scan.door)
        try:
            item = decode(scan.code, scan.kind)
        except InvalidCode as exc:
            return ScanOutcome.rejected(
                scan.scan_id,
                str(exc),
                exc.field,
                door_signal=at_door,
                reader=scan.reader,
                door=scan.door,
                code=scan.code,
            )
        shipment = self.state.door_shipment(scan.door)
        if shipment is None:
            return ScanOutcome.rejected(
                scan.scan_id,
                f"door {scan.door} has no open shipment"
                + self._uncounted(scan, item, change, table, "with no shipment open"),
                "door",
                item=item,
                door_signal=at_door,
                reader=scan.reader,
                door=scan.door,
                code=scan.code,
            )
        if scan.shipment is not None and scan.shipment != shipment.id:
            return ScanOutcome.rejected(
                scan.scan_id,
                f"shipment {scan.shipment!r} is not the one at door {scan.door} ({shipment.id})"
                + (
                    self._uncounted(scan, item, change, table, f"naming {scan.shipment!r}")
                    if shipment.state in ACCEPTS["scan"]
                    else self._read_after_seal(scan, item, shipment, change, (table, controls, now))
                ),
                "shipment",
                item=item,
                door_signal=at_door,
                reader=scan.reader,
                door=scan.door,
                code=scan.code,
            )
        if shipment.state not in ACCEPTS["scan"]:
            try:
                accepts(shipment, "scan")
            except StateError as exc:
                return ScanOutcome.rejected(
                    scan.scan_id,
                    str(exc)
                    + self._read_after_seal(scan, item, shipment, change, (table, controls, now)),
                    "shipment",
                    item=item,
                    door_signal=at_door,
                    shipment=shipment,
                    reader=scan.reader,
                    door=scan.door,
                    code=scan.code,
                )
        classification, lookup_error = _looked_up(table, item)
        try:
            transition = add_scan(
                shipment,
                item,
                classification,
                controls,
                now,
                book=self.ledger.book(shipment.id),
                lookup_error=lookup_error,
            )
        except GateError as exc:
            return ScanOutcome.rejected(
                scan.scan_id,
                str(exc),
                "code",
                item=item,
                door_signal=at_door,
                reader=scan.reader,
                door=scan.door,
                code=scan.code,
            )
        after = transition.shipment
        if transition.serials:
            # Counted from now on for the next decision; taken out again if not stored.
            self.ledger.add(after.id, transition.serials)
            counted.setdefault(after.id, []).extend(transition.serials)
        line = transition.lines[0] if transition.lines else None
        before_signal = self._signal(shipment)
        after_signal = self._signal(after, (shipment, before_signal, transition))
        if shipment is not after:
            change.add(shipment, after)
            # Staged at once, so the next scan of this batch builds on it.
            self.state.stage([after], {}, ())
            if shipment.state is not after.state or before_signal != after_signal:
                # A count alone is no shipment event: the scan event carries it.
                change.events.append(("shipment", shipment_event(shipment, after, after_signal)))
        if before_signal != after_signal:
            change.events.append(("door", door_event(after.door, after_signal, after.id)))
        return ScanOutcome.accepted_into(
            scan.scan_id,
            scan.reader,
            scan.door,
            scan.code,
            item,
            classification,
            lookup_error,
            line,
            after,
            after_signal,
            counted=added(shipment, transition.lines),
        )

    def _read_after_seal(
        self,
        scan: ScanInput,
        item: Identifier,
        shipment: Shipment,
        change: Change,
        lookup: tuple[Table | None, Controls, dt.datetime],
    ) -> str:
        """Holds the door for goods read after its shipment was sealed, red when they are
        prohibited there (gate.service.late_reads); what the rejection adds to its error."""
        if self.late_read is None or shipment.state in ACCEPTS["scan"]:
            return ""
        table, controls, now = lookup
        return read_after_seal(
            self.late_read,
            (scan.door, scan.reader, scan.code),
            item,
            shipment,
            change,
            _looked_up(table, item),
            (controls, now),
            self.ledger.book(shipment.id),
        )

    def _uncounted(
        self, scan: ScanInput, item: Identifier, change: Change, table: Table | None, how: str
    ) -> str:
        at = (scan.door, scan.reader, scan.code)
        return read_uncounted(self.late_read, at, item, change, _looked_up(table, item), how)

    def _signal(
        self, shipment: Shipment, scanned: tuple[Shipment, Signal, Transition] | None = None
    ) -> Signal:
        """The shipment's door signal, computed once per shipment value (it reads every
        line, and a scan asks for it before and after). ``scanned``: the shipment before the
        scan, its signal and the scan's transition, which usually tell the signal after
        without reading every line (``signal_after``)."""
        cached = self._signals.get(shipment.id)
        if cached is not None and cached[0] is shipment:
            return cached[1]
        if scanned is None:
            signal = shipment.signal
        else:
            signal = signal_after(scanned[0], scanned[1], scanned[2])
        self._signals[shipment.id] = (shipment, signal)
        return signal

    def _held(self, outcome: ScanOutcome) -> ScanOutcome:
        """``outcome`` with its door's signal as a hold shows it, if the door is held."""
        prohibited = None if self.held is None else self.held(outcome.door_id or "")
        if prohibited is None:
            return outcome
        shown = held_signal(outcome.signal or IDLE, held=True, prohibited_hold=prohibited)
        return replace(outcome, signal=shown)

    def _at(self, door: str) -> tuple[tuple[str, Signal | None], str | None] | None:
        """The door's signal and the id of the shipment there; None for an unknown door."""
        if door not in self.doors:
            return None
        shipment = self.state.door_shipment(door)
        at_door = self._door_signal(door)
        prohibited = None if self.held is None else self.held(door)
        if prohibited is not None:
            value = IDLE if at_door[1] is None else at_door[1].value
            at_door = (door, Signal(held_signal(value, held=True, prohibited_hold=prohibited)))
        return at_door, None if shipment is None else shipment.id

    def _door_signal(self, door: str) -> tuple[str, Signal | None]:
        """The door and its signal; ``None`` when no shipment stands there (idle: never
        green, which means a cleared shipment)."""
        shipment = self.state.door_shipment(door)
        return (door, None if shipment is None else self._signal(shipment))


def _looked_up(table: Table | None, item: Identifier) -> tuple[Classification | None, str | None]:
    """The table's answer for ``item``'s key and the lookup's failure (None: it answered);
    no table is a failure, never "not in the table"."""
    if table is None:
        return None, "no control table is loaded"
    if item.key is None:
        return None, None
    try:
        return table.lookup(item.key), None
    except TableError as exc:
        log.error("lookup failed for %s: %s", item.key, exc)
        return None, f"{type(exc).__name__}: {exc}"
