"""The docks as the app wires them (config, store, table, policy, events, screening lists),
for tests that drive ``Docks`` without the HTTP layer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from gate.config.settings import load_config
from gate.service.docks import Docks
from gate.service.events import Events
from gate.service.policy_files import load_policy
from gate.service.screening import ScreeningState
from gate.storage.store import Store
from gate.table.native import TableSlot
from gate.web.app import load_table

#: A shipment for Acme at door D1, to Germany.
BODY = {
    "id": "S1",
    "door": "D1",
    "destination": "DE",
    "consignee": {"name": "Acme Precision GmbH", "country": "DE"},
}


@asynccontextmanager
async def wired_docks(demo_config: Path, *, lists_loaded: bool = True) -> AsyncIterator[Docks]:
    """The docks over a real SQLite file, loaded; the screening lists loaded first
    (``lists_loaded``: without them nothing clears) or not yet, the re-decision after a load
    wired as the app wires it."""
    config = load_config(demo_config)
    store = await Store.open(config.database)
    try:
        events = Events()
        d = Docks(config, store, TableSlot(load_table(config)), load_policy(config), events)
        d.screening = ScreeningState(config.lists, store, events, lambda: d.clock())
        await d.screening.open()
        if lists_loaded:
            await d.screening.first_load()
        else:
            d.screening.on_change = d.reevaluate_all
            d.screening.settled = d.scan_path.turns.settled
            d.screening.commit = d.committer.begin
        await d.load()
        yield d
    finally:
        await store.close()
