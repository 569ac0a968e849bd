"""Review14 on 71a39a1: a word of fewer than four letters before a place names no company,
to keep "Ian London" and "Hua Beijing" from hitting IAN LIMITED and the UN's HUA. The same
bound drops the listed acronyms of designated organisations written with their city:
"PIJ Damascus", "AQI Baghdad", "PKK Ankara" and "ELN Bogota" hit before it and hit nothing
on it (the acronym alone still hits). A missed listed party is a release; a false hit is a
hold: the bound trades the wrong way for a gate that fails closed. Open: strict xfail until
a bound tells an acronym from an ordinary short word."""

from __future__ import annotations

import pytest

from tests.screening.test_places_after_names import entries_hit


@pytest.mark.xfail(strict=True, reason="review14: 71a39a1 drops acronyms before a place")
@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("PIJ Damascus", ("ofac_sdn", "4707")),
        ("AQI Baghdad", ("un", "QDe.115")),
        ("PKK Ankara", ("ofac_sdn", "4702")),
        ("ELN Bogota", ("ofac_sdn", "4706")),
    ],
)
def test_a_listed_acronym_followed_by_its_city_is_a_hit(name: str, entry: tuple[str, str]) -> None:
    """A designated organisation's listed acronym with a city after it hits the entry."""
    assert entry in entries_hit(name)
