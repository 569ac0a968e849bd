"""A listed name followed by a place without punctuation is still a hit
(gate.core.screening.places): "Rosoboronexport Moscow", "Tariq Aziz Baghdad Iraq".

The places are the cities and countries the lists' own addresses name. Found by the screen12
probe: 44 of 300 listed names cleared with a city after them ("KACH Baghdad"), and 16 of 300
with ", City" (a one-word name before the comma); 8 of 300 do now, names of vessels and
aircraft. The name before the place counts only as a listed name exactly, and a one-word name
only as a company's: "Hassan" and "Noah" are listed aliases of a person and of a vessel. The
entries are real UN and OFAC SDN entries of the demo lists, used here as data only.
"""

from __future__ import annotations

import pytest

from gate.core.screening import Party, parse_dpl_tsv, parse_sdn_csv, parse_un_xml, screen
from gate.core.screening.places import place_key, without_places
from tests.screening.lists import demo_index, read


def entries_hit(name: str) -> set[tuple[str, str]]:
    return {(h.list, h.entry) for h in screen(demo_index(), Party(name))}


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("Rosoboronexport Moscow", ("ofac_sdn", "18782")),
        ("Tariq Aziz Baghdad", ("un", "IQi.025")),
        ("Tariq Aziz Baghdad Iraq", ("un", "IQi.025")),
        ("KEENCLOUD LIMITED Pyongyang", ("ofac_sdn", "8383")),
        ("KACH Tehran", ("ofac_sdn", "4700")),
        ("KACH, Tehran", ("ofac_sdn", "4700")),
        ("Gazprombank Moscow", ("us_csl", "17016")),
    ],
)
def test_a_listed_name_followed_by_a_listed_place_is_a_hit(
    name: str, entry: tuple[str, str]
) -> None:
    assert entry in entries_hit(name)


@pytest.mark.parametrize(
    "name",
    [
        "Hans M\u00fcller Hamburg",
        "Maria Garcia Madrid",
        "Northfield Bakery Moscow",
        # One word before the place: only a company's listed name counts, not a person's
        # given name nor a vessel's name.
        "Hassan Moscow",
        "Noah Moscow",
        "John Dubai",
        # Nor an ordinary word a listed company is called once its legal form is dropped
        # ("CANAL S.A.", "STEP A.S.", "VALOR LTDA. S.C.S.", "IAN LIMITED"): review13.
        "Canal Paris",
        "Step Tokyo",
        "Valor Madrid",
        "Ian London",
        "Tan Singapore",
        "Bank Tehran",
        "Egypt Cairo",
    ],
)
def test_an_ordinary_name_followed_by_a_listed_place_hits_nothing(name: str) -> None:
    assert entries_hit(name) == set()


def test_the_lists_give_the_places_of_their_addresses() -> None:
    """The SDN add.csv city column, the UN addresses' CITY and the DPL's City are read
    (grep Moscow add.csv, grep '<CITY>Baghdad' UN_consolidated.xml, cut -f3 dpl.txt)."""
    sdn = parse_sdn_csv(read("sdn.csv"), read("alt.csv"), read("add.csv"))
    assert {"Moscow", "Tehran", "Cali"} <= set(sdn.places)
    assert "Baghdad" in parse_un_xml(read("UN_consolidated.xml")).places
    assert "DUBAI" in parse_dpl_tsv(read("dpl.txt")).places


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Moscow 117452", ("moscow",)),
        ("Zurich CH-8022", ("zurich",)),
        ("Panama City", ("panama", "city")),
        ("London EC3N 1DY", ("london",)),
        ("AZ", None),
        ("Distrito Federal Codigo Postal 06700", None),
    ],
)
def test_a_place_is_read_up_to_its_postal_code(text: str, key: tuple[str, ...] | None) -> None:
    assert key == place_key(text)


def test_places_are_taken_off_the_end_only_and_never_the_whole_name() -> None:
    places = frozenset({("moscow",), ("russia",), ("panama", "city")})
    assert ("rosoboronexport",) == without_places(places, ("rosoboronexport", "moscow", "russia"))
    assert ("acme",) == without_places(places, ("acme", "panama", "city"))
    assert without_places(places, ("moscow",)) is None
    assert without_places(places, ("moscow", "bakery")) is None


@pytest.mark.parametrize(
    "name",
    [
        # "Qasim", "Khalil" and "Salam" are places of the lists' addresses and family names of
        # their persons: a person's last name is not a place to take off ("Omar Ali", listed
        # exactly, is not "Omar Ali Khalil"). review13: each hit at 1.0 on screen12, none on
        # 6857c17.
        "Mohammed Ali Qasim",
        "Omar Ali Khalil",
        "Omar Ali Qasim",
        "Ahmed Ahmed Khalil",
        "Hassan Hassan Qasim",
        # One word of persons' names before a place is a person as likely as a company: the
        # SDN's "SALIM S.A." folds to "salim", a name of 67 listed persons (hit at 1.0 on
        # screen12).
        "Salim Dubai",
    ],
)
def test_a_family_name_that_is_also_a_place_is_not_taken_off(name: str) -> None:
    assert set() == entries_hit(name)


@pytest.mark.parametrize("name", ["Holding Istanbul", "Investments London", "Holdings Hong Kong"])
def test_a_generic_word_before_a_place_is_no_name(name: str) -> None:
    """A generic word left alone before a place names no company ("STG HOLDINGS LIMITED" and
    "KB INVESTMENTS LIMITED" fold to it). review13: each hit at 1.0 on screen12."""
    hits = {(h.list, h.entry) for h in screen(demo_index(), Party(name)) if h.score >= 1.0}
    assert set() == hits
