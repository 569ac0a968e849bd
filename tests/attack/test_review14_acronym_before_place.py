"""Review14 on 71a39a1: a bound of four letters on one word before a place (to keep "Ian
London" and "Hua Beijing" from hitting IAN LIMITED and the UN's HUA) also dropped the listed
acronyms of designated organisations written with their city: "PIJ Damascus", "AQI
Baghdad", "PKK Ankara" and "ELN Bogota" hit before it and nothing on it. A missed listed party
is a release, a false hit a hold: the bound is now only on listed names that are one word
once their legal form is dropped ("CANAL S.A."), and acronyms hit again."""

from __future__ import annotations

import pytest

from tests.screening.test_places_after_names import entries_hit


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
