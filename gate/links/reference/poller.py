"""The gate's timer for reference data: pull, verify, load, swap (DESIGN 4).

Every ``[reference] poll_seconds`` the gate asks the office's repository for a new bundle
(outbound only: the office never calls the gate). ``fetch`` does the TUF checks in a worker
thread; a verified bundle goes to ``ReferenceSwap.apply``, which loads it and swaps it in as
one step. Any refusal, from either, is alerted and journaled, and the data in use stays.

At start, once the local lists have loaded, the bundle the gate last verified is loaded from
its own folder (``cached_bundle``: checked again, no network), so a restart never goes back
to the older files of the config while the office is unreachable.
"""

from __future__ import annotations

import asyncio
import logging

from gate.config.reference import ReferenceConfig
from gate.errors import GateError
from gate.links.reference.fetch import Refused, Verified, cached_bundle, fetch_bundle, prune
from gate.service.reference_swap import ReferenceSwap

log = logging.getLogger("gate.reference")


class ReferencePoller:
    """Runs the fetch on a timer and hands verified bundles to ``swap``."""

    def __init__(self, config: ReferenceConfig, swap: ReferenceSwap, ready: asyncio.Event) -> None:
        self.config = config
        self.swap = swap
        self.ready = ready
        self.lock = asyncio.Lock()
        self.checks = 0

    async def run(self) -> None:
        """Waits for the first load of the local data, loads the cached bundle, then polls
        until cancelled. Never raises but for cancellation."""
        await self.ready.wait()
        cached = await asyncio.to_thread(
            cached_bundle, self.config.metadata_dir, self.config.bundles_dir
        )
        if cached is not None:
            await self._apply(cached)
        while True:
            try:
                await self.poll()
            except Exception:  # the next round tries again
                log.exception("reference data poll")
            await asyncio.sleep(self.config.poll_seconds)

    async def poll(self) -> bool:
        """One round: True when the bundle in use is the office's latest (new or not)."""
        async with self.lock:
            self.checks += 1
            applied = self.swap.applied
            try:
                root = await asyncio.to_thread(self.config.root.read_bytes)
                verified = await asyncio.to_thread(
                    fetch_bundle,
                    self.config.url,
                    root,
                    self.config.metadata_dir,
                    self.config.bundles_dir,
                    applied=None if applied is None else applied.version,
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
        await asyncio.to_thread(prune, self.config.bundles_dir, verified.folder)
        return True
