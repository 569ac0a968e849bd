"""A listed name cut short at a field limit is still a hit (gate.core.screening.truncated).

ERP and SWIFT fields cut a name at 35 characters (30 or 40 in some systems), often in the
middle of a word. Found by the screen12 probe of the demo lists: of 300 listed names longer
than the field, 202 cleared cut at 35 characters ("Shahid Hemmat Industrial Gro"). The entries
are real UN and OFAC SDN entries of the demo lists, used here as data only; each cut text is
the listed name's first characters, as a field keeps them.
"""

from __future__ import annotations

import pytest

from gate.core.screening import Party, screen
from tests.screening.lists import demo_index


def entries_hit(name: str) -> set[tuple[str, str]]:
    return {(h.list, h.entry) for h in screen(demo_index(), Party(name))}


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        # The cut word begins a generic word, which stands for it at any length.
        ("Shahid Hemmat Industrial Gro", ("ofac_sdn", "9349")),
        ("GREEN PINE ASSOCIATED CORPORAT", ("un", "KPe.010")),
        ("Korea Daesong Trading Corporat", ("ofac_sdn", "12313")),
        ("DAMAVAND POWER GENERATION COMP", ("ofac_sdn", "25622")),
        ("PEJMAN INDUSTRIAL SERVICES COR", ("un", "IRe.053")),
        # The listed name goes on after the cut word: its beginning is enough.
        ("ISLAMIC REPUBLIC OF IRAN BROADCASTI", ("ofac_sdn", "15764")),
        ("HORMOGAN ELECTRICITY AND POWER GENE", ("ofac_sdn", "25930")),
        ("Islamic State of Iraq and Syria West Afr", ("ofac_sdn", "23845")),
    ],
)
def test_a_listed_name_cut_at_a_field_limit_is_a_hit(name: str, entry: tuple[str, str]) -> None:
    assert entry in entries_hit(name)


def test_the_hit_says_which_word_was_cut() -> None:
    hits = {
        (h.list, h.entry): h for h in screen(demo_index(), Party("Shahid Hemmat Industrial Gro"))
    }
    for entry in (("ofac_sdn", "9349"), ("un", "IRe.067")):
        assert "'gro' read as 'group' cut short" in hits[entry].explanation


@pytest.mark.parametrize(
    "name",
    [
        # Shorter than any field: a name of its own, not a cut one.
        "Shahid Hemmat Indus",
        "Hormogan Electricity and Po",
        # The last word does not begin the listed word at its place.
        "Shahid Hemmat Industrial Gardens",
        "Hormogan Electricity and Power Plant Services",
    ],
)
def test_a_name_too_short_for_a_field_or_going_on_otherwise_is_not_read_as_cut(
    name: str,
) -> None:
    assert entries_hit(name) == set()


@pytest.mark.parametrize(
    "name",
    [
        # A legal form written out and cut: no name is left in it, though the SDN list holds
        # misspelt ones alike ("OBSHCESTVO S OGRANICHENNOI OTVETSTVENNOSTYU KARST").
        "Obshchestvo s Ogranichennoi Otvetst",
        "OBSHCHESTVO S OGRANICHENNOI OT",
        "Federal State Unitary Enterprise Kh",
        "Otkrytoe Aktsionernoe Obshchestvo Ro",
        # Ordinary companies cut at 35 characters.
        "Northfield Bakery and Catering Ser",
        "Granite Harbour Logistics Internati",
        "Silver Meadow Printing and Packagin",
    ],
)
def test_an_ordinary_name_cut_at_a_field_limit_hits_nothing(name: str) -> None:
    assert entries_hit(name) == set()
