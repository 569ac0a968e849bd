"""A number in a name is one word however written: digits, a number word or an ordinal
(gate.core.screening.names: each becomes its digits, on both sides).

"Seven Karnes" is the SDN's "7 KARNES"; "1st East Export Bank" the UN's "FIRST EAST EXPORT
BANK, P.L.C.". Found by the screen13 probe of the demo lists: of 17 listed companies with a
number of 1 to 20 in digits, 16 cleared with it written as a word; of 53 with a number word or
an ordinal, 43 cleared with it in digits ("the 2 Rivers", "2nd Academy"); none after. Ordinary
names with numbers ("Two Rivers Coffee", "Maple 3rd Bakery GmbH"): 0 of 1,500 flagged before
and after. The entries are real entries of the demo lists, used here as data only.
"""

from __future__ import annotations

import pytest

from gate.core.screening import fold_name
from gate.core.screening.names import misspelt_number
from tests.screening.lists import scores


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("Seven Karnes", ("ofac_sdn", "12449")),
        ("Almacen Futuro No. One", ("ofac_sdn", "11556")),
        ("Che Two Chayon Kwahakwon", ("ofac_sdn", "12215")),
        ("1st East Export Bank PLC", ("un", "IRe.021")),
        ("2nd Academy of Natural Sciences", ("un", "KPe.018")),
        ("Al-Qaida in the Land of the 2 Rivers", ("ofac_sdn", "8759")),
    ],
)
def test_a_number_written_otherwise_than_listed_is_the_listed_name(
    name: str, entry: tuple[str, str]
) -> None:
    assert scores(name).get(entry) == 1.0


def test_a_misspelt_number_word_is_read_as_any_misspelt_word() -> None:
    # The listed word is "14" once folded: the misspelling is read by the number word's
    # letters, at the similarity of one edit in ten letters.
    assert scores("Furteenth Ocean GmbH and Co. KG")[("ofac_sdn", "25465")] > 0.95
    assert misspelt_number("furteenth") == ("14", 10)
    assert misspelt_number("fourteenth") is None


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("7 Karnes", ("7", "karnes")),
        ("Seven Karnes", ("7", "karnes")),
        ("Seventh Karnes", ("7", "karnes")),
        ("7th Karnes", ("7", "karnes")),
    ],
)
def test_numbers_fold_to_their_digits(name: str, tokens: tuple[str, ...]) -> None:
    assert fold_name(name)[0].tokens == tokens


@pytest.mark.parametrize(
    "name", ["Two Rivers Coffee", "First Choice Dental", "Maple 3rd Bakery GmbH", "One Stop Tiles"]
)
def test_ordinary_names_with_numbers_do_not_hit(name: str) -> None:
    assert scores(name) == {}
