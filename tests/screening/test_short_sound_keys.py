"""A name word is no generic word by a sound key of two letters (gate.core.screening.names).

A generic word is also recognised by its sound key ("tso" for "co", "korporeishn" for
"corporation"), and keys of two letters made family names legal forms: "Cho" folded to "co",
"Shah" to "sa", "Lee" to "le". A family name so folded weighed as a legal form, and a Korean
given name written joined was not read apart beside it ("Yonchun Cho" for the UN's "CHO YON
CHUN": word_splits wants a second word that is not generic). Found by the screen13 probe of
the demo lists: of 189 listed Korean names of three syllables written given name joined first,
17 cleared, 7 of them Cho's; 10 after (the others: a syllable "Se" that rigour removes from
the listed name as a legal form, a syllable of one letter, a joined given name that is itself
a listed word). Initials of ordinary names worldwide ("A. Lee", "A.Y.I. Shah"): 43 of 1,500
flagged before, 25 after. The entries are real entries of the demo lists, used here as data.
"""

from __future__ import annotations

import pytest

from gate.core.screening import fold_name
from tests.screening.lists import scores


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("Yonchun Cho", ("un", "KPi.041")),
        ("Yongchol Cho", ("un", "KPi.034")),
        ("Ilwoo Cho", ("un", "KPi.040")),
        ("Chunryong Cho", ("ofac_sdn", "20577")),
    ],
)
def test_a_korean_given_name_written_joined_beside_cho_is_read_apart(
    name: str, entry: tuple[str, str]
) -> None:
    assert scores(name).get(entry) == 1.0


@pytest.mark.parametrize("word", ["Cho", "Shah", "Sha", "Lee", "Coh", "Haag"])
def test_a_family_name_is_no_generic_word(word: str) -> None:
    assert fold_name(word)[0].tokens == (word.casefold(),)


@pytest.mark.parametrize(
    ("written", "generic"),
    [("Tso", "co"), ("ЦО", "co"), ("LLTS", "llc"), ("ЛЛЦ", "llc"), ("ЦВ", "cv"), ("ТХЕ", "the")],
)
def test_the_short_romanisations_of_generic_words_are_still_read(
    written: str, generic: str
) -> None:
    assert fold_name(written)[0].tokens == (generic,)
