"""The declared end use (DESIGN.md 2.2): the built-in WMD and missile-delivery vocabulary with
its inflections, the config's terms, "military" alone, end-use codes, and what must not match."""

from __future__ import annotations

import pytest

from gate.core.end_use import EndUse, Vocabulary, check_codes
from gate.errors import PolicyError

BUILT_IN = Vocabulary()


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("missile guidance", "missile"),
        ("MISSILES!", "missiles"),
        ("for the missilery department", "missilery"),
        ("Ballistic rocket programme", "ballistic"),
        ("sounding rockets", "rockets"),
        ("amateur rocketry club", "rocketry"),
        ("land-attack cruise vehicle", "cruise"),
        ("UAV autopilot", "uav"),
        ("UAVs, UCAVs", "uavs"),
        ("Drones for the border", "drones"),
        ("unmanned aerial vehicle", "unmanned aerial"),
        ("Unmanned-Air-Systems", "unmanned air"),
        ("remotely piloted aircraft", "remotely piloted aircraft"),
        ("space launch vehicle", "space launch"),
        ("commercial space launchers", "space launchers"),
        ("re-entry vehicle heat shield", "re entry"),
        ("Reentry capsules", "reentry"),
        ("warheads", "warheads"),
        ("ICBM test range", "icbm"),
        ("WMD", "wmd"),
        ("weapons of mass destruction", "weapons of mass destruction"),
        ("Nuclear-weapon programme", "nuclear weapon"),
        ("chemical weapons storage", "chemical weapons"),
        ("biological warfare research", "biological warfare"),
        ("nerve agents", "nerve agents"),
        ("Réentrée? no: re-entry!", "re entry"),
    ],
)
def test_vocabulary_terms_and_their_forms_are_found(text: str, term: str) -> None:
    """Each built-in term is found whatever its case, punctuation, plural or inflection; the
    finding names the words that matched (folded)."""
    assert EndUse(wmd=term, military=BUILT_IN.read(text).military) == BUILT_IN.read(text)


@pytest.mark.parametrize(
    "text",
    [
        "civil aviation",
        "nuclear medicine imaging",
        "chemical processing plant",
        "biological research laboratory",
        "aerial photography",
        "unmanned ground vehicle",
        "Davy Crockett memorial",
        "pocket calculators",
        "launch party",
        "spacecraft thermal testing",
        "",
    ],
)
def test_civil_phrases_do_not_match(text: str) -> None:
    """Civil phrases, words that only contain a term ("Crockett", "pocket") and words that are
    ordinary on their own ("nuclear", "chemical", "aerial", "launch") match nothing."""
    assert EndUse() == BUILT_IN.read(text)


def test_rocket_salad_is_held_on_purpose() -> None:
    """Decision: "rocket salad" matches. A word naming a delivery system counts wherever it
    stands; the gate does not guess that the vegetable is meant (a false hold costs one look
    by the office, a miss is a violation). Documented in gate/core/end_use.py and
    docs/decision-rules.md."""
    assert "rocket" == BUILT_IN.read("rocket salad for the canteen").wmd


@pytest.mark.parametrize("text", ["military", "Military aircraft", "for the armed forces"])
def test_military_alone_is_not_wmd(text: str) -> None:
    """ "Military" alone is found as military (row 7), never as WMD (row 5)."""
    found = BUILT_IN.read(text)
    assert (None, True) == (found.wmd, found.military is not None)
    assert found.military == found.catch_all


def test_configured_terms_are_added_with_their_plural() -> None:
    """``policy.catch_all_end_uses`` terms count as WMD or missile delivery, folded, with the
    plural of their last word, as whole words only."""
    vocabulary = Vocabulary(("Boost glide body", "Payload adapter"))
    assert "payload adapters" == vocabulary.read("payload-adapters").wmd
    assert "boost glide body" == vocabulary.read("a boost glide body").wmd
    assert None is vocabulary.read("payload adapterless").wmd
    assert ("boost glide body", "payload adapter") == vocabulary.extra


def test_an_empty_configured_term_is_refused() -> None:
    """A blank term would match nothing and hide a typo: refused."""
    with pytest.raises(PolicyError):
        Vocabulary(("  ",))


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (("civil",), EndUse()),
        (("military",), EndUse(military="code military")),
        (("missile",), EndUse(wmd="code missile")),
        (("civil", "nuclear_weapon"), EndUse(wmd="code nuclear_weapon")),
    ],
)
def test_end_use_codes(codes: tuple[str, ...], expected: EndUse) -> None:
    """End-use codes declare WMD, military or civil use, alone or beside the text."""
    assert expected == BUILT_IN.read(None, codes)


def test_unknown_end_use_code_is_refused() -> None:
    """A code the gate cannot read has no safe meaning: refused, naming the known codes."""
    with pytest.raises(PolicyError, match="space_tourism"):
        check_codes(["civil", "space_tourism"])
    with pytest.raises(PolicyError):
        BUILT_IN.read("civil", ("space_tourism",))


# What an attacker wrote instead of "missile" against a running gate (misspellings, split
# words, leetspeak, other languages and scripts, system names, agents): each must be read as
# WMD or missile delivery, so a Category I item is prohibited and anything else held.
EVASIONS = [
    "missle guidance",
    "misile delivery system",
    "misiles",
    "mis-sile",
    "war-head",
    "a-bomb",
    "m1ssile",
    "dr0ne swarm",
    "Raketen",
    "ballistische Rakete",
    "ракета",
    "для ракетной программы",
    "导弹",
    "用于导弹制导",
    "صاروخ",
    "الصاروخ",
    "Flugkörper",
    "missilistico",
    "Scud",
    "Shahab-3",
    "Hwasong-15",
    "Iskander",
    "hypersonic glide vehicle",
    "SLV",
    "sarin",
    "VX agent",
    "anthrax",
    "bio weapon",
    "loitering munition",
]

# Ordinary dock words near those spellings that must not be read as weapons.
NOT_EVASIONS = [
    "mission planning software",
    "missing parts",
    "dismissal letter",
    "promissory note",
    "Mississippi warehouse",
    "RV parts",
    "HGV tyres",
    "bomber jacket",
    "mustard seeds",
    "nuclear medicine",
]


@pytest.mark.parametrize("text", EVASIONS)
def test_evasive_spellings_are_read_as_wmd_end_use(text: str) -> None:
    """Each spelling an attacker used to slip a missile end use past the gate is caught."""
    assert Vocabulary().read(text).wmd is not None


@pytest.mark.parametrize("text", NOT_EVASIONS)
def test_near_spellings_of_ordinary_words_are_not_wmd(text: str) -> None:
    """Words that merely look like the evasions are not read as WMD end uses."""
    assert None is Vocabulary().read(text).wmd


def test_military_in_german_is_military_only() -> None:
    """'militär' is a military end use (row 7), not a WMD one."""
    found = Vocabulary().read("für das Militär")
    assert (None, "militar") == (found.wmd, found.military)


@pytest.mark.parametrize(
    "text",
    ["spare parts for the army", "for use by the Army of the Republic", "ARMIES of the region"],
)
def test_an_army_named_plainly_is_military(text: str) -> None:
    """An army was caught only as "army procurement", "army units" and the like: "spare parts
    for the army" cleared an unlisted item (row 7)."""
    read = BUILT_IN.read(text)
    assert read.military in {"army", "armies"}
    assert read.wmd is None


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("spare parts for the Swiss Army", "army"),
        ("für die Schweizer Armee", "armee"),
        ("pour l'Armée de terre", "armee"),
        ("repuestos para el Ejército", "ejercito"),
        ("ricambi per l'Esercito italiano", "esercito"),
        ("dla armii", "armii"),
        ("для армии", "армии"),
        ("для армії", "арміі"),
    ],
)
def test_the_swiss_army_and_an_army_in_other_languages_are_military(text: str, term: str) -> None:
    """Only the Swiss Army's knife is civil: "spare parts for the Swiss Army" cleared, and so
    did an army written in German, French, Spanish, Italian, Polish, Russian or Ukrainian
    (review10)."""
    assert BUILT_IN.read(text).military == term


@pytest.mark.parametrize(
    "text",
    [
        "Salvation Army shelter",
        "Swiss Army knife",
        "SWISS ARMY knives",
        "army surplus store",
        "army green paint",
        "Armée du Salut",
        "Ejército de Salvación",
        "Esercito della Salvezza",
        "Армия спасения",
        "армирование бетона",
        "Armenian brandy",
    ],
)
def test_civil_army_phrases_are_not_military(text: str) -> None:
    assert BUILT_IN.read(text) == EndUse()


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("for our uranium enrichment plant", "uranium enrichment"),
        ("plutonium reprocessing", "plutonium reprocessing"),
        ("gas centrifuge cascade", "gas centrifuge"),
        ("heavy water production", "heavy water production"),
        ("highly enriched uranium", "enriched uranium"),
        ("plutonium separation", "plutonium separation"),
        ("weapons-grade plutonium", "weapons grade plutonium"),
        # Missed before review10: the verb, the cascade and the centrifuge named the other
        # way round, the isotope by its number, spent fuel reprocessed.
        ("to enrich uranium", "enrich uranium"),
        ("enriching uranium", "enriching uranium"),
        ("enrichment cascade hall", "enrichment cascade"),
        ("gas centrifuges", "gas centrifuges"),
        ("U-235 enrichment", "u 235 enrichment"),
        ("spent fuel reprocessing", "spent fuel reprocessing"),
        ("reprocessing of spent nuclear fuel", "reprocessing of spent nuclear fuel"),
    ],
)
def test_the_nuclear_fuel_cycles_sensitive_steps_are_wmd_end_uses(text: str, term: str) -> None:
    """EAR 744.2(a)(3) names enrichment, reprocessing, isotope separation and heavy water
    production as nuclear end uses: each is read as WMD (rows 5 and 7), not cleared."""
    assert BUILT_IN.read(text).wmd == term


@pytest.mark.parametrize(
    "text",
    [
        "nuclear medicine",
        "nuclear power plant",
        "ore enrichment plant",
        "heavy water",
        "blood centrifuge",
        "reprocessing of spent catalyst",
        # Found by review10: medical isotopes, reactor fuel and steel are civil.
        "isotope separation for medical isotopes",
        "stable isotope enrichment for PET tracers",
        "low enriched uranium fuel",
        "weapons-grade steel",
    ],
)
def test_other_nuclear_and_enrichment_wording_is_not_wmd(text: str) -> None:
    assert BUILT_IN.read(text).wmd is None
