"""Swapping in a new control table (and policy files) without a restart.

A new table is opened and fully verified before it is used; a table that fails is refused
with an alert and the old one stays in use. After a swap, every shipment that is not final is
decided again: a shipment cleared yesterday can be held today. The table is mapped from the
gate's own snapshot of the configured file (gate/table/snapshots.py: the configured file can
be truncated or overwritten without reaching a table in use); after a swap the older
snapshots are removed, and the old table's mapping is released when the last lookup that
holds it finishes (see ``TableSlot``).

Policy files are refused the same way (an empty relied-on group included, see
``policy_files``). A change to the groups is journaled (``policy.changed``) in the step that
swaps the new table and policy in, so every change decided on the old policy is journaled
before it and every one decided on the new after it (``gate.service.swap_record``); a record
that is not stored puts the old table and policy back and refuses the reload. One that takes
members away raises an alert naming them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

from gate.config.settings import Config
from gate.errors import GateError
from gate.service.docks import Docks
from gate.service.events import Events
from gate.service.policy_files import PolicyChange, PolicyData, load_policy
from gate.service.screening import ScreeningState
from gate.service.swap_record import SwapRecord
from gate.storage import journal
from gate.table import snapshots
from gate.table.native import Table, TableSlot

log = logging.getLogger("gate.reload")


def _stamp(path: Path) -> tuple[int, int, float] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime)


class Reloader:
    def __init__(
        self,
        config: Config,
        slot: TableSlot,
        docks: Docks,
        events: Events,
        screening: ScreeningState | None = None,
    ) -> None:
        self.config = config
        self.screening = screening  # its lists reload with the rest, refused on their own
        self.slot = slot
        self.docks = docks
        self.events = events
        self.lock = asyncio.Lock()
        self.outcomes: dict[str, int] = {"ok": 0, "refused": 0}
        self._seen = self._stamps()
        self.snapshots = snapshots.folder_for(config.database)

    def _stamps(self) -> tuple[object, ...]:
        p = self.config.policy
        lists = () if self.screening is None else self.screening.stamps()
        return (_stamp(self.config.table.path), _stamp(p.countries), lists)

    async def reload(self, why: str) -> bool:
        """Reloads the screening lists, the table and the policy files; True if the new table
        and policy files are in use (a refused list alerts on its own, see ScreeningState)."""
        # The files as they are before anything is read: one written while this reload reads
        # (a list, the table) differs from them, so the watch reloads again. Taken after the
        # reading, such an edit counted as seen and was never loaded.
        stamps = self._stamps()
        if self.screening is not None:
            await self.screening.reload(why)
        async with self.lock:
            self._seen = stamps
            try:
                table = await asyncio.to_thread(
                    snapshots.open_snapshot, self.config.table.path, self.snapshots
                )
                policy = load_policy(self.config)
                change = PolicyChange.between(self.docks.policy.policy, policy.policy)
            except (GateError, OSError, sqlite3.Error) as exc:
                self._refused(why, exc)
                return False
            # Once no scan batch is between two slices (``gate.service.slice_turns``), so a
            # batch is decided on one table and policy. From the swap nothing awaits until
            # every shipment is re-decided and staged (``reevaluate_all``'s own wait for the
            # turns returns at once then): a dispatch never decides on the new table with the
            # old policy, or on the old decisions. The record of a policy change is begun in
            # the same step (``SwapRecord``): after every change decided on the old policy.
            await self.docks.scan_path.turns.settled()
            record = self._record(change, why) if change else None
            old, kept = self.slot.swap(table), self.docks.policy
            if record is not None:
                record.begin(self.docks.committer.begin, lambda: self._put_back(table, old, kept))
            self.docks.policy = policy
            first = None if record is None else record.stored_first
            redecided: Exception | None = None
            try:
                changed = await self.docks.reevaluate_all(f"reload: {why}", first=first)
            except Exception as exc:  # the record's failure, when it failed, says more
                redecided = exc
            failed = None if record is None else await record.error()
            if failed is not None:  # the old table and policy are back in use
                self._refused(why, failed)
                return False
            if change.removes:
                self.alert_removals(change)
            if redecided is not None:
                raise redecided
            await asyncio.to_thread(snapshots.prune, self.snapshots, [table])
            self.outcomes["ok"] += 1
            info = table.info
            log.info(
                "reloaded table %s (%s entries), %s shipments changed",
                info.version,
                info.entries,
                changed,
            )
            self.events.publish(
                "table",
                {
                    "version": info.version,
                    "entries": info.entries,
                    "built_at": info.built_at.isoformat(),
                    "replaced": old.info.version if old else None,
                    "shipments_changed": changed,
                },
            )
            self.events.publish(
                "alert",
                {
                    "level": "info",
                    "kind": "table_reloaded",
                    "text": f"Control table {info.version} loaded",
                },
            )
            return True

    def _record(self, change: PolicyChange, why: str) -> SwapRecord:
        """The journal record of a change of the groups, to begin in the swap's step."""
        at = self.docks.clock()
        data = {"why": why, **change.audit_doc()}

        def write(conn: sqlite3.Connection) -> int:
            return journal.append(
                conn, kind="policy.changed", actor="gate", subject=None, data=data, ts=at
            ).seq

        return SwapRecord("policy.changed", write)

    def _put_back(self, table: Table, old: Table | None, policy: PolicyData) -> None:
        """The table and policy in use before ``table`` (its record was not stored)."""
        if self.slot.current() is not table:
            return
        if old is not None:
            self.slot.swap(old)
        self.docks.policy = policy

    def _refused(self, why: str, exc: BaseException) -> None:
        self.outcomes["refused"] += 1
        log.error("reload (%s) refused, keeping the data in use: %s", why, exc)
        self.events.publish(
            "alert",
            {
                "level": "critical",
                "kind": "table_refused",
                "text": f"New control data refused, the data in use kept: {exc}",
            },
        )

    def alert_removals(self, change: PolicyChange) -> None:
        """An alert naming what the reload took away: critical if an embargo lost members."""
        level = "critical" if change.embargo_lost else "warning"
        text = f"Policy data reloaded with removals: {change.summary()}"
        log.warning("%s", text)
        self.events.publish(
            "alert", {"level": level, "kind": "policy_reduced", "text": text, **change.audit_doc()}
        )

    @property
    def seen(self) -> tuple[object, ...]:
        """The files' stamps the watch compares with (what it last loaded)."""
        return self._seen

    def follow(self, config: Config, seen: tuple[object, ...] | None = None) -> None:
        """Reads ``config``'s files from now on (a signed bundle's, gate/service/
        reference_swap.py), as they are now (or as ``seen`` stamped them: the config put
        back): the watch reloads when they change again. The caller holds ``lock`` and has
        already pointed the screening state at the same lists."""
        self.config = config
        self._seen = self._stamps() if seen is None else seen

    async def watch(self, interval: float = 1.0) -> None:
        """Polls the table and policy files; a change (a new `gate compile`) reloads."""
        while True:
            await asyncio.sleep(interval)
            if self._stamps() != self._seen:
                # Let a writer finish (gate compile renames a complete file, others may not).
                await asyncio.sleep(interval / 2)
                with contextlib.suppress(Exception):
                    await self.reload("files changed")
