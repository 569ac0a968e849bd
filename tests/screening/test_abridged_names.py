"""A listed person written without middle names is still a hit (DESIGN 2.1: "find what a
trained screener would").

Before, the weighted Dice score counted a listed middle name against the party: "François
Bozizé" scored about 0.7 against the UN's "FRANÇOIS YANGOUVONDA BOZIZÉ" and cleared. Of the 341
UN individuals with three or more name parts in the demo list, 251 were missed written as
first and last name only; 140 now are. The rest are left on purpose: their family name is
common on the lists (weight under ABRIDGED_FAMILY_RARE: "al-Tikriti" is the family name of
a dozen listed Iraqis, "Hassan" of hundreds), or first and family name are not rare enough
together (ABRIDGED_PAIR_RARE), and a first and family name alone then names many people;
without those bounds, 28 % of ordinary Hispanic names were flagged (review9), 5.6 % with the
family bound alone (attack11).

The entries are real UN and OFAC SDN entries of the demo lists, used here as data only.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from gate.core.screening import Party, abridged, screen
from gate.core.screening.abridged import ABRIDGED_FACTOR, first_and_family
from tests.screening.lists import LISTS, demo_index

BOZIZE = ("un", "CFi.001")  # FRANÇOIS YANGOUVONDA BOZIZÉ
SADDAM = ("un", "IQi.001")  # SADDAM HUSSEIN AL-TIKRITI
NKALUBO = ("un", "CDi.042")  # MOHAMED ALI NKALUBO
KANONGA = ("un", "CDi.035")  # GÉDÉON KYUNGU MUTANGA WA BAFUNKWA KANONGA
MARTINEZ = ("ofac_sdn", "11808")  # MARTINEZ ARANGO, Oscar Richard
ISLAMI = ("un", "IRi.014")  # "Mohammad Islami; Mohamed Islami; Mohammed Islami" (one name)
MATUQ = ("un", "LYi.008")  # MATUQ MOHAMMED MATUQ
BAHMANYAR = ("un", "IRi.009")  # BAHMANYAR MORTEZA BAHMANYAR
KOMID = ("ofac_sdn", "9345")  # KOREA MINING DEVELOPMENT TRADING CORPORATION (an entity)


def entries_hit(name: str, country: str | None = None) -> dict[tuple[str, str], float]:
    return {(h.list, h.entry): h.score for h in screen(demo_index(), Party(name, country))}


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("François Bozizé", BOZIZE),
        ("Francois Bozize", BOZIZE),
        ("BOZIZE, Francois", BOZIZE),
        ("Mohamed Nkalubo", NKALUBO),
        ("Gedeon Kanonga", KANONGA),
        ("Gédéon Mutanga Kanonga", KANONGA),
        # Written family names first: the first given name and one family name.
        ("Oscar Arango", MARTINEZ),
        ("Arango, Oscar", MARTINEZ),
    ],
)
def test_a_listed_person_without_middle_names_is_a_hit(name: str, entry: tuple[str, str]) -> None:
    hits = entries_hit(name)
    assert entry in hits, f"{name!r} cleared against {entry}: {hits}"
    # A hit the officer can rank: above the list's threshold, below a whole-name match.
    assert 0.88 <= hits[entry] <= ABRIDGED_FACTOR


def test_the_explanation_names_the_middle_names_left_out() -> None:
    hit = next(h for h in screen(demo_index(), Party("François Bozizé")) if h.entry == BOZIZE[1])
    assert "listed word(s) 'yangouvonda' not in the party's name" in hit.explanation


def test_a_listed_word_written_twice_does_not_hide_the_family_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first and last words are found when the last is also written earlier in the name."""
    # A greedy pick gave the party's "Islami" the listed name's first "islami" (the second
    # word), and the last word, the family name the rule needs, went unmatched. ("islami" is
    # common on the lists: the rarity bound is lifted to see the assignment alone.)
    monkeypatch.setattr(abridged, "ABRIDGED_FAMILY_RARE", 0.0)
    monkeypatch.setattr(abridged, "ABRIDGED_PAIR_RARE", 0.0)
    assert ISLAMI in entries_hit("Mohammad Islami")


@pytest.mark.parametrize(
    ("name", "entry"), [("Matuq Matuq", MATUQ), ("Bahmanyar Bahmanyar", BAHMANYAR)]
)
def test_a_first_name_that_is_also_the_family_name_is_a_hit(
    name: str, entry: tuple[str, str]
) -> None:
    """A party that writes one word twice, first given name and family name, is a hit."""
    # The party's words were counted once each, so "Matuq Matuq" was one word and never
    # reached the rule's two.
    assert entry in entries_hit(name)


def test_a_listed_word_written_twice_and_matched_twice_is_not_left_out() -> None:
    """A whole name with a word written twice is explained with no word left out and in order."""
    hit = next(
        h for h in screen(demo_index(), Party("Matuq Mohammed Matuq")) if h.entry == "LYi.008"
    )
    assert 1.0 == hit.score
    assert "not in the party's name" not in hit.explanation
    assert "word order differs" not in hit.explanation


def test_the_explanation_of_a_doubled_name_names_only_the_word_left_out() -> None:
    """ "Matuq Matuq" for MATUQ MOHAMMED MATUQ leaves out "mohammed" alone."""
    hit = next(h for h in screen(demo_index(), Party("Matuq Matuq")) if h.entry == "LYi.008")
    assert "listed word(s) 'mohammed' not in the party's name" in hit.explanation


def test_a_generation_after_a_comma_is_not_a_given_name() -> None:
    """A listed "X, JR" is in its own order: its first and last names are found."""
    # "RUBEN PESTANO LAVILLA, JR" was read as family names first, "jr" the first given name.
    assert ("un", "QDi.247") in entries_hit("Ruben Pestano Lavilla")


@pytest.mark.parametrize(
    ("listed", "given", "family"),
    [
        ("RUBEN PESTANO LAVILLA, JR", 0, range(2, 3)),
        ("FELICIANO SEMBORIO DELOS REYES JR.", 0, range(3, 4)),
        ("LAVILLA, Ruben Pestano, Jr.", 1, range(0, 1)),
        ("DELOS REYES, Feliciano Semborio, Jr.", 2, range(0, 2)),
        ("MARTINEZ ARANGO, Oscar Richard", 2, range(0, 2)),
    ],
)
def test_a_generation_is_neither_the_first_given_name_nor_a_family_name(
    listed: str, given: int, family: range
) -> None:
    """Where the first given name and family names of a listed person are, a "Jr." aside."""
    # A second comma made "DELOS REYES, Feliciano Semborio, Jr." a name in its own order, its
    # first word "delos" the given name and "jr" the family name.
    index = demo_index()
    indexed = next(n for n in index.names if n.name == listed)
    assert (given, family) == first_and_family(index, indexed)


@pytest.mark.parametrize(
    "name",
    [
        "Mohamed Ali",  # first and middle: no family name
        "Nkalubo",  # one word
    ],
)
def test_a_name_that_is_not_the_first_and_last_of_a_listed_person_is_not_abridged(
    name: str,
) -> None:
    assert NKALUBO not in entries_hit(name)


def test_a_family_name_first_listing_needs_the_first_given_name() -> None:
    # "MARTINEZ ARANGO, Oscar Richard" is Oscar Richard Martinez Arango: "Richard Martinez"
    # is a second given name and a family name, as ordinary a pair as the bench's negatives.
    assert MARTINEZ not in entries_hit("Richard Martinez")


def test_an_entity_name_is_not_abridged() -> None:
    # "Korea Corporation" is the first and last word of KOMID's name, but a company is not
    # named by its first and last word: the middle words are what tell it apart.
    assert KOMID not in entries_hit("Korea Corporation")


def test_a_differing_country_lowers_the_score_and_keeps_the_hit() -> None:
    plain = entries_hit("Francois Bozize")[BOZIZE]
    elsewhere = entries_hit("Francois Bozize", "FR")
    assert BOZIZE in elsewhere and elsewhere[BOZIZE] < plain


def test_most_un_individuals_are_found_by_first_and_last_name() -> None:
    root = ET.parse(LISTS / "UN_consolidated.xml").getroot()
    people = []
    for person in root.iter("INDIVIDUAL"):
        tags = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
        parts = [text.strip() for tag in tags if (text := person.findtext(tag)) and text.strip()]
        if len(parts) >= 3:
            people.append((person.findtext("REFERENCE_NUMBER"), f"{parts[0]} {parts[-1]}"))
    assert len(people) > 300
    missed = [(ref, name) for ref, name in people if ("un", ref) not in entries_hit(name)]
    # 105 left (of 341; 251 before): family names common on the lists (ABRIDGED_FAMILY_RARE),
    # and TAi.038 "ABDUL BAQI AWAL SHAH", which only its bare alias "Abdul Baqi" found, as it
    # found "Abdul Baqi Haddad": an "Abd al-" name alone is not looked for inside longer names.
    assert len(missed) <= 140, missed


@pytest.mark.parametrize(
    "name",
    [
        "Saddam al-Tikriti",  # "tikriti" weighs 5.2: a dozen listed al-Tikritis
        "Ahmad Hassan",  # "hassan" weighs 4.2
        "Maria Hernandez",  # "hernandez" is one letter from the listed "FERNANDEZ"
        "Oscar Martinez",  # "martinez" weighs 6.6 (MARTINEZ ARANGO, Oscar Richard)
    ],
)
def test_a_family_name_common_on_the_lists_or_misspelt_is_not_abridged(name: str) -> None:
    """Held to what a first and family name can tell apart: a family name that many listed
    people share, or one read through a misspelling, is not taken for a listed person whose
    middle names the party left out (a whole-name match still counts)."""
    assert not any(
        "not in the party's name" in h.explanation and h.score <= ABRIDGED_FACTOR
        for h in screen(demo_index(), Party(name))
    )


@pytest.mark.parametrize("name", ["José Jiménez", "Jose Gutierrez"])
def test_afirst_and_family_name_not_rare_together_is_not_abridged(name: str) -> None:
    """A family name a few listed names hold, with a first name common on the lists: "José
    Jiménez" hit SDN 9979 at 0.92 (attack11: 110 of 1,950 ordinary Hispanic names). ("Ricardo
    Moreno" still hits MORENO DAZA, Ricardo Alfredo: two listed names or fewer hold "moreno".)"""
    assert not any(
        "not in the party's name" in h.explanation and h.score <= ABRIDGED_FACTOR
        for h in screen(demo_index(), Party(name))
    )
