"""A listed person written with initials for the given names is a hit
(gate.core.screening.initials).

"A. Q. Khan" is the SDN's "KHAN, Abdul Qadeer"; the matcher weighed each initial as a word the
lists do not hold, the rarest, and the name cleared. Found by the screen13 probe of the demo
lists: of 300 listed persons with two or three given names written with their initials ("A.
Q. Khan", "Khan, A.Q.", "A.Q. Khan"), 300, 299 and 299 cleared; 43 of 300 each after, on
purpose: a family name common on the lists ("Mohamed", "Ali", "Kim", "Qadhafi") with initials
names a crowd. Ordinary names with initials (1,500 of the bench's Western names, 1,500 common
worldwide, "J. R. Smith", "Hassan, I.M."): 5 and 41 flagged before, by their family name or
their letters alone (the UN's "HASSAN", "J & E S. DE R.L."), 5 and 25 after (the short sound
keys fixed beside this took off "A. Lee", "A.Y.I. Shah"), three of them new: "J.J. Kim",
"Zhang, J.P." and "M.Y. Shah" are the SDN's "KIM, Jung Jong", "ZHANG, Jiang Ping" and "SHAH,
Mohammad Yusuf" by their initials. A listed name written in its own order with its first
words as initials ("K. J. Un"): 300 of 300 cleared, 59 after. The entries are real entries
of the demo lists, used here as data only.
"""

from __future__ import annotations

import pytest

from gate.core.screening import Party, screen
from gate.core.screening.initials import INITIALS_FACTOR, split_initials
from tests.screening.lists import demo_index, scores

KHAN = ("ofac_sdn", "11357")


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("A. Q. Khan", KHAN),
        ("Khan, A.Q.", KHAN),
        ("A.Q. Khan", KHAN),
        ("A Q Khan", KHAN),
        # One given name written out, one as its initial.
        ("A. Qadeer Khan", KHAN),
        # A title, a place after a comma, another party after "c/o".
        ("Dr. A.Q. Khan, Islamabad", KHAN),
        ("A.Q. Khan c/o Northfield Bakery Ltd", KHAN),
        ("D.N.E. Mutasa", ("ofac_sdn", "7531")),
        ("Pasechnik, L.I.", ("ofac_sdn", "22409")),
        ("O. A. Jasso Serratos", ("ofac_sdn", "12182")),
        ("H. M. Popalzai", ("ofac_sdn", "23635")),
        # The name in its listed order, its first words as initials, its last rare enough.
        ("K. J. Un", ("ofac_sdn", "20157")),
    ],
)
def test_a_listed_person_written_with_initials_is_a_hit(name: str, entry: tuple[str, str]) -> None:
    assert scores(name).get(entry) == INITIALS_FACTOR


def test_the_hit_says_what_the_initials_were_read_as() -> None:
    hit = screen(demo_index(), Party("Khan, A.Q."))[0]
    assert "initials 'a q' read as 'abdul qadeer'" in hit.explanation
    assert "word order differs" not in hit.explanation


@pytest.mark.parametrize(
    "name",
    [
        # One initial and a family name alone: a crowd ("SCHNEIDER, Simon", "MUTASA, ...").
        "S. Schneider",
        "Mutasa, D.",
        # Initials and a family name common on the lists tell too little (7.7 < 11).
        "M. A. Hassan",
        "M. M. Qadhafi",
        # Initials stand for given names, not a family name ("LOPEZ PALACIOS, Liliana"),
        # unless they begin the name as listed and its last word is rare ("AVENDANO LOPEZ,
        # Martin": Martin is not).
        "P.L. Lopez",
        "A.L. Martin",
        # A whole word is matched as written or respelt from its first letter on, not
        # through a sound key that drops it ("Hill" and the "il" of "Pak Mun-il").
        "P. M. Hill",
        # Initials left over: every listed word is accounted for, no more.
        "A. Q. R. Khan",
    ],
)
def test_initials_that_tell_too_little_or_do_not_fit_do_not_hit(name: str) -> None:
    assert scores(name) == {}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("A. Q. Khan", (("a", "q"), ("khan",))),
        ("Khan, A.Q.", (("a", "q"), ("khan",))),
        ("D.N.E. Mutasa", (("d", "n", "e"), ("mutasa",))),
        # No initial, no whole word, a company.
        ("Abdul Qadeer Khan", None),
        ("A. Q.", None),
        ("A. B. Trading Ltd", None),
    ],
)
def test_split_initials(
    name: str, expected: tuple[tuple[str, ...], tuple[str, ...]] | None
) -> None:
    split = split_initials(name)
    assert (split and (split[0], split[1].tokens)) == expected
