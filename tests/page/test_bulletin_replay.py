"""The page's bulletin takes the alerts published before its follower first ran (a stack
light found unreachable while the gate started) and those published while it had fallen
behind, each once."""

from __future__ import annotations

import asyncio
import contextlib

from gate.service.events import QUEUE_LIMIT, Events
from gate.web.page.overview import Bulletin
from tests.service.harness import until


def unreachable(door: str) -> dict[str, str]:
    return {"level": "critical", "kind": "output_unreachable", "door": door, "text": f"{door}"}


async def test_an_alert_published_before_the_follower_ran_is_on_the_page_once() -> None:
    """Alerts and scans published before ``follow`` starts are taken when it does, once
    each; later ones follow."""
    events, bulletin = Events(), Bulletin()
    events.publish("alert", unreachable("D1"))
    events.publish("scan", {"scan_id": "s1"})
    follower = asyncio.create_task(bulletin.follow(events))
    try:
        await until(lambda: bulletin.recent_scans(), "the early scan taken")
        events.publish("alert", unreachable("D2"))
        await until(lambda: len(bulletin.recent_alerts()) == 2, "the later alert taken")
        assert ["D2", "D1"] == [a["door"] for a in bulletin.recent_alerts()]
        assert [1, 1] == [a["count"] for a in bulletin.recent_alerts()]
        assert ["s1"] == [s["scan_id"] for s in bulletin.recent_scans()]
    finally:
        events.close()
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower


async def test_an_alert_published_while_the_follower_fell_behind_is_taken() -> None:
    """More events than a subscription holds arrive at once (the follower drops behind and
    subscribes again): an alert among the last of them is still taken."""
    events, bulletin = Events(), Bulletin()
    follower = asyncio.create_task(bulletin.follow(events))
    try:
        await until(lambda: events.subscribers, "the follower subscribed")
        for i in range(QUEUE_LIMIT + 10):
            events.publish("scan", {"scan_id": f"s{i}"})
        events.publish("alert", unreachable("D3"))
        await until(
            lambda: [a["door"] for a in bulletin.recent_alerts()] == ["D3"], "the alert taken"
        )
    finally:
        events.close()
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
