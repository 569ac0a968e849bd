"""A word the lists do not hold, read as two they do: a Korean given name written joined
("Hojin Yun" for the UN's "YUN HO JIN"). The lists write its two syllables apart; a party
writes them apart, hyphened or joined, and joined, 186 of 188 listed Korean names with a
two-syllable given name cleared (names9 probe). The entries are real UN entries of the demo
lists, used here as data only.
"""

from __future__ import annotations

import pytest

from gate.core.screening import Party, screen
from tests.screening.lists import demo_index


def entries_hit(name: str) -> set[tuple[str, str]]:
    return {(h.list, h.entry) for h in screen(demo_index(), Party(name))}


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("Hojin Yun", "KPi.001"),  # YUN HO JIN
        ("Sokhwa Hwang", "KPi.003"),  # HWANG SOK HWA
        ("Kwangil Kim", "KPi.009"),
        ("Yun Hojin", "KPi.001"),
    ],
)
def test_a_korean_given_name_written_joined_is_a_hit(name: str, reference: str) -> None:
    assert ("un", reference) in entries_hit(name)


def test_the_hit_says_how_the_word_was_read() -> None:
    hit = next(h for h in screen(demo_index(), Party("Sokhwa Hwang")) if h.entry == "KPi.003")
    assert "'sokhwa' read as 'sok hwa'" in hit.explanation


@pytest.mark.parametrize("name", ["Sokhwa", "Hojin Ltd", "Johnson Smith", "Marlene Dietrich"])
def test_a_lone_word_or_an_ordinary_name_is_not_cut_into_a_listed_one(name: str) -> None:
    """A word cut in two needs another word of the name that is not generic, and ordinary
    names whose words the lists hold as they are stay whole."""
    assert entries_hit(name) == set()
