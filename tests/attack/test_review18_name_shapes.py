"""Review18 on a2bf599: attack16 taught the end-use reading letters drawn another way
(letters in negative circles and squares, "🅼🅸🆂🆂🅸🅻🅴", which NFKC leaves alone), but the
table lived in ``gate.core.end_use`` only: a consignee named "🅼🅰🅷🅰🅽 🅰🅸🆁" hit nothing,
while "ⓜⓐⓗⓐⓝ ⓐⓘⓡ" (which NFKC reads) and "ᴍᴀʜᴀɴ ᴀɪʀ" hit MAHAN AIR (SDN 12927). The table
is now the screening's (``names.LETTER_SHAPES``), read by party names and end uses alike."""

from __future__ import annotations

import pytest

from gate.core.screening import Party, screen
from tests.screening.lists import demo_index


@pytest.mark.parametrize("name", ["🅼🅰🅷🅰🅽 🅰🅸🆁", "🄼🄰🄷🄰🄽 🄰🄸🅁", "MAHAN AIR"])
def test_a_listed_name_in_letters_in_negative_squares_or_circles_is_a_hit(name: str) -> None:
    """A party named in letters in negative circles or squares hits MAHAN AIR as written
    plainly does."""
    assert ("ofac_sdn", "12927") in {(h.list, h.entry) for h in screen(demo_index(), Party(name))}
