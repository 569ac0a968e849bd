"""A start that fails half way raises its own error and lets the database go."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from gate.config.settings import load_config
from gate.service.docks import Docks
from gate.storage.store import Store
from gate.web.app import create_app


async def test_a_start_failing_before_the_docks_are_loaded_raises_its_error_and_closes(
    demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The docks' load fails (injected): the start raises that error, not one of its own
    cleanup, and the store is closed: another gate may open the database (its lock is
    free)."""

    async def fails(self: Docks) -> None:
        raise RuntimeError("the docks could not load")

    monkeypatch.setattr(Docks, "load", fails)
    config = load_config(demo_config)
    runner = web.AppRunner(create_app(config))
    with pytest.raises(RuntimeError, match="the docks could not load"):
        await runner.setup()
    store = await Store.open(config.database)  # refused while the failed start holds it
    await store.close()
