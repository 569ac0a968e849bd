"""A door held for a prohibited item read after the seal reads red on the page: STOP on its
tile, a red banner that says prohibited, and the side's alert says so too."""

from __future__ import annotations

from pathlib import Path

from tests.page.test_page_http import get, session_of
from tests.service.harness import Gate, gtin_with
from tests.service.test_late_prohibited import PRODUCTION, sealed_and_cleared


async def test_a_prohibited_hold_is_shown_red(gate: Gate, demo_config: Path) -> None:
    """The held door's tile is red (STOP), its banner red and marked prohibited, with the
    item's reason, and the side region names the hold prohibited."""
    cookie, _ = await session_of(gate)
    await sealed_and_cleared(gate, demo_config)
    await gate.scan(gtin_with(demo_config, PRODUCTION))
    _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
    tile = doors[doors.index('class="tile') : doors.index("</a>")]  # D1's, the first
    assert 'data-door="D1"' in tile
    assert "sig-red" in tile and "STOP" in tile, tile
    assert 'class="banner banner-red door-hold" data-hold="D1"' in doors
    assert 'data-prohibited="true"' in doors
    assert "Held, prohibited: prohibited item" in doors
    _, _, side = await get(gate, "/page/side", Cookie=cookie)
    assert "held, prohibited: prohibited item" in side
