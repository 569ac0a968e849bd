"""A door held for goods that passed without a readable tag is shown on the page with an
Acknowledge button, and the page's session (cookie, CSRF token, Origin) acknowledges it."""

from __future__ import annotations

from gate.web import app_keys
from tests.page.test_page_http import get, session_of
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
    _, _, side = await get(gate, "/page/side", Cookie=cookie)
    assert "held: goods passed without a readable tag" in side
    async with gate.session.post(
        gate.url + "/api/v1/doors/D1/acknowledge",
        headers={"Cookie": cookie, "X-CSRF-Token": csrf, "Origin": gate.url},
    ) as r:
        assert (200, None) == (r.status, (await r.json())["hold"])
    _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
    assert 'data-hold="D1"' not in doors
