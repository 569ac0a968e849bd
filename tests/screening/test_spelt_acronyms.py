"""A listed acronym spelt letter by letter is the acronym ("E L N" for the SDN's "ELN").

A name is matched with its spacing aside (the compact form), but under four letters only with
a legal form on both sides ("EP-IBN"), so "E L N", "G R U" and "P C F" cleared. Found by the
screen13 probe of the demo lists: of 241 listed names that are an acronym of three to six
letters, none cleared written with dots ("E.L.N."), 56 cleared spelt with spaces; 7 after
(their letters hold a legal form, "A G", which folding removes). A name is read so only when it
is three single letters or more and nothing else. The entries are real entries of the demo
lists, used here as data only.
"""

from __future__ import annotations

import pytest

from gate.core.screening import Party, screen
from tests.screening.lists import demo_index, scores


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("E L N", ("ofac_sdn", "4706")),
        ("G R U", ("ofac_sdn", "21343")),
        ("P C F", ("ofac_sdn", "10887")),
        ("D I O", ("ofac_sdn", "10153")),
    ],
)
def test_a_listed_acronym_spelt_letter_by_letter_is_a_hit(
    name: str, entry: tuple[str, str]
) -> None:
    assert scores(name).get(entry) == 1.0


def test_the_hit_says_only_that_the_spacing_differs() -> None:
    hit = screen(demo_index(), Party("E L N"))[0]
    assert hit.explanation.endswith("; spacing differs")


@pytest.mark.parametrize("name", ["A B C", "X Y Z", "J K L", "E L"])
def test_letters_that_spell_no_listed_acronym_do_not_hit(name: str) -> None:
    assert scores(name) == {}
