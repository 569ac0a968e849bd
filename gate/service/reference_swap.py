"""A verified reference-data bundle loaded, checked and swapped in as one step.

The office's bundle (gate/links/reference/) arrives as a folder of files whose signatures,
versions, expiry and hashes TUF has already checked. That they are the office's does not
make them loadable: this module loads everything in it with the loaders a reload uses
(the table compiler and its verified snapshot, ``load_policy``, the screening lists'
``load_snapshot``), into new values beside the ones in use. The invariant:

**Either every piece of the bundle is in use, or none is.** A table that does not compile, a
country file that does not parse (or empties a group the policy relies on), a list that does
not parse, a configured list whose format the bundle changed: any of them refuses the whole
bundle, with an alert and a journal record, and the gate keeps the data it had. Nothing in
use is touched until everything has loaded; then, once no scan batch is between two slices,
the ``reference.applied`` record is begun and the table, the policy, the lists, the
clearances and the configuration that names their files change together, with no ``await``
between them, and every open shipment is decided again, as after any reload. The record so
falls after every change decided on the old data and before every one decided on the new
(``gate.service.swap_record``: audit14, before which a dispatch decided on the old bundle
while the swap waited for the scan batches was journaled after the new bundle's record). A
record that is not stored puts the old data back (``_keeper``), in the step that learns it,
and refuses the bundle; the re-decisions on it are not stored either.

The configuration that names the files is derived from the gate's own (``bundle_config``):
the same settings, with the data paths pointing into the bundle's folder and ``bundle`` set
to its manifest. Everything that reads the config after the swap (the Reloader's watch and
SIGHUP, ``GET /lists``, the data ages) therefore follows the bundle. A configured list the
bundle does not carry keeps its local file; a list the bundle carries that the gate does not
configure is not used (its action, threshold and maximum age are the gate's settings).

Ages (DESIGN 2.3): each piece of data in a bundle is as old as the older of its own date,
where it carries one (the manifest's Annex date for the control list, the date inside a list),
and the bundle's ``published`` time (``data_ages.bundled_age``, ``ListConfig.bundled``): old
lists re-published in a new bundle stay as old as they are (audit14; before, ``published``
alone dated everything, so a re-signed bundle made them fresh on every gate). A bundle
published later than the gate's now (plus ``MAX_CLOCK_SKEW``) is refused (``published``): its
data would have a negative age.

Rollback: TUF refuses an older version than the metadata it trusts, but that lives in
``reference/metadata/``; lose the folder and an older bundle would pass. So the swap also
refuses any version below its ``floor`` (``rollback``): the newest version this gate ever
applied, the highest of the ``reference/applied`` file and the ``reference.applied`` records
of its journal (which a restored or deleted folder does not touch).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gate.config.bundle_manifest import MAX_CLOCK_SKEW, Manifest
from gate.config.lists import ListConfig
from gate.config.settings import Config
from gate.core.screening.clearances import Clearance, ClearanceBook
from gate.errors import GateError
from gate.service import heap
from gate.service.bundle_clearances import parse_clearances
from gate.service.docks import Docks
from gate.service.events import Events
from gate.service.policy_files import PolicyChange, load_policy
from gate.service.reloader import Reloader
from gate.service.screening import ScreeningState, list_changes, list_source, load_snapshot
from gate.service.screening_lists import ListSource, LoadedList, ScreeningSnapshot
from gate.service.swap_record import SwapRecord
from gate.storage import clearance_rows, journal
from gate.table import snapshots
from gate.table.compiler import compile_table

log = logging.getLogger("gate.reference")

#: The compiled table's name inside a bundle's folder (the gate compiles it there).
TABLE_NAME = "table.gtab"


class BundleRefused(GateError):
    """A verified bundle whose contents do not load; ``check`` is ``load``."""

    check = "load"


class BundleRolledBack(BundleRefused):
    """A bundle older than one this gate already applied."""

    check = "rollback"


class BundleFromTheFuture(BundleRefused):
    """A bundle published later than the gate's now (plus the clock skew allowed)."""

    check = "published"


def bundle_config(config: Config, manifest: Manifest, folder: Path) -> Config:
    """``config`` with its data files taken from the bundle in ``folder``. Raises
    BundleRefused when the bundle carries a configured list in another format."""
    carried = {item.name: item for item in manifest.lists}
    lists: list[ListConfig] = []
    for item in config.lists:
        found = carried.get(item.name)
        if found is None:
            lists.append(item)
            continue
        if found.format != item.format:
            raise BundleRefused(
                f"list {item.name}: the bundle has it as {found.format}, the gate as {item.format}"
            )
        lists.append(
            dataclasses.replace(
                item,
                paths=tuple(folder / name for name in found.files),
                published=manifest.published,
                bundled=True,
            )
        )
    table = dataclasses.replace(
        config.table,
        path=folder / TABLE_NAME,
        control_list=folder / manifest.control_list,
        catalogues=tuple(folder / name for name in manifest.catalogues),
        annex=manifest.annex or config.table.annex,
        annex_date=manifest.annex_date or config.table.annex_date,
    )
    policy = dataclasses.replace(config.policy, countries=folder / manifest.countries)
    return dataclasses.replace(
        config, table=table, policy=policy, lists=tuple(lists), bundle=manifest
    )


def _rekeyed(
    snapshot: ScreeningSnapshot | None, sources: tuple[ListSource, ...]
) -> ScreeningSnapshot | None:
    """The lists in use, each under its new source (the bundle's path) when nothing else of
    the source changed: ``load_lists`` then reuses a list whose bytes are the same (it
    compares their digest) and the index when no list changed, instead of parsing and
    indexing every list again for a bundle that changed none."""
    if snapshot is None:
        return None
    lists = dict(snapshot.lists)
    for source in sources:
        old = lists.get(source.list_id)
        if old is not None and dataclasses.replace(old.source, paths=source.paths) == source:
            lists[source.list_id] = LoadedList(source, old.parsed, old.digest)
    return ScreeningSnapshot(lists, snapshot.index)


class ReferenceSwap:
    """Loads verified bundles into the running gate; see the module docstring.

    ``applied`` is the manifest in use (None: the config's own files); ``refused`` the last
    refusal (check and text) until a bundle is applied."""

    def __init__(
        self,
        docks: Docks,
        screening: ScreeningState,
        reloader: Reloader,
        events: Events,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.docks = docks
        self.screening = screening
        self.reloader = reloader
        self.events = events
        self.clock = clock
        self.refused: tuple[str, str] | None = None
        self.outcomes: dict[str, int] = {"applied": 0, "refused": 0}
        self._journal_floor: int | None = None  # read once, then kept up to date

    @property
    def applied(self) -> Manifest | None:
        return self.docks.config.bundle

    async def floor(self) -> int:
        """The newest bundle version this gate ever applied (0: none): the highest of the
        bundle in use, the ``applied`` file and the journal. Raises StoreError."""
        if self._journal_floor is None:
            self._journal_floor = await self.docks.store.read(journal_floor)
        found = [self._journal_floor]
        if self.applied is not None:
            found.append(self.applied.version)
        ref = self.docks.config.reference
        if ref is not None:
            try:
                found.append(int(ref.applied_file.read_text().strip()))
            except FileNotFoundError:
                pass
            except (OSError, ValueError) as exc:  # fail closed: nothing known to be older
                raise GateError(f"{ref.applied_file} unreadable: {exc}") from exc
        return max(found)

    async def _admit(self, manifest: Manifest) -> None:
        """Raises BundleRefused (alerted and journaled) for a bundle older than the floor
        or published in the future."""
        refusal: BundleRefused | None = None
        floor = await self.floor()
        now = self.clock()
        if manifest.version < floor:
            refusal = BundleRolledBack(
                f"bundle v{manifest.version} is older than v{floor}, which this gate"
                " already applied"
            )
        elif manifest.published > now + MAX_CLOCK_SKEW:
            refusal = BundleFromTheFuture(
                f"bundle v{manifest.version} says it was published"
                f" {manifest.published.isoformat()}, after the gate's now {now.isoformat()}"
            )
        if refusal is not None:
            await self.refuse(manifest.version, refusal.check, str(refusal))
            raise refusal

    async def apply(self, manifest: Manifest, folder: Path) -> None:
        """Loads the bundle in ``folder`` and swaps it in as one step, then re-decides.

        Raises BundleRefused (alerted and journaled, nothing changed) when anything in it
        does not load."""
        screening, reloader = self.screening, self.reloader
        started = time.monotonic()
        async with screening.lock, reloader.lock:
            await self._admit(manifest)
            config = self.docks.config
            try:
                new = bundle_config(config, manifest, folder)
                table = await asyncio.to_thread(self._load_table, new)
                policy = load_policy(new)
                sources = tuple(list_source(x) for x in new.lists)
                lists, refusals = await asyncio.to_thread(
                    load_snapshot, sources, _rekeyed(screening.snapshot, sources)
                )
                if refusals:
                    raise BundleRefused(
                        "; ".join(f"list {r.list_id}: {r.reason}" for r in refusals)
                    )
                clearances = self._clearances(new, manifest, folder)
                change = PolicyChange.between(self.docks.policy.policy, policy.policy)
                doc = {**self._doc(manifest), **change.audit_doc()}
                doc["lists"] = list_changes(screening.snapshot, lists)
                record = self._record(doc, clearances)
            except Exception as exc:  # fail closed: whatever went wrong, nothing changed
                await self.refuse(manifest.version, "load", str(exc) or repr(exc))
                if isinstance(exc, BundleRefused):
                    raise
                raise BundleRefused(str(exc) or repr(exc)) from exc
            # The swap, once no scan batch is between two slices (``gate.service.slice_turns``:
            # a batch is decided on one bundle). Nothing awaits between these lines, nor until
            # every shipment is re-decided and staged (``reevaluate_all``'s own wait for the
            # turns returns at once then): a dispatch never decides on the new data with the
            # old decisions. The record is begun in the same step (``SwapRecord``): after
            # every change decided on the old data, before every one decided on the new.
            await self.docks.scan_path.turns.settled()
            record.begin(self.docks.committer.begin, self._keeper(table))
            self.docks.table.swap(table)
            self.docks.policy = policy
            self.docks.config = new
            screening.follow(new.lists, lists)
            screening.book = _with_new(screening.book, clearances)
            reloader.follow(new)
            why = f"reference bundle v{manifest.version}"
            redecided: Exception | None = None
            try:
                changed = await self.docks.reevaluate_all(why, first=record.stored_first)
            except Exception as exc:  # the record's failure, when it failed, says more
                redecided = exc
            failed = await record.error()
            if failed is not None:  # the data in use before is back (``_keeper``)
                await self.refuse(manifest.version, "load", f"not journaled: {failed}")
                raise BundleRefused(f"not journaled: {failed}") from failed
            self.refused = None
            self.outcomes["applied"] += 1
            self._journal_floor = max(self._journal_floor or 0, manifest.version)
            if change.removes:
                reloader.alert_removals(change)
            if redecided is not None:
                raise redecided
            await asyncio.to_thread(snapshots.prune, reloader.snapshots, [table])
            heap.settle(why)
        text = (
            f"Reference bundle v{manifest.version} (published {manifest.published.isoformat()})"
            f" in use; {changed} shipments changed ({time.monotonic() - started:.2f} s)"
        )
        log.info("%s", text)
        self.events.publish("reference", {**self._doc(manifest), "shipments_changed": changed})
        self.events.publish("alert", {"level": "info", "kind": "reference_applied", "text": text})
        self.events.publish("lists", {"lists": screening.status_docs(self.clock())})

    def _clearances(self, config: Config, manifest: Manifest, folder: Path) -> list[Clearance]:
        """The bundle's clearances for the lists this gate screens against (raises
        BundleError, OSError)."""
        if manifest.clearances is None:
            return []
        found = parse_clearances((folder / manifest.clearances).read_bytes(), manifest)
        names = {item.name for item in config.lists}
        return [item for item in found if item.list in names]

    def _record(self, data: dict[str, Any], clearances: list[Clearance]) -> SwapRecord:
        """The record of the applied bundle, to begin in the swap's step: it also stores (and
        journals) each clearance not stored before, in the same transaction."""
        at = self.clock()

        def write(conn: sqlite3.Connection) -> int:
            added = 0
            for item in clearances:
                if clearance_rows.insert(conn, item):
                    added += 1
                    journal.append(
                        conn,
                        kind="clearance.added",
                        actor="central",
                        subject=f"{item.list}:{item.entry}",
                        data={**item.doc(), "webhook_id": item.webhook_id},
                        ts=at,
                    )
            return journal.append(
                conn,
                kind="reference.applied",
                actor="central",
                subject=None,
                data={**data, "clearances_added": added},
                ts=at,
            ).seq

        return SwapRecord("reference.applied", write)

    def _keeper(self, table: Any) -> Callable[[], None]:
        """Puts the data in use now back, unless ``table`` was already replaced again: the
        swap's ``rolled_back`` when its record is not stored."""
        docks, screening, reloader = self.docks, self.screening, self.reloader
        kept_table, policy, config = docks.table.current(), docks.policy, docks.config
        lists = (screening.configs, screening.sources, screening.snapshot, screening.refused)
        book, seen = screening.book, reloader.seen

        def put_back() -> None:
            if docks.table.current() is not table:
                return
            docks.table.swap(kept_table)
            docks.policy, docks.config = policy, config
            screening.configs, screening.sources, screening.snapshot, screening.refused = lists
            screening.book = book
            reloader.follow(config, seen)

        return put_back

    def _load_table(self, config: Config) -> Any:
        """Compiles the bundle's control list and catalogues and opens the result verified,
        as a snapshot (blocking: run in a worker thread)."""
        compile_table(config.table.control_list, config.table.catalogues, config.table.path)
        return snapshots.open_snapshot(config.table.path, self.reloader.snapshots)

    async def refuse(self, version: int | None, check: str, text: str) -> None:
        """Alerts and journals a refused bundle (a TUF check or its contents); nothing of
        the data in use changes. The same refusal again is journaled and alerted once."""
        self.outcomes["refused"] += 1
        if self.refused == (check, text):
            return
        self.refused = (check, text)
        in_use = self.applied
        kept = "local files" if in_use is None else f"bundle v{in_use.version}"
        message = f"Reference bundle refused ({check}), {kept} kept in use: {text}"
        # An office out of reach refuses nothing it sent: the data in use stays, and ages.
        level = "warning" if check == "download" else "critical"
        log.log(logging.WARNING if check == "download" else logging.ERROR, "%s", message)
        self.events.publish(
            "alert",
            {"level": level, "kind": "reference_refused", "check": check, "text": message},
        )
        at = self.clock()
        data = {"version": version, "check": check, "reason": text}

        def write(conn: sqlite3.Connection) -> None:
            # The gate refused it: the office only sent it (or nothing, when out of reach).
            journal.append(
                conn, kind="reference.refused", actor="gate", subject=None, data=data, ts=at
            )

        try:
            await self.docks.store.write(write)
        except GateError:
            log.exception("a refused bundle could not be journaled")

    def _doc(self, manifest: Manifest) -> dict[str, Any]:
        return {
            "version": manifest.version,
            "published": manifest.published.isoformat(),
            "files": list(manifest.files),
        }

    def status_doc(self) -> dict[str, Any] | None:
        """The bundle in use and the last refusal, for ``GET /lists``; None when the gate
        has neither (it runs on its config's files and was never refused a bundle)."""
        bundle = self.applied
        if bundle is None and self.refused is None:
            return None
        return {
            "version": None if bundle is None else bundle.version,
            "published": None if bundle is None else bundle.published.isoformat(),
            "refused": None
            if self.refused is None
            else {"check": self.refused[0], "reason": self.refused[1]},
        }


def journal_floor(conn: sqlite3.Connection) -> int:
    """The newest bundle version the journal says was applied (0: none)."""
    row = conn.execute(
        "SELECT max(CAST(json_extract(data, '$.version') AS INTEGER)) FROM audit"
        " WHERE kind = 'reference.applied'"
    ).fetchone()
    return int(row[0] or 0)


def _with_new(book: ClearanceBook, clearances: list[Clearance]) -> ClearanceBook:
    """``book`` with each of ``clearances`` it does not hold (the same columns
    ``clearance_rows.insert`` finds a stored one by), as the bundle's record stores them."""

    def key(item: Clearance) -> tuple[object, ...]:
        return (item.list, item.entry, item.version, item.name, item.country, item.ids)

    known = {key(item) for item in book.all()}
    fresh: dict[tuple[object, ...], Clearance] = {}
    for item in clearances:
        if key(item) not in known:
            fresh.setdefault(key(item), item)
    return ClearanceBook.of([*book.all(), *fresh.values()]) if fresh else book
