"""A listed name still hits beside words that name a kind of business: a listed one-word name
written in two ("Rosoboron Export Company"), "Joint Stock Co", "Trading House", "Consulting"."""

from __future__ import annotations

import pytest

from gate.core.screening import Party, screen
from tests.screening.lists import demo_index

ROSOBORONEXPORT = ("ofac_sdn", "18782")


@pytest.mark.parametrize(
    "name",
    [
        "Rosoboron Export Company",
        "Rosoboron Export Group",
        "Rosoboron-Export Co.",
        "Rosoboron Export",
    ],
)
def test_a_listed_word_split_in_two_hits_beside_a_generic_word(name: str) -> None:
    """The split word is read joined, and the name hits the SDN entry it spells."""
    found = {(hit.list, hit.entry) for hit in screen(demo_index(), Party(name, "AE"))}
    assert ROSOBORONEXPORT in found


def test_two_ordinary_words_are_not_read_as_a_short_listed_word() -> None:
    """Joining stops at short words: two ordinary words hit nothing by their join alone."""
    assert [] == list(screen(demo_index(), Party("Sun Rise Bakery", "DE")))


@pytest.mark.parametrize(
    "name",
    [
        "Rosoboronexport Joint Stock Co",
        "Rosoboronexport Trading House",
        "Rosoboronexport Consulting GmbH",
    ],
)
def test_business_words_joint_stock_house_consulting_weigh_little(name: str) -> None:
    """Words naming a kind of business ("Joint Stock Co", "Trading House", "Consulting")
    weigh little: the listed name beside them still hits."""
    found = {(hit.list, hit.entry) for hit in screen(demo_index(), Party(name, "AE"))}
    assert ROSOBORONEXPORT in found
