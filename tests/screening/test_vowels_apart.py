"""Romanisations of one Arabic or Persian word that differ in their vowels by more than one
edit are the same word to a screener: "Hezbollah", the commonest English spelling, hit
nothing while the SDN list writes "HIZBALLAH" (its alias "LEBANESE HEZBOLLAH" carries a word
the party's name lacks). A long enough word with the listed word's consonants, in order, now
matches it; short consonant runs, which many different names share, do not."""

from __future__ import annotations

import pytest

from gate.core.screening import Party, screen
from gate.core.screening.matcher import VOWELS_APART_MIN_KEY, expand
from gate.core.screening.names import abjad_key
from tests.screening.lists import demo_index

HIZBALLAH = ("ofac_sdn", "4697")


@pytest.mark.parametrize(
    "name", ["Hezbollah", "HEZBOLLAH", "Hezbollah Trading LLC", "Hezbollah Import Export"]
)
def test_a_romanisation_with_other_vowels_hits_the_listed_name(name: str) -> None:
    """ "Hezbollah" (two vowels from "Hizballah") hits the SDN entry, alone or with generic
    words, at the list's threshold or above."""
    hits = [
        h for h in screen(demo_index(), Party(name, None, ())) if (h.list, h.entry) == HIZBALLAH
    ]
    assert 1 == len(hits)
    assert hits[0].score >= 0.88


@pytest.mark.parametrize("name", ["Mahmoud Trading", "Hamburg Hafen Logistik GmbH"])
def test_names_that_share_only_a_short_consonant_run_do_not_hit(name: str) -> None:
    """Short keys ("mhmd" is Mahmoud and Muhammad) stay out: these names hit nothing."""
    assert () == screen(demo_index(), Party(name, None, ()))


def test_a_short_key_brings_no_word_with_other_vowels() -> None:
    """A word whose consonants are fewer than the minimum finds no listed word by them: only
    its exact and one-edit neighbours."""
    index = demo_index()
    assert len(abjad_key("mahmoud")) < VOWELS_APART_MIN_KEY
    near = {index.tokens[number] for number in expand(index, "mahmoud")}
    assert "muhammad" not in near and "mohammed" not in near
