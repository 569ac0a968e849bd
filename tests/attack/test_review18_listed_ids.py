"""Review18 on a2bf599 (attack16's registry ids): three defects in reading listed ids.

* A party's id that begins with a country's letters is also looked up without them, for an
  entry of that country or of none (a VAT number is the country's tax number behind its
  letters). Any listed id was looked up that way, a person's passport or cédula as well as a
  tax number, and 154 listed ids of the demo lists sit on entries with no country (149 on
  SDN; 81 Colombian cédulas of eight digits, because the entry's country is only in the id's
  own brackets). A Danish company's VAT number is DK and its eight-digit CVR number: a
  Danish consignee whose CVR number is 16640123 (a valid one, mod 11) was prohibited as
  IBANEZ LOPEZ, Raul Alberto (SDN 4358, "Cedula No. 16640123 (Colombia)"). Nine listed
  cédulas and passports of country-less entries are valid CVR numbers. Without its letters
  an id is now looked up only for a listed tax or company number, not a person's document.
* OFAC's remarks are read to the value's end now ("HRB 26136", "NL 819860578B01"), but some
  values carry words before or after the number: "Passport AF465508 Colombia", "Passport
  D000000483, Diplomatic (Syria)", "Registration ID 6000845 Nabatieh (Lebanon)" were
  indexed as "AF465508", "D000000483" and "6000845" on a2bf599^1 and hit nothing on a2bf599
  (their keys became "AF465508COLOMBIA", ...); "Personal ID Card 7020783883" is read as
  "Card 7020783883", "alt. Passport Booklet: A5199819" as "Booklet: A5199819". The number
  between such words is indexed too (its first to last word holding a digit, at least seven
  characters, so "HRB 26136" does not index "26136"): the entries' versions do not change.
* A hit by identifier was skipped for an entry whose reference another list's hit already
  had: the CSL's rows from the SDN keep the SDN's ``ent_num``, so once both lists read
  "CHE-427.006.032", the SDN's entry 18228 hid the CSL's (on a2bf599^1 the CSL's was the one
  hit). An office clearance of the SDN hit then left no hit at all, though the CSL lists the
  company too: hits are told apart by list and entry.
"""

from __future__ import annotations

import pytest

from gate.core.screening import Party, screen
from gate.core.screening.identifier_hits import identifier_hits
from tests.screening.lists import demo_index


def _hit(
    ids: tuple[str, ...], name: str = "Nordlys Handel ApS", country: str = "DK"
) -> set[tuple[str, str]]:
    return {(h.list, h.entry) for h in screen(demo_index(), Party(name, country, ids))}


@pytest.mark.parametrize("vat", ["DK16640123", "DK 16 64 01 23", "FI16640123", "MT96351739"])
def test_a_vat_number_is_not_read_as_a_listed_persons_cedula(vat: str) -> None:
    """A Danish, Finnish or Maltese VAT number whose digits are a listed person's cédula
    (SDN 4358, 8146) hits nothing: a VAT number is no identity card."""
    assert set() == _hit((vat,))


@pytest.mark.parametrize(
    ("vat", "entry"),
    [("RU7744001497", ("us_csl", "17016")), ("RU 7744001497", ("us_csl", "17016"))],
)
def test_a_tax_number_written_as_a_vat_number_still_hits(vat: str, entry: tuple[str, str]) -> None:
    """GAZPROMBANK OAO's tax number behind Russia's letters still hits its CSL entry."""
    assert entry in _hit((vat,), "Nordlicht Handel GmbH", "DE")


@pytest.mark.parametrize(
    ("value", "entry"),
    [
        ("AF465508", ("ofac_sdn", "10274")),
        ("D000000483", ("ofac_sdn", "10570")),
        ("6000845", ("ofac_sdn", "21245")),
        ("7020783883", ("ofac_sdn", "11320")),
        ("A5199819", ("ofac_sdn", "12295")),
        ("823 026 0248", ("ofac_sdn", "12552")),
    ],
)
def test_a_listed_number_between_words_is_a_hit(value: str, entry: tuple[str, str]) -> None:
    """A listed passport, registration or tax number that OFAC writes with a word before or
    after it ("Passport AF465508 Colombia", "Personal ID Card 7020783883", "V.A.T. Number
    Goztepe V.D. 823 026 0248") is hit by the number alone."""
    assert entry in _hit((value,), "Harbour Supplies Ltd", "MT")


def test_a_short_number_after_a_register_is_not_indexed_alone() -> None:
    """ "HRB 26136" (ASCOTEC HOLDING) is hit whole, not by "26136" alone: five digits are a
    house number, a postcode, an order number."""
    assert ("ofac_sdn", "11608") in _hit(("HRB 26136",))
    assert set() == _hit(("26136",))


def test_the_same_reference_on_two_lists_is_two_identifier_hits() -> None:
    """A party quoting "CHE-427.006.032" hits SDN 18228 and the CSL's 18228, both."""
    hits = identifier_hits(demo_index(), ["CHE-427.006.032"], set())
    assert {("ofac_sdn", "18228"), ("us_csl", "18228")} == {(h.list, h.entry) for h in hits}


def test_a_name_hit_on_one_list_does_not_hide_another_lists_identifier_hit() -> None:
    """An SDN hit by name on 18228 leaves the CSL's 18228 to be hit by identifier."""
    hits = identifier_hits(demo_index(), ["CHE-427.006.032"], {("ofac_sdn", "18228")})
    assert [("us_csl", "18228")] == [(h.list, h.entry) for h in hits]
