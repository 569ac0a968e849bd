"""The page's background tasks: they keep its alerts and recent scans current.

Three things follow the running gate for the page: the bulletin takes every alert and scan
from the event stream (so a page loaded now shows the last ones), a watcher raises an alert
when the control data turns stale, and refused central-office callbacks become alerts.

They follow the docks, so their context (``live_ctx``) must start after the docks' context
and stop before it. That order is not left to the reader of ``create_app``: ``live_ctx``
checks at start that everything it follows is set up (``FOLLOWS``) and stops the start with
``ContextOrderError`` naming what is missing if not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from gate.errors import GateError
from gate.web import app_keys
from gate.web.page import overview
from gate.web.problems import REJECTION_RECORDER

log = logging.getLogger("gate.web.page.live")

STALE_CHECK_SECONDS = 30.0
LISTS_GRACE_SECONDS = 120.0
CALLBACK_PATHS = frozenset({"/api/v1/approvals", "/api/v1/licences"})
CALLBACK_ALERT_INTERVAL = 5.0

#: What ``live_ctx`` follows, each with who sets it up: it must all be there when it starts.
FOLLOWS: tuple[tuple[str, web.AppKey[Any]], ...] = (
    ("the event stream (create_app)", app_keys.EVENTS),
    ("the bulletin (create_app)", app_keys.BULLETIN),
    ("the table slot (create_app)", app_keys.TABLE),
    ("the docks (the docks' context)", app_keys.DOCKS),
    ("the rejection recorder (the docks' context)", REJECTION_RECORDER),
)


class ContextOrderError(GateError):
    """The app's contexts were registered in the wrong order: the page's live context
    started before something it follows was set up. A wiring mistake, caught at start."""


def check_follows(app: web.Application) -> None:
    """Raises ContextOrderError, naming what is missing, unless all of ``FOLLOWS`` is set."""
    missing = [what for what, key in FOLLOWS if key not in app]
    if missing:
        raise ContextOrderError(
            "the status page's live context (gate.web.page.live.live_ctx) started before "
            f"{', '.join(missing)}: register it in cleanup_ctx after the docks' context"
        )


async def _watch_staleness(app: web.Application, interval: float = STALE_CHECK_SECONDS) -> None:
    """Raises an alert when the control data turns stale (and a note when it is current)."""
    events, docks, slot = app[app_keys.EVENTS], app[app_keys.DOCKS], app[app_keys.TABLE]
    # A stale-data alert kept from before a restart is cleared by the "current" note, so it
    # counts as stale until the first check says otherwise.
    was_stale = any(a.get("kind") == "stale_data" for a in app[app_keys.BULLETIN].alerts)
    # While the screening lists load (seconds after a start) the data reads as not current:
    # no alert for that (the page shows the condition), unless they take longer than the grace.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(app[app_keys.SCREENING].loaded.wait(), LISTS_GRACE_SECONDS)
    while True:
        try:
            cd = overview.control_data_doc(docks, slot, docks.clock())
            if cd["stale"] and not was_stale:
                text = (
                    f"Control data is older than {cd['max_age_days']:g} days: every line is held"
                    if cd.get("loaded")
                    else "No control table is loaded: every line is held"
                )
                events.publish("alert", {"level": "critical", "kind": "stale_data", "text": text})
            elif was_stale and not cd["stale"]:
                events.publish(
                    "alert",
                    {"level": "info", "kind": "data_current", "text": "Control data is current"},
                )
            was_stale = bool(cd["stale"])
        except Exception:
            log.exception("control data age check")
        await asyncio.sleep(interval)


class _CallbackAlerts:
    """Turns refused central-office callbacks into alerts, at most one per interval."""

    def __init__(self, app: web.Application, interval: float = CALLBACK_ALERT_INTERVAL) -> None:
        self.app = app
        self.interval = interval
        self.last = -interval
        self.suppressed = 0

    def note(self, info: Mapping[str, Any]) -> None:
        """Publishes an alert for a refused callback (the refusal's ``info`` as journaled)."""
        if info.get("path") not in CALLBACK_PATHS:
            return
        now = time.monotonic()
        if now - self.last < self.interval:
            self.suppressed += 1
            return
        more = f" ({self.suppressed} more refused before this one)" if self.suppressed else ""
        self.last, self.suppressed = now, 0
        self.app[app_keys.EVENTS].publish(
            "alert",
            {
                "level": "critical",
                "kind": "callback_refused",
                "text": f"A central-office callback to {info.get('path')} was refused "
                f"({info.get('status')}): {str(info.get('detail'))[:200]}{more}",
            },
        )


async def live_ctx(app: web.Application) -> AsyncIterator[None]:
    """Feeds the bulletin, watches the control data's age and alerts on refused callbacks,
    from after the docks are up until before they stop.

    Raises ContextOrderError at start when it was registered before the docks' context.
    """
    check_follows(app)
    callbacks = _CallbackAlerts(app)
    original: Callable[[Mapping[str, Any]], Awaitable[None]] = app[REJECTION_RECORDER]  # type: ignore[assignment]

    async def record(info: Mapping[str, Any]) -> None:
        await original(info)
        callbacks.note(info)

    app[REJECTION_RECORDER] = record
    await app[app_keys.BULLETIN].book.open(app[app_keys.DOCKS])
    tasks = [
        asyncio.create_task(app[app_keys.BULLETIN].follow(app[app_keys.EVENTS]), name="bulletin"),
        asyncio.create_task(_watch_staleness(app), name="stale-watch"),
    ]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
