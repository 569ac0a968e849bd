"""The gate's timer for reference data: pull, verify, load, swap (DESIGN 4).

Every ``[reference] poll_seconds`` the gate asks the office's repository for a new bundle
(outbound only: the office never calls the gate). ``fetch`` does the TUF checks in a worker
thread; a verified bundle goes to ``ReferenceSwap.apply``, which loads it and swaps it in as
one step. Any refusal, from either, is alerted and journaled, and the data in use stays.

A restart starts on the bundle in use before it (``start_config``: its version is kept in
``reference/applied``, its files checked again, no network), never on the config's older
files while the office is out of reach; a bundle refused after it does not change that.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from pathlib import Path

from gate.config.reference import ReferenceConfig
from gate.config.settings import Config
from gate.errors import GateError
from gate.links.reference.fetch import Refused, Verified, cached_bundle, fetch_bundle, prune
from gate.service.reference_swap import ReferenceSwap, bundle_config, journal_floor
from gate.storage.schema import connect_readonly

log = logging.getLogger("gate.reference")


def start_config(config: Config) -> Config:
    """The config a gate starts on: ``config`` with its data files taken from the bundle it
    had in use, when there is one and it checks out again; else ``config`` itself.

    The bundle in use is the newer of ``reference/applied`` and the journal's last
    ``reference.applied``: the swap journals a bundle before the file is written, and a gate
    killed between the two had swapped the newer one in (its folder is in place by then).

    Blocking (reads and hashes the bundle's files, reads the database): run it in a worker
    thread."""
    ref = config.reference
    if ref is None:
        return config
    try:
        recorded = int(ref.applied_file.read_text().strip())
    except (OSError, ValueError):
        recorded = 0
    journaled = _journaled_version(config.database)
    for version in sorted({recorded, journaled} - {0}, reverse=True):
        cached = cached_bundle(ref.metadata_dir, ref.bundles_dir, version, ref.root)
        if cached is None:
            log.error(
                "reference bundle v%s in %s does not check out: not starting on it",
                version,
                ref.bundles_dir,
            )
            continue
        if version != recorded:
            log.warning(
                "reference bundle v%s was applied but not recorded: starting on it", version
            )
        try:
            return bundle_config(config, cached.manifest, cached.folder)
        except GateError as exc:
            log.error(
                "reference bundle v%s no longer fits the config (%s): its files", version, exc
            )
            return config
    if recorded or journaled:
        log.error(
            "no reference bundle in %s checks out: starting on the config's files", ref.bundles_dir
        )
    return config


def _journaled_version(database: Path) -> int:
    """The newest bundle version the journal of ``database`` says was applied (0: none, or
    no database yet)."""
    if not database.is_file():
        return 0
    try:
        conn = connect_readonly(database)
    except GateError:
        return 0
    try:
        return journal_floor(conn)
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


class ReferencePoller:
    """Runs the fetch on a timer and hands verified bundles to ``swap``."""

    def __init__(self, config: ReferenceConfig, swap: ReferenceSwap, ready: asyncio.Event) -> None:
        self.config = config
        self.swap = swap
        self.ready = ready
        self.lock = asyncio.Lock()

    async def run(self) -> None:
        """Waits for the first load of the lists (a swap before it would be overwritten by
        it), then polls until cancelled. Never raises but for cancellation."""
        await self.ready.wait()
        while True:
            try:
                await self.poll()
            except Exception:  # the next round tries again
                log.exception("reference data poll")
            await asyncio.sleep(self.config.poll_seconds)

    async def poll(self) -> bool:
        """One round: True when the bundle in use is the office's latest (new or not)."""
        async with self.lock:
            applied = self.swap.applied
            try:
                floor = await self.swap.floor()
                root = await asyncio.to_thread(self.config.root.read_bytes)
                verified = await asyncio.to_thread(
                    fetch_bundle,
                    self.config.url,
                    root,
                    self.config.metadata_dir,
                    self.config.bundles_dir,
                    applied=None if applied is None else applied.version,
                    floor=floor,
                    timeout=self.config.timeout_seconds,
                )
            except OSError as exc:
                await self.swap.refuse(None, "root", f"{self.config.root}: {exc.strerror}")
                return False
            except Refused as exc:
                await self.swap.refuse(None, exc.check, exc.text)
                return False
            if verified is None:
                return True
            return await self._apply(verified)

    async def _apply(self, verified: Verified) -> bool:
        try:
            await self.swap.apply(verified.manifest, verified.folder)
        except GateError:
            return False  # refused, alerted and journaled by the swap
        await asyncio.to_thread(self._remember, verified)
        return True

    def _remember(self, verified: Verified) -> None:
        """Records the bundle in use for the next start, and removes the others."""
        path = self.config.applied_file
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(f"{verified.manifest.version}\n")
        os.replace(tmp, path)
        prune(self.config.bundles_dir, verified.folder)
