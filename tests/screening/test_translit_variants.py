"""Another common Latin spelling of a listed person's Arabic given name hit nothing: "Uday
Saddam Husayn al-Tikriti" cleared while the lists write "Hussein", and 33 of 120 SDN
individuals with one given name respelt (Hamid/Hameed, Yusuf/Youssef, Muhammad/Mohamed, ...)
were missed (attack5). Given names are now compared through a table of variants
(gate.core.screening.given_names): the spellings of one name match, its rarity is the name's
whatever the spelling, "Abd al" and "Abd el" are read as one name ("Abdul"), and "Abdulaziz"
as the "Abdul Aziz" a list writes (gate.core.screening.readings). Names that differ in Arabic
(Hasan and Husayn, Muhammad and Mahmud) stay apart, and ordinary names near the new rules hit
nothing.
"""

from __future__ import annotations

import pytest

from gate.core.screening import Party, screen
from gate.core.screening.given_names import GIVEN_NAME_OF, given_name
from gate.core.screening.matcher import expand
from tests.screening.lists import demo_index


def _scores(name: str, entry: tuple[str, str]) -> list[float]:
    """The scores of ``name``'s hits on ``entry`` (list id, reference)."""
    return [h.score for h in screen(demo_index(), Party(name)) if (h.list, h.entry) == entry]


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        # The attack's end-to-end case: SDN and UN write "Hussein".
        ("Uday Saddam Husayn al-Tikriti", ("ofac_sdn", "7845")),
        ("Uday Saddam Husayn al-Tikriti", ("un", "IQi.003")),
        ("Uday Saddam Husain al-Tikriti", ("ofac_sdn", "7845")),
        ("Qusay Saddam Husayn al-Tikriti", ("ofac_sdn", "7844")),
        # Listed "Mohammed Muammar" (alias), "Hamid", "Yusuf", "Mostafa", "Mohamed", ...
        ("Muhammad Muammar Qadhafi", ("ofac_sdn", "12628")),
        ("Hameed Firoozi", ("ofac_sdn", "22953")),
        ("Hameed Jum'ah", ("ofac_sdn", "22013")),
        ("Youssef Ma'tuq", ("ofac_sdn", "22015")),
        ("Yousef Arbash", ("ofac_sdn", "20241")),
        ("Mustapha Mahamed", ("ofac_sdn", "19869")),
        ("Chiheb Ben Muhammad Ayari", ("ofac_sdn", "7829")),
        ("Mohamed Ijaz Safarash", ("ofac_sdn", "19669")),
        ("Muhammed Agha Ja'fari", ("ofac_sdn", "24471")),
        # The listed spelling "Ebrahim" is rare, the name is not: "Ibrahim" weighs as much.
        ("Mohammad Ibrahim Owhadi", ("ofac_sdn", "25474")),
        # "Abd al" and "Abd el" written apart for the listed "Abdul" (UN).
        ("Abd al Rosyid Ridho Ba'asyir", ("un", "QDi.305")),
        ("Hamadi Ben Abd El Aziz Ben Ali Bouyahia", ("un", "QDi.143")),
        # And joined where the list writes them apart ("HAQQANI, Abdul Aziz").
        ("Abdulaziz Haqqani", ("ofac_sdn", "18347")),
        ("Abdelaziz Rantisi", ("ofac_sdn", "7915")),
    ],
)
def test_another_spelling_of_a_given_name_hits_the_listed_person(
    name: str, entry: tuple[str, str]
) -> None:
    """A listed person's name with one Arabic given name written another common way hits the
    entry at the list's threshold or above."""
    scores = _scores(name, entry)
    assert 1 == len(scores)
    assert scores[0] >= 0.88


def test_the_hit_says_which_spelling_was_read_as_which() -> None:
    """The explanation names the party's spelling and the listed one."""
    hits = screen(demo_index(), Party("Uday Saddam Husayn al-Tikriti"))
    sdn = next(h for h in hits if h.entry == "7845")
    assert "'husayn' read as 'hussein'" in sdn.explanation


def test_the_spellings_of_one_name_share_it_and_other_names_do_not() -> None:
    """The table gives one name to the spellings of one Arabic name, and keeps apart names that
    differ in Arabic (حسن and حسين, محمد and محمود, سعيد and سيد, صالح and صلاح)."""
    assert "husayn" == given_name("hussein") == given_name("husain") == given_name("hossein")
    assert "muhammad" == given_name("mohamed") == given_name("muhammed")
    assert given_name("hasan") != given_name("husayn")
    assert given_name("mahmoud") != given_name("muhammad")
    assert given_name("said") != given_name("sayed")
    assert given_name("salah") != given_name("saleh")
    assert given_name("joseph") is None


def test_each_spelling_names_one_name_only() -> None:
    """No spelling is on two lines of the table (it would join two names), and every spelling
    is folded as names are compared (lower case ASCII letters)."""
    assert all(spelling.isascii() and spelling.isalpha() for spelling in GIVEN_NAME_OF)
    assert all(spelling == spelling.lower() for spelling in GIVEN_NAME_OF)


def test_a_given_name_weighs_as_the_name_whatever_its_spelling() -> None:
    """A rare listed spelling of a common name weighs as the common name does."""
    index = demo_index()
    assert index.weight("ibrahim") == index.weight("ebrahim")
    assert index.weight("hussein") == index.weight("husayn")


@pytest.mark.parametrize(("token", "other"), [("hasan", "hussein"), ("husayn", "hassan")])
def test_hasan_and_husayn_stay_two_names(token: str, other: str) -> None:
    """ "Hasan" does not reach the listed "hussein" through the table, nor "Husayn" "hassan"."""
    index = demo_index()
    assert index.token_of[other] not in expand(index, token)


@pytest.mark.parametrize(
    "name",
    [
        # Another name of the same root, the rest of the listed name kept: not a hit.
        "Uday Saddam Hasan al-Tikriti",
        # SDN lists Hasan NASRALLAH; Husayn is another name.
        "Husayn Nasrallah",
        # Given names of the table with ordinary surnames.
        "Hussein Weber",
        "Mohamed Schneider",
        "Hameed Meyer",
        "Adel Schmidt",
        "Isa Hansen",
        "Said Smith",
        "Reza Kowalski",
        "Mustapha Dental",
        "Noor Bakery",
        "Omer Bakery GmbH",
        # Two words that join into a table spelling, but the first is no compound's head.
        "Has San Trading",
        "Ha Mid Bakery",
        # A compound head before a word that makes no given name with it.
        "Abu Dhabi Bakery",
        "Abd El Hansen",
        # A compound head inside an ordinary word, or before too short a tail.
        "Abundance Bakery",
        "Abdullah Smith",
    ],
)
def test_ordinary_names_near_the_given_name_rules_hit_nothing(name: str) -> None:
    """Names one step from what the given-name rules read hit nothing."""
    assert () == screen(demo_index(), Party(name))
