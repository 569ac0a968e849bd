"""A door held for goods that passed without a readable tag is shown on the page with an
Acknowledge button, and the page's session (cookie, CSRF token, Origin) acknowledges it."""

from __future__ import annotations

import html
import re
from typing import Any

from gate.web import app_keys
from tests.page.browser import Browser
from tests.page.test_page_http import get, session_of
from tests.page.test_status_page import logged_in
from tests.readers.support import journal
from tests.service.harness import Gate


async def test_held_door_is_shown_and_acknowledged_from_the_page(gate: Gate) -> None:
    """The doors region shows the hold and its button; the page's POST releases it, and the
    region no longer shows it."""
    cookie, csrf = await session_of(gate)
    _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
    assert 'data-hold="D1"' not in doors
    assert await gate.app[app_keys.HOLDS].hold("D1", "north")
    _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
    assert 'data-hold="D1"' in doors
    tile = doors[doors.index('class="tile') : doors.index("</a>")]  # D1's, the first
    assert 'data-door="D1"' in tile
    assert "sig-action" in tile and "CHECK" in tile, tile  # blue: operator action needed
    assert "goods passed without a readable tag" in doors
    assert 'data-action="acknowledge" data-url="/api/v1/doors/D1/acknowledge"' in doors
    assert "1 empty window" in doors
    _, _, side = await get(gate, "/page/side", Cookie=cookie)
    assert "held: goods passed without a readable tag" in side
    status, doc = await _press(gate, cookie, csrf, doors)
    assert (200, None) == (status, doc["hold"])
    _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
    assert 'data-hold="D1"' not in doors


async def test_every_empty_window_counts_and_an_acknowledgement_releases_only_what_it_saw(
    gate: Gate,
) -> None:
    """A second and a third empty window at a held door are each journaled and alerted and
    counted; the page's button sends the count it shows, and an acknowledgement of an older
    count (a window came since the page was drawn) is refused with 409: the door stays held."""
    cookie, csrf = await session_of(gate)
    holds = gate.app[app_keys.HOLDS]
    async with gate.app[app_keys.EVENTS].subscribe() as sub:
        await holds.hold("D1", "north")
        await holds.hold("D1", "north")
        _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
        assert "2 empty windows" in doors
        await holds.hold("D1", "north")  # after the page was drawn
        status, problem = await _press(gate, cookie, csrf, doors)
        assert 409 == status, problem
        assert "held for 3 empty window(s)" in problem["detail"], problem
        assert 3 == problem["hold"]["windows"]
        assert holds.is_held("D1")
        _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
        assert "3 empty windows" in doors
        status, doc = await _press(gate, cookie, csrf, doors)
        assert (200, None) == (status, doc["hold"])
        seen = []
        while not sub.queue.empty():
            event = sub.queue.get_nowait()
            if event is not None and event.kind == "alert":
                seen.append(event.data)
    assert 3 == len([a for a in seen if a.get("kind") == "door_held"]), seen
    held = [d for k, d in journal(gate, "reader:north") if k == "door.held"]
    assert [1, 2, 3] == [d["windows"] for d in held]
    acked = [d for k, d in journal(gate, "ops") if k == "door.hold_acknowledged"]
    assert [3] == [d["windows"] for d in acked]


async def test_a_door_held_for_its_portal_down_says_so_and_waits_for_the_reader(
    gate: Gate,
) -> None:
    """A shipment at D1 and its sensor portal down: the page shows the reason and that the
    reader is down; the button's acknowledgement is refused (409) until the reader is back,
    then accepted."""
    cookie, csrf = await session_of(gate)
    await gate.create("S1", "D1")
    holds = gate.app[app_keys.HOLDS]
    await holds.portal_down("D1", "north")
    _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
    assert "portal reader down: goods may have passed unread" in doors
    assert "Portal reader north is down: acknowledge once it is back" in doors
    assert "take it out of gate.toml and restart the gate" in doors
    status, problem = await _press(gate, cookie, csrf, doors)
    assert 409 == status and "portal reader north is down" in problem["detail"], problem
    holds.portal_up("D1", "north")
    _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
    assert "is down" not in doors
    status, doc = await _press(gate, cookie, csrf, doors)
    assert (200, None) == (status, doc["hold"])


async def test_a_cleared_shipment_at_a_held_door_offers_no_dispatch(gate: Gate) -> None:
    """S1 cleared at held D1: the page says dispatch waits for the hold's acknowledgement
    and offers no Dispatch button (newuser6: it said "The truck may leave: dispatch it" under
    the hold's banner, and the gate answered the button 409); acknowledged, both come back."""
    cookie, csrf = await session_of(gate)
    await gate.create("S1", "D1")
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"]), doc
    _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
    assert 'data-action="dispatch"' in doors and "dispatch it." in doors
    assert await gate.app[app_keys.HOLDS].hold("D1", "north")
    _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
    assert "Cleared, but the door is held" in doors
    assert 'data-action="dispatch"' not in doors and "dispatch it." not in doors
    status, doc = await _press(gate, cookie, csrf, doors)
    assert (200, None) == (status, doc["hold"])
    _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
    assert 'data-action="dispatch"' in doors and "Cleared, but" not in doors


async def _press(gate: Gate, cookie: str, csrf: str, doors: str) -> tuple[int, Any]:
    """What page.js does for D1's Acknowledge button: POST its URL with its body."""
    found = re.search(
        r'data-action="acknowledge" data-url="/api/v1/doors/D1/acknowledge" data-body="([^"]*)"',
        doors,
    )
    assert found is not None, doors
    async with gate.session.post(
        gate.url + "/api/v1/doors/D1/acknowledge",
        data=html.unescape(found.group(1)).encode(),
        headers={
            "Cookie": cookie,
            "X-CSRF-Token": csrf,
            "Origin": gate.url,
            "Content-Type": "application/json",
        },
    ) as r:
        return r.status, await r.json(content_type=None)


async def test_the_pages_button_acknowledges_the_count_it_shows(
    browser: Browser, gate: Gate
) -> None:
    """In a browser: a door held for two empty windows shows the count, and its Acknowledge
    button (page.js) sends it: the door is released, journaled with that count."""
    holds = gate.app[app_keys.HOLDS]
    await holds.hold("D1", "north")
    await holds.hold("D1", "north")
    await logged_in(browser, gate)
    await browser.run(
        browser.wait,
        "door 1's hold with its count",
        lambda d: "2 empty windows" in browser.text('article.door[data-door="D1"]'),
    )
    await browser.run(browser.click_action, "D1", "acknowledge")
    assert "Acknowledge the hold of Door 1 (north)?" == await browser.run(browser.confirm)
    await browser.run(
        browser.wait,
        "the acknowledgement",
        lambda d: "door D1 is no longer held" in browser.text("#notice"),
    )
    assert not holds.is_held("D1")
    acked = [d for k, d in journal(gate, "ops") if k == "door.hold_acknowledged"]
    assert [2] == [d["windows"] for d in acked]


async def test_an_idle_door_held_for_its_portal_down_shows_the_hold_with_no_shipment(
    gate: Gate,
) -> None:
    """No shipment at D1 and its sensor portal down (door16): the page shows D1 held, not
    free, with the reason and the portal down and no shipment."""
    cookie, _ = await session_of(gate)
    await gate.app[app_keys.HOLDS].portal_down("D1", "north")
    _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
    tile = doors[doors.index('class="tile') : doors.index("</a>")]  # D1's, the first
    assert 'data-door="D1"' in tile and "CHECK" in tile and "FREE" not in tile, tile
    idle = doors[doors.index('<article class="door door-idle" id="door-D1"') :]
    idle = idle[: idle.index("</article>")]
    assert 'data-hold="D1"' in idle, idle
    assert "portal reader down: goods may have passed unread" in idle
    assert "Portal reader north is down: acknowledge once it is back" in idle
