"""Listed names a trained screener finds though the party's name dresses them up (DESIGN 2.1):
inside a longer name, with abbreviated generic words, English words spelt in Cyrillic, and
written in Arabic script; and ordinary long names that share one common word with a listed
name hit nothing.

The names are those of an attack that cleared shipments to listed parties over HTTP; the
entries are real OFAC SDN and UN entries of the demo lists, used here as data only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.core.screening import Hit, Party, fold_name, screen
from tests.screening.lists import demo_index
from tests.service.harness import Gate
from tests.service.test_party_screening import category_ii_to_us

TANCHON = ("ofac_sdn", "9346")  # TANCHON COMMERCIAL BANK
SHIG = ("ofac_sdn", "9349")  # SHAHID HEMMAT INDUSTRIAL GROUP
KOMID = ("ofac_sdn", "9345")  # KOREA MINING DEVELOPMENT TRADING CORPORATION
BNC = ("ofac_sdn", "306")  # BANCO NACIONAL DE CUBA
HIZBALLAH = ("ofac_sdn", "4697")


def hits_of(name: str, country: str | None = None) -> list[Hit]:
    return list(screen(demo_index(), Party(name, country)))


EVASIONS = [
    (
        "inside, after",
        "Global Logistics Services Inc on behalf of Tanchon Commercial Bank",
        TANCHON,
    ),
    ("inside, after 'for'", "Global Logistics Services Ltd for Tanchon Commercial Bank", TANCHON),
    (
        "inside, before c/o",
        "Tanchon Commercial Bank c/o Global Logistics Services Ltd, New York branch",
        TANCHON,
    ),
    ("inside, before words", "Tanchon Commercial Bank Representative Office Moscow", TANCHON),
    ("part after ;", "Shahid Hemmat Industrial Group; Tehran", SHIG),
    ("part in brackets", "Acme Freight Ltd (Hizballah)", HIZBALLAH),
    ("part before c/o", "Hizballah c/o Acme Freight Ltd", HIZBALLAH),
    ("abbreviated Comm.", "Tanchon Comm. Bank", TANCHON),
    ("abbreviated Coml", "Tanchon Coml Bank", TANCHON),
    ("abbreviated Ind. Grp.", "Shahid Hemmat Ind. Grp.", SHIG),
    ("English in Cyrillic", "Танчон Коммершиал Банк", TANCHON),
    ("Spanish in Cyrillic", "Банко Насьональ де Куба", BNC),
    ("English in Cyrillic, 5 words", "Корея Майнинг Девелопмент Трейдинг Корпорейшн", KOMID),
    ("Arabic script", "حزب الله", HIZBALLAH),
    ("Persian script", "شهید همت", SHIG),
]


@pytest.mark.parametrize(("kind", "name", "entry"), EVASIONS, ids=[e[0] for e in EVASIONS])
def test_a_dressed_up_listed_name_hits_its_prohibit_entry(
    kind: str, name: str, entry: tuple[str, str]
) -> None:
    """Each attack spelling hits its SDN entry at the list's threshold (0.88) or more, with
    action prohibit."""
    hit = next((h for h in hits_of(name, "US") if (h.list, h.entry) == entry), None)
    assert hit is not None, f"{kind}: {name!r} does not hit {entry}"
    assert "prohibit" == hit.action
    # Country US differs from the entries' countries (or they have none): up to -0.05.
    assert hit.score >= 0.88 - 0.05


def test_a_listed_name_inside_a_longer_one_says_what_was_extra() -> None:
    """The explanation of a hit found inside a longer name names the party's extra words, and
    its score is 0.95 (an exact match ranks first)."""
    name = "Global Logistics Services Ltd for Tanchon Commercial Bank"
    hit = next(h for h in hits_of(name) if (h.list, h.entry) == TANCHON)
    assert "extra word(s) 'global logistics services for'" in hit.explanation
    assert 0.95 == hit.score


def test_a_hit_on_one_part_of_a_name_says_which_part() -> None:
    """A hit found in one part of a name of several ("X on behalf of Y") names the part."""
    name = "Global Logistics Services Inc on behalf of Tanchon Commercial Bank"
    hit = next(h for h in hits_of(name) if (h.list, h.entry) == TANCHON)
    assert "found in 'tanchon commercial bank', one part of the party's name" in hit.explanation
    assert 1.0 == hit.score


@pytest.mark.parametrize(
    "name",
    [
        # One rare or common word of a listed name, among ordinary ones.
        "Tanchon Seafood Export Company Ltd",
        "First Commercial Bank of Dubai Global Logistics Services",
        "Korea Trading Corporation on behalf of Acme Widgets Ltd",
        "Granite Mining Works on behalf of Acme Widgets Ltd",
        "Emma Oil Trading Company on behalf of Northfield Dairy Ltd",
        "Mohammad Ali Textiles Trading Company; Karachi",
        "Cuba Street Bakery (Miami)",
        "Oliver Schmidt Logistics (Miami); Tehran",
        # Words that sound like generic words.
        "Zazueta Handal Logistics",
        # Common Arabic names and words.
        "محمد علي",
        "شركة النور للتجارة",
        "مطعم بيروت",
    ],
)
def test_ordinary_long_names_sharing_a_word_hit_nothing(name: str) -> None:
    """A long ordinary name holding one word of a listed name, or a common name in Arabic
    script, hits nothing."""
    assert [] == [(h.list, h.entry, h.name, h.score) for h in hits_of(name)]


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Tanchon Comm. Bank", ("tanchon", "commercial", "bank")),
        ("Shahid Hemmat Ind. Grp.", ("shahid", "hemmat", "industrial", "group")),
        ("Acme Intl Mfg", ("acme", "international", "manufacturing")),
        ("Корпорейшн Трейдинг Девелопмент", ("corporation", "trading", "development")),
        ("Интернешнл Текнолоджис Энджиниринг", ("international", "technologies", "engineering")),
        ("Expert Zazueta Handal", ("expert", "zazueta", "handal")),
    ],
)
def test_generic_words_fold_from_abbreviations_and_cyrillic_sound(
    written: str, folded: tuple[str, ...]
) -> None:
    """Abbreviated generic words and English generic words spelt in Cyrillic fold to the
    word; ordinary words that merely sound alike stay as they are."""
    assert folded == fold_name(written)[0].tokens


async def test_the_attack_names_hit_over_http(gate: Gate) -> None:
    """Over HTTP on the demo config, each attack name gets a prohibit hit on the SDN list."""
    for _kind, name, (_list, entry) in EVASIONS:
        status, doc = await gate.call("POST", "/api/v1/screen", {"name": name, "country": "US"})
        assert 200 == status, doc
        found = {(h["list"], h["entry"], h["action"]) for h in doc["hits"]}
        assert ("ofac-sdn", entry, "prohibit") in found, (name, found)


async def test_a_listed_bank_inside_an_end_user_name_prohibits_the_line(
    gate: Gate, demo_config: Path
) -> None:
    """An end user "... on behalf of Tanchon Commercial Bank" prohibits a Category II line to
    the US that EU001 would otherwise clear (row 4), as the attack's shipment should have."""
    party = {
        "role": "end_user",
        "name": "Global Logistics Services Inc on behalf of Tanchon Commercial Bank",
        "country": "US",
    }
    result = await category_ii_to_us(gate, demo_config, parties=[party])
    assert ("prohibited", "sanctioned_party") == (result["decision"], result["reasons"][0])
