"""The live screening state: the configured lists, their index, their ages and the clearances.

Loading the demo lists takes seconds, so the first load runs in a worker thread after the
service has started (``first_load``), never on the event loop. Until it has finished, and
while any configured list is absent (refused at its first load), the state is not ready:
``screen`` raises ScreeningUnavailable, ``/readyz`` says not ready, and every list counts as
stale. A caller deciding a shipment therefore holds (fail closed) rather than clears on a
screening that did not happen.

A reload (SIGHUP, or a list file that changed, through the Reloader) builds a whole new
snapshot in a worker thread and swaps it in with one assignment. A list that is refused keeps
its old version and raises an alert. What changed (entries added, removed and changed per
list) is journaled in the order of effect: in the step that swaps the new snapshot in, the
record is handed to the docks' commit step (``commit``, ``Committer.begin``) as a change of
its own, so every change decided before the swap (on the old lists) is written before the
record and every change decided after it (on the new ones) after it, whichever writer takes
it. The new snapshot is in use from that step as a staged value is: if the record is not
stored, the old snapshot is put back in the step that learns it (before any other decision)
and the reload is refused, so a change that cannot be journaled is not kept (attack13: the
record was written first and the swap waited for the scan batches; a dispatch decided
meanwhile on the old lists was journaled after the record of the new ones). The configured
``published`` dates are remembered in the ``meta`` table, and a change of one is journaled at
the first load after it.

Ages (DESIGN 2.3) come from the date inside the data (UN ``dateGenerated``, EU
``generationDate``), else from the list's configured ``published``; never from a file's
modification time. A list with neither is stale. A list from a signed bundle is as old as the
older of its own date and the bundle's ``published`` (``bundled_age``, audit14).

Clearances from the central office are loaded from the store at start, stored with their
journal record, and applied to every screening.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import itertools
import json
import logging
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gate.config.lists import ListConfig
from gate.core.facts import FUTURE_SLACK
from gate.core.screening import Hit, Party, screen
from gate.core.screening.clearances import Clearance, ClearanceBook
from gate.errors import GateError
from gate.service import heap
from gate.service.commit_step import Change
from gate.service.data_ages import bundled_age
from gate.service.events import Events
from gate.service.screening_lists import (
    ListSource,
    LoadedList,
    Refusal,
    ScreeningSnapshot,
    load_lists,
)
from gate.storage import clearance_rows, journal
from gate.storage.store import Store

log = logging.getLogger("gate.screening")

#: The ``meta`` key under which the configured publication dates are remembered.
PUBLISHED_META = "screening.published"
#: How many references per list and kind a journal record names (the counts are complete).
JOURNAL_REFERENCES = 100
#: Seconds between tries of the re-decision after the first load, while it fails (the last
#: one repeated): the shipments decided while the lists loaded are held without a licence
#: request until it succeeds.
REDECIDE_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class ScreeningUnavailable(GateError):
    """The lists are not loaded (yet, or one was refused at start): nobody may be cleared."""


def list_source(item: ListConfig) -> ListSource:
    """The loader's view of a configured list: its files, format and how a hit is used."""
    return ListSource(item.name, item.engine_format, item.paths, item.action, item.threshold)


# --- the last index built, shared by gates of one process ------------------------------------
# An index is immutable and depends only on the lists' bytes and policies. Several gates in
# one process (the tests start dozens) load the same files: the last snapshot built is kept
# and reused by a first load when every list's bytes and policy match, so only the first pays
# the seconds. A reload replaces it too, so a gate that reloads its lists for months keeps no
# index but the one in use (the first one stayed alive for the process's life); after a
# reload that refused a list, the last clean one is kept until the next clean reload.
_LAST: tuple[tuple[object, ...], ScreeningSnapshot] | None = None
_LAST_LOCK = threading.Lock()


def _content_key(sources: Sequence[ListSource]) -> tuple[object, ...] | None:
    key: list[object] = []
    for source in sources:
        digest = hashlib.sha256()
        for path in source.paths:
            try:
                digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
            except OSError:
                return None
        key.append((source.list_id, source.format, source.action, source.threshold))
        key.append(digest.hexdigest())
    return tuple(key)


def load_snapshot(
    sources: Sequence[ListSource], previous: ScreeningSnapshot | None
) -> tuple[ScreeningSnapshot, tuple[Refusal, ...]]:
    """``load_lists``, reusing the last index this process built over the same bytes.

    Blocking (reads files, builds the index): run it in a worker thread.
    """
    global _LAST
    key = _content_key(sources)
    with _LAST_LOCK:
        last = _LAST
    if previous is None and key is not None and last is not None and last[0] == key:
        cached = last[1]
        lists = {
            s.list_id: LoadedList(s, cached.lists[s.list_id].parsed, cached.lists[s.list_id].digest)
            for s in sources
        }
        return ScreeningSnapshot(lists, cached.index), ()
    snapshot, refusals = load_lists(sources, previous)
    if key is not None and not refusals:
        with _LAST_LOCK:
            _LAST = (key, snapshot)
    return snapshot, refusals


# --- what changed ------------------------------------------------------------------------------


def list_changes(
    old: ScreeningSnapshot | None, new: ScreeningSnapshot
) -> dict[str, dict[str, Any]]:
    """Per list whose entries or places (ParsedList.places) differ: counts and references
    added, removed and changed, and how many places came or went."""
    changes: dict[str, dict[str, Any]] = {}
    for name, loaded in new.lists.items():
        before_list = None if old is None else old.lists.get(name)
        if before_list is loaded:
            continue
        before = (
            {}
            if before_list is None
            else {e.reference: e.version for e in before_list.parsed.entries}
        )
        after = {e.reference: e.version for e in loaded.parsed.entries}
        added = sorted(after.keys() - before.keys())
        removed = sorted(before.keys() - after.keys())
        changed = sorted(r for r in after.keys() & before.keys() if after[r] != before[r])
        # The places of the addresses are no entry's (no version names them), yet a party's
        # name is screened without one it ends with (gate.core.screening.places): a list whose
        # places alone changed screens differently, and its shipments are decided again.
        places = set(loaded.parsed.places) ^ set(
            () if before_list is None else before_list.parsed.places
        )
        if not (added or removed or changed or places):
            continue
        dated = loaded.parsed.published
        changes[name] = {
            "entries": len(after),
            "added": len(added),
            "removed": len(removed),
            "changed": len(changed),
            "added_refs": added[:JOURNAL_REFERENCES],
            "removed_refs": removed[:JOURNAL_REFERENCES],
            "changed_refs": changed[:JOURNAL_REFERENCES],
            "places_changed": len(places),
            # The data's own date, so the journal shows how fresh each version was.
            "published": None if dated is None else dated.isoformat(),
        }
    return changes


class ScreeningState:
    """The lists in use, their index and the clearances; see the module docstring."""

    def __init__(
        self,
        lists: Sequence[ListConfig],
        store: Store,
        events: Events,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.configs: Mapping[str, ListConfig] = {item.name: item for item in lists}
        self.sources = tuple(list_source(item) for item in lists)
        self.store = store
        self.events = events
        self.clock = clock
        self.snapshot: ScreeningSnapshot | None = None
        self.book = ClearanceBook()
        #: The latest refusal of each list still refused, by list name.
        self.refused: dict[str, str] = {}
        self.loaded = asyncio.Event()
        #: True until the first load has swapped lists in or failed: the lists are loading.
        self.starting = True
        self.lock = asyncio.Lock()
        #: Called (awaited) after the lists or the clearances changed: re-decides shipments.
        self.on_change: Callable[[str], Awaitable[object]] | None = None
        #: Awaited just before new lists are swapped in: returns once no scan batch is between
        #: two slices (``gate.service.slice_turns``), so a batch is decided on one list date.
        self.settled: Callable[[], Awaitable[None]] | None = None
        #: Starts a change's write in the order changes are decided (``Committer.begin``):
        #: a reload's record of the lists goes through it. None (no docks): written directly.
        self.commit: Callable[[Change], asyncio.Future[None]] | None = None
        self.outcomes: dict[str, int] = {"ok": 0, "refused": 0}

    # --- start and reload ----------------------------------------------------------------------

    async def open(self) -> None:
        """Loads the stored clearances (fast); the lists follow in ``first_load``."""
        self.book = ClearanceBook.of(await self.store.read(clearance_rows.load_all))

    async def first_load(self) -> None:
        """Loads every configured list in a worker thread and publishes the snapshot.

        A list refused here stays absent (alerted) and keeps the state not ready; a later
        reload that reads it makes it ready. Then re-decides the shipments (``on_change``).
        Never raises but for cancellation.
        """
        async with self.lock:
            try:
                snapshot, refusals = await asyncio.to_thread(load_snapshot, self.sources, None)
                await self._journal_published("start")
            except Exception as exc:  # fail closed: stays not ready, says why
                self.starting = False
                log.exception("screening lists not loaded")
                self._alert("critical", "lists_refused", f"Screening lists not loaded: {exc}")
                return
            if self.settled is not None:
                await self.settled()
            self._refusals(refusals)
            self.snapshot = snapshot
            self.starting = False
            heap.settle("screening lists loaded")
            log.info(
                "screening lists loaded: %s",
                ", ".join(f"{n} ({len(x.parsed.entries)})" for n, x in snapshot.lists.items()),
            )
            self.events.publish("lists", {"lists": self.status_docs(self.clock())})
            # The shipments decided before (held: no list loaded, no licence request) are
            # screened and decided now; ``loaded`` is set once they are.
            if self.on_change is not None:
                await _until_done(self.on_change, "lists loaded")
            self.loaded.set()

    async def reload(self, why: str) -> bool:
        """Reads the lists again; True when every list is in use at its current file.

        Changed lists are swapped in as one snapshot in the step that hands their journal
        record to the writers (``_swap``); refused ones keep their old version (alerted). A
        journal write that fails keeps the old snapshot whole.
        """
        async with self.lock:
            old = self.snapshot
            try:
                snapshot, refusals = await asyncio.to_thread(load_snapshot, self.sources, old)
                changes = list_changes(old, snapshot)
                if self.settled is not None:
                    await self.settled()
                await self._swap(why, changes, old, snapshot)
            except Exception as exc:
                self.outcomes["refused"] += 1
                log.exception("screening reload (%s) failed, keeping the lists in use", why)
                self._alert(
                    "critical", "lists_refused", f"Screening lists not reloaded ({why}): {exc}"
                )
                return False
            self._refusals(refusals)
            self.starting = False
            self.loaded.set()
            self.outcomes["ok" if not refusals else "refused"] += 1
            if changes or old is None:
                heap.settle(f"screening lists reloaded ({why})")
            if changes or old is None:
                summary = "; ".join(
                    f"{n}: +{c['added']} -{c['removed']} ~{c['changed']}"
                    for n, c in changes.items()
                )
                log.info("screening lists reloaded (%s): %s", why, summary or "no entry changed")
                for name, c in changes.items():
                    if c["removed"]:
                        # A list that lost entries may have lost the one a party matched: a
                        # person must see it (a truncated file can parse cleanly).
                        self._alert(
                            "warning",
                            "list_reduced",
                            f"Screening list {name} lost {c['removed']} entries ({why}):"
                            f" {', '.join(c['removed_refs'][:5])}",
                            list=name,
                        )
                self.events.publish(
                    "lists", {"lists": self.status_docs(self.clock()), "changes": changes}
                )
                if self.on_change is not None:
                    await self.on_change(f"lists changed: {why}")
            return not refusals

    def follow(self, lists: Sequence[ListConfig], snapshot: ScreeningSnapshot) -> None:
        """Uses ``lists`` (a signed bundle's, gate/service/reference_swap.py) and ``snapshot``,
        loaded from their files, from now on. The caller holds ``lock``, has loaded every
        list without a refusal and has journaled the changes (decide, write, then publish)."""
        self.configs = {item.name: item for item in lists}
        self.sources = tuple(list_source(item) for item in lists)
        self.snapshot = snapshot
        self.refused = {}
        self.loaded.set()

    def _refusals(self, refusals: Sequence[Refusal]) -> None:
        self.refused = {r.list_id: r.reason for r in refusals}
        for refusal in refusals:
            kept = self.snapshot is not None and refusal.list_id in self.snapshot.lists
            text = (
                f"Screening list {refusal.list_id} refused, "
                f"{'the version in use kept' if kept else 'it is not loaded'}: {refusal.reason}"
            )
            log.error("%s", text)
            self._alert("critical", "list_refused", text, list=refusal.list_id)

    def _alert(self, level: str, kind: str, text: str, **extra: str) -> None:
        self.events.publish("alert", {"level": level, "kind": kind, "text": text, **extra})

    async def _swap(
        self,
        why: str,
        changes: dict[str, dict[str, Any]],
        old: ScreeningSnapshot | None,
        snapshot: ScreeningSnapshot,
    ) -> None:
        """Uses ``snapshot`` from now on and journals ``changes`` (none: nothing to write).

        The caller has waited for the scan batches (``settled``). From here nothing awaits
        until the record's change is begun (its place among the writes taken) and the
        snapshot swapped in, in one step of the loop: the record falls after every change
        decided on ``old`` and before every one decided on ``snapshot``. Raises (the write's
        error) when the record was not stored; ``old`` is then in use again, put back before
        any other decision. A storage failure latches the gate, as any change's does. Not
        enforced: a change decided on ``snapshot`` while the record was written, and handed to
        a writer before the record failed, is not refused for that (nothing guards a list as
        ``LiveState.guard`` guards a shipment); it is stored unless its own write fails too."""
        if not changes:
            self.snapshot = snapshot
            return
        at = self.clock()

        def write(conn: sqlite3.Connection) -> None:
            journal.append(
                conn,
                kind="lists.changed",
                actor="gate",
                subject=None,
                data={"why": why, "lists": changes},
                ts=at,
            )

        if self.commit is None:  # nothing else decides: written, then used
            await self.store.write(write)
            self.snapshot = snapshot
            return

        def take_back() -> None:
            if self.snapshot is snapshot:
                self.snapshot = old

        change = Change(sql=[write], rolled_back=[take_back])
        ending = self.commit(change)
        self.snapshot = snapshot
        await ending

    async def _journal_published(self, why: str) -> None:
        """Journals each configured ``published`` that differs from the one remembered."""
        now = {
            name: None if c.published is None else c.published.isoformat()
            for name, c in self.configs.items()
        }
        at = self.clock()

        def write(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (PUBLISHED_META,)).fetchone()
            before: dict[str, str | None] = {} if row is None else json.loads(row[0])
            if before == now:
                return
            changed = {
                name: {"before": before.get(name), "after": value}
                for name, value in now.items()
                if name in before and before[name] != value
            }
            if changed:
                journal.append(
                    conn,
                    kind="lists.published_changed",
                    actor="gate",
                    subject=None,
                    data={"why": why, "lists": changed},
                    ts=at,
                )
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (PUBLISHED_META, json.dumps(now, sort_keys=True)),
            )

        await self.store.write(write)

    def stamps(self) -> tuple[object, ...]:
        """Each list file's (inode, size, mtime), for the Reloader's watch to notice an edit;
        the mtime only says "look again", never how old the data is."""
        found: list[object] = []
        for source in self.sources:
            for path in source.paths:
                try:
                    st = path.stat()
                except OSError:
                    found.append(None)
                    continue
                found.append((st.st_ino, st.st_size, st.st_mtime))
        return tuple(found)

    # --- screening -----------------------------------------------------------------------------

    @property
    def missing(self) -> tuple[str, ...]:
        """Configured lists not in use: all of them before the first load."""
        lists = {} if self.snapshot is None else self.snapshot.lists
        return tuple(name for name in self.configs if name not in lists)

    @property
    def ready(self) -> bool:
        """Loaded, with every configured list in use."""
        return self.snapshot is not None and not self.missing

    def screen(self, party: Party) -> tuple[Hit, ...]:
        """Every hit of ``party`` on every list, with the clearances applied.

        Raises ScreeningUnavailable while the lists are not loaded or one is absent.
        """
        snapshot = self.snapshot
        if snapshot is None or self.missing:
            missing = ", ".join(self.missing) or "all"
            raise ScreeningUnavailable(f"screening lists not loaded: {missing}")
        return self.book.apply(screen(snapshot.index, party), party)

    def entry_version(self, list_name: str, reference: str) -> str | None:
        """The version of the entry in use, or None when the list or entry is not loaded."""
        snapshot = self.snapshot
        loaded = None if snapshot is None else snapshot.lists.get(list_name)
        if loaded is None:
            return None
        return next((e.version for e in loaded.parsed.entries if e.reference == reference), None)

    # --- ages ----------------------------------------------------------------------------------

    def published(self, name: str) -> dt.datetime | None:
        """The publication time of list ``name`` (its age, DESIGN 2.3): the date inside its
        data, else its configured ``published``, else None. A list from a signed bundle is as
        old as the older of its own date, where it carries one, and the bundle's
        ``published`` (``bundled_age``): re-publishing old data does not make it fresh."""
        snapshot = self.snapshot
        loaded = None if snapshot is None else snapshot.lists.get(name)
        if loaded is None:
            return None
        own = None
        if loaded.parsed.published is not None:
            day = loaded.parsed.published
            own = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        config = self.configs[name]
        if config.bundled and config.published is not None:
            return bundled_age(own, config.published)
        return own if own is not None else config.published

    def is_fresh(self, name: str, now: dt.datetime) -> bool:
        """Loaded, dated, and not older than its maximum age (nor dated in the future)."""
        published = self.published(name)
        if published is None:
            return False
        age = now - published
        return -FUTURE_SLACK <= age <= dt.timedelta(hours=self.configs[name].max_age_hours)

    def stale(self, now: dt.datetime) -> tuple[str, ...]:
        """The configured lists that are not fresh at ``now`` (all of them before loading)."""
        return tuple(name for name in self.configs if not self.is_fresh(name, now))

    def status_docs(self, now: dt.datetime) -> list[dict[str, Any]]:
        """Each configured list as ``GET /lists`` shows it (DESIGN 4, "lists")."""
        docs: list[dict[str, Any]] = []
        snapshot = self.snapshot
        for name, config in self.configs.items():
            loaded = None if snapshot is None else snapshot.lists.get(name)
            published = self.published(name)
            age = None if published is None else (now - published).total_seconds() / 3600
            doc: dict[str, Any] = {
                "name": name,
                "format": config.format,
                "action": config.action,
                "entries": 0 if loaded is None else len(loaded.parsed.entries),
                "names": 0 if loaded is None else loaded.parsed.alias_count,
                "published": None if published is None else published.isoformat(),
                "age_hours": None if age is None else round(age, 1),
                "max_age_hours": config.max_age_hours,
                "fresh": self.is_fresh(name, now),
                "loaded": loaded is not None,
                "threshold": config.threshold,
            }
            if name in self.refused:
                doc["refused"] = self.refused[name]
            docs.append(doc)
        return docs

    # --- clearances ----------------------------------------------------------------------------

    async def add_clearance(
        self, clearance: Clearance, also: Callable[[sqlite3.Connection], None]
    ) -> bool:
        """Stores and journals ``clearance`` (with ``also``, in the same transaction), then
        uses it and re-decides. Returns False when the same clearance was stored before.

        Raises StoreError (nothing changed) when the write fails.
        """
        added: list[bool] = []

        def write(conn: sqlite3.Connection) -> None:
            new = clearance_rows.insert(conn, clearance)
            added.append(new)
            if new:
                journal.append(
                    conn,
                    kind="clearance.added",
                    actor="central",
                    subject=f"{clearance.list}:{clearance.entry}",
                    data={**clearance.doc(), "webhook_id": clearance.webhook_id},
                    ts=clearance.cleared_at,
                )
            also(conn)

        await self.store.write(write)
        if not added[0]:
            return False
        self.book = self.book.with_added(clearance)
        self.events.publish(
            "clearance", {"list": clearance.list, "entry": clearance.entry, "party": clearance.name}
        )
        if self.on_change is not None:
            await self.on_change(f"clearance {clearance.list}:{clearance.entry}")
        return True


async def _until_done(on_change: Callable[[str], Awaitable[object]], why: str) -> None:
    """``on_change(why)`` until it succeeds, waiting REDECIDE_RETRY_SECONDS between tries:
    after the first load nothing else decides again the shipments decided while the lists
    loaded (review14: one failed try, the database busy, left a shipment sealed meanwhile held
    for good, never asked of the office). Until then they stay held and ``/readyz`` is not
    ready."""
    for attempt in itertools.count():
        try:
            await on_change(why)
            return
        except Exception:
            wait = REDECIDE_RETRY_SECONDS[min(attempt, len(REDECIDE_RETRY_SECONDS) - 1)]
            log.exception("re-deciding after the lists loaded (again in %.1f s)", wait)
            await asyncio.sleep(wait)
