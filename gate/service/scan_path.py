"""The scan path: a batch of scans checked, decided by the core, written in one commit, and
answered only after it.

Each scan becomes one ``ScanOutcome``, built once and rendered to the wire answer, the audit
record, the event and the stored row. A scan id already answered (``(reader, scan_id)``) is a
retry and gets the first answer again, marked ``duplicate``; a retry of a scan whose first
delivery is still being written waits for that write, and if it failed is refused
(``Unavailable``) so the reader sends it again.

Fail closed: a table that cannot answer for an item holds its line with reason ``error``
and the lookup failure recorded (``lookup_error``), never "not in the table"; with no table
loaded every line is held that way.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gate.config.settings import Door
from gate.core.classification import Classification
from gate.core.identifiers import decode
from gate.core.shipment_values import ACCEPTS, Controls, Shipment, Signal, accepts
from gate.core.shipments import add_scan
from gate.errors import GateError, InvalidCode, StateError, TableError, Unavailable
from gate.service.commit_step import Change, Committer
from gate.service.event_shapes import door_event, prohibited_alert, shipment_event
from gate.service.input_checks import ScanInput, check_scan, storable
from gate.service.live_state import LiveState
from gate.service.scan_outcome import ScanOutcome
from gate.storage import journal, scan_rows
from gate.table.native import Table, TableSlot

log = logging.getLogger("gate.service.scan_path")

#: Scan ids remembered in memory for answering retries (the database keeps them all).
RECENT_SCANS = 200_000

Ident = tuple[str, str]


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
        self.recent: OrderedDict[Ident, ScanOutcome] = OrderedDict()
        self._pending: dict[Ident, tuple[ScanOutcome, asyncio.Future[bool]]] = {}
        self._signals: dict[str, tuple[Shipment, Signal]] = {}

    def loaded(self, rows: Sequence[tuple[str, str, str]]) -> None:
        """Takes the recent scans stored at start: (reader, scan_id, stored outcome)."""
        for reader, scan_id, record in rows:
            self.recent[(reader, scan_id)] = ScanOutcome.from_record(json.loads(record))

    async def scans(self, raws: Sequence[Any], actor: str) -> list[ScanOutcome]:
        """Processes a batch in order; one outcome each, all durable on return."""
        self.committer.require_ok()
        try:
            table: Table | None = self.table.current()
        except TableError:
            table = None
        controls = self.controls(table)
        now = self.clock()
        change = Change()
        change.done = asyncio.get_running_loop().create_future()
        rows: list[scan_rows.ScanRow] = []
        audits: list[tuple[str, str, str | None, dict[str, Any]]] = []
        seen: dict[Ident, ScanOutcome] = {}
        waits: list[asyncio.Future[bool]] = []
        try:
            outcomes = [
                self._scan(raw, actor, table, controls, now, change, rows, audits, seen, waits)
                for raw in raws
            ]
        except BaseException:
            self.state.unstage([after for _, after in change.shipments], {}, ())
            raise
        if rows or audits:
            at = self.clock()

            def write(conn: Any) -> None:
                scan_rows.insert_many(conn, rows)
                journal.append_many(conn, audits, ts=at)

            change.sql.append(write)
            # In flight until the change ends; remembered for retries once it committed. Both
            # run with the commit step, so a caller that goes away cannot skip them.
            done = change.done
            for ident, outcome in seen.items():
                self._pending[ident] = (outcome, done)
            change.committed.append(lambda: self._remember(seen))
            done.add_done_callback(lambda _: self._forget(seen, done))
            await self.committer.apply(change)
        for wait in waits:
            # Shielded: a caller that goes away must not cancel another batch's future.
            if not await asyncio.shield(wait):
                raise Unavailable("the first delivery of a scan in this batch was not stored")
        return outcomes

    def _forget(self, seen: Mapping[Ident, ScanOutcome], done: asyncio.Future[bool]) -> None:
        for ident in seen:
            pending = self._pending.get(ident)
            if pending is not None and pending[1] is done:
                del self._pending[ident]

    def _remember(self, seen: Mapping[Ident, ScanOutcome]) -> None:
        for ident, outcome in seen.items():
            self.recent[ident] = outcome
            if len(self.recent) > RECENT_SCANS:
                self.recent.popitem(last=False)

    def _scan(
        self,
        raw: Any,
        actor: str,
        table: Table | None,
        controls: Controls,
        now: dt.datetime,
        change: Change,
        rows: list[scan_rows.ScanRow],
        audits: list[tuple[str, str, str | None, dict[str, Any]]],
        seen: dict[Ident, ScanOutcome],
        waits: list[asyncio.Future[bool]],
    ) -> ScanOutcome:
        try:
            scan = check_scan(raw)
        except InvalidCode as exc:
            # Not storable under its id: answered, journaled, not kept as a scan.
            sid = raw.get("scan_id") if isinstance(raw, dict) else None
            sid = sid if isinstance(sid, str) and storable(sid) else None
            audits.append(("scan.rejected", actor, None, {"error": str(exc), "scan": _safe(raw)}))
            return ScanOutcome.rejected(sid, str(exc), exc.field)
        ident = (scan.reader, scan.scan_id)
        first = self.recent.get(ident) or seen.get(ident)
        if first is not None:
            return first.duplicate()
        pending = self._pending.get(ident)
        if pending is not None:
            waits.append(pending[1])
            return pending[0].duplicate()
        outcome = self._decide(scan, table, controls, now, change)
        seen[ident] = outcome
        rows.append(
            (
                scan.reader,
                scan.scan_id,
                scan.door,
                scan.code,
                now.isoformat(),
                json.dumps(outcome.to_record()),
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
                f"door {scan.door} has no open shipment",
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
                f"shipment {scan.shipment!r} is not the one at door {scan.door} ({shipment.id})",
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
                    str(exc),
                    "shipment",
                    item=item,
                    door_signal=at_door,
                    shipment=shipment,
                    reader=scan.reader,
                    door=scan.door,
                    code=scan.code,
                )
        classification: Classification | None = None
        lookup_error: str | None = None
        if table is None:
            lookup_error = "no control table is loaded"
        elif item.key is not None:
            try:
                classification = table.lookup(item.key)
            except TableError as exc:
                log.error("lookup failed for %s: %s", item.key, exc)
                lookup_error = f"{type(exc).__name__}: {exc}"
        try:
            transition = add_scan(
                shipment, item, classification, controls, now, lookup_error=lookup_error
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
        line = transition.lines[0] if transition.lines else None
        before_signal = self._signal(shipment)
        after_signal = self._signal(after)
        if shipment is not after:
            change.add(shipment, after)
            # Staged at once, so the next scan of this batch builds on it.
            self.state.stage([after], {}, ())
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
        )

    def _signal(self, shipment: Shipment) -> Signal:
        """The shipment's door signal, computed once per shipment value (it reads every
        line, and a scan asks for it before and after)."""
        cached = self._signals.get(shipment.id)
        if cached is not None and cached[0] is shipment:
            return cached[1]
        signal = shipment.signal
        self._signals[shipment.id] = (shipment, signal)
        return signal

    def _door_signal(self, door: str) -> tuple[str, Signal]:
        shipment = self.state.door_shipment(door)
        # No shipment at the door: nothing is loading, so nothing to stop.
        return (door, Signal.GREEN if shipment is None else self._signal(shipment))


def _safe(raw: Any) -> str | None:
    """A bounded copy of a rejected input for the journal (lone surrogates escaped)."""
    if raw is None:
        return None
    return json.dumps(raw, default=repr)[:1000]
