"""The page's background tasks follow the docks, and a wrong start order is caught at start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web

from gate.config.settings import load_config
from gate.web.app import create_app
from gate.web.page.live import ContextOrderError, live_ctx


async def test_live_context_registered_before_the_docks_stops_the_start(
    demo_config: Path,
) -> None:
    """Registered before the docks' context, the page's live context stops the start with an
    error naming what it follows and where it belongs, instead of running without them."""
    app = create_app(load_config(demo_config))
    app.cleanup_ctx.remove(live_ctx)
    app.cleanup_ctx.insert(0, live_ctx)
    runner = web.AppRunner(app)
    try:
        with pytest.raises(ContextOrderError) as caught:
            await runner.setup()
    finally:
        await runner.cleanup()
    assert (
        "the status page's live context (gate.web.page.live.live_ctx) started before the docks"
        " (the docks' context), the rejection recorder (the docks' context): register it in"
        " cleanup_ctx after the docks' context"
    ) == str(caught.value)


async def test_live_context_in_place_starts_and_stops(demo_config: Path) -> None:
    """In the order create_app gives, the gate starts with the page's background tasks running."""
    app = create_app(load_config(demo_config))
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        names = {task.get_name() for task in asyncio.all_tasks()}
        assert {"bulletin", "stale-watch"} <= names
    finally:
        await runner.cleanup()
