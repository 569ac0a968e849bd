"""A legal form written out at the end of a name, cut at a field limit or not removed whole,
is read as the legal form it is (gate.core.screening.truncated.written_form).

"GAZPROMBANK OPEN JOINT STOCK C" is the CSL's "GAZPROMBANK OAO" in a field of 30 characters;
the cut form was left in the name, its words unknown or generic, and the name cleared. Found by
the screen13 probe of the demo lists: of 300 listed companies with a short legal form (OAO,
LLC, GmbH, FZE, S.A., Inc ...) written out and cut inside it, 68, 52 and 36 cleared at 30, 35
and 40 characters (0, 1 and 0 after: the one left is "TECHNOLOGY AND DEVELOPMENT GROUP LI",
generic words only); of 300 with "S.A.", "SpA", "SARL" or "Corp." written out whole in a
form rigour does not remove ("SOCIETE ANONYME", "SOCIETA PER AZIONI"), 119 cleared (0 after).
The entries are real entries of the demo lists, used here as data only.
"""

from __future__ import annotations

import pytest

from gate.core.screening import Party, screen
from gate.core.screening.truncated import TRUNCATED_FACTOR, written_form
from tests.screening.lists import demo_index, scores


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("GAZPROMBANK OPEN JOINT STOCK C", ("us_csl", "17016")),
        ("ROSOBORONEKSPORT OPEN JOINT STOCK C", ("ofac_sdn", "18782")),
        ("TECHMA GESELLSCHAFT MIT BESCHR", ("bis_dpl", "TECHMA GMBH (03/24/1981)")),
        # fold_name removed "LIMITED" and left "LIABILITY COMPA".
        ("MEDIASINTEZ LIMITED LIABILITY COMPA", ("ofac_sdn", "23943")),
        # A listed name of two words once its form is dropped: no cut_candidates.
        ("UNIVERSAL TECHNOLOGY INCORPORA", ("bis_dpl", "UNIVERSAL TECHNOLOGY, INC (06/23/2006)")),
        ("PETROPARS INTERNATIONAL FREE ZONE E", ("ofac_sdn", "11634")),
    ],
)
def test_a_listed_name_with_its_legal_form_written_out_and_cut_is_a_hit(
    name: str, entry: tuple[str, str]
) -> None:
    # At most TRUNCATED_FACTOR: the cut word may have been another.
    assert scores(name).get(entry) == TRUNCATED_FACTOR


def test_a_form_written_out_that_fold_name_keeps_is_read_as_a_legal_form() -> None:
    assert scores("INVERSIONES BETANIA SOCIETE ANONYME")[("ofac_sdn", "6556")] == 1.0


def test_the_hit_says_the_legal_form_was_read_cut_short() -> None:
    hit = screen(demo_index(), Party("GAZPROMBANK OPEN JOINT STOCK C"))[0]
    assert "'open joint stock c' read as a legal form cut short" in hit.explanation


@pytest.mark.parametrize(
    "name",
    [
        # Ordinary companies with a form written out, cut or whole (the probe: 0 of 1,500).
        "Silver Meadow Printing Open Joint S",
        "Granite Harbour Bakery Limited Liab",
        "Maple Dental Sociedad Anonima",
        "Oak Garden Societe Anonyme",
        # Generic words only before the cut form.
        "TECHNOLOGY AND DEVELOPMENT GROUP LI",
    ],
)
def test_ordinary_names_with_a_form_written_out_do_not_hit(name: str) -> None:
    assert scores(name) == {}


@pytest.mark.parametrize(
    ("tokens", "cut", "removed", "expected"),
    [
        ("gazprombank open joint stock c", True, False, (4, True)),
        # Not as long as a field: a last word that begins a form is a word of the name.
        ("gazprombank open joint stock c", False, False, (0, False)),
        ("x liability compa", True, True, (2, True)),
        # Without it, "compa" alone begins "company".
        ("x liability compa", True, False, (1, True)),
        ("x societe anonyme", False, False, (2, False)),
        # One or two letters left of a form are as likely a word of the name.
        ("x sa", True, False, (0, False)),
        # A whole form of generic words only, and a form with nothing before it.
        ("x company", False, False, (0, False)),
        ("joint stock c", True, False, (0, False)),
    ],
)
def test_written_form(tokens: str, cut: bool, removed: bool, expected: tuple[int, bool]) -> None:
    assert written_form(tuple(tokens.split()), cut, removed) == expected
