"""The matcher finds what DESIGN 2.1 lists, holds the attack names, and leaves ordinary names be.

The index holds every demo list (UN, SDN, the CSL sample, DPL, the demo notices and the EU
test file). The notices are invented names (configs/lists/notices.csv); the other entries are
real and used here as data only.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.core.screening import Hit, ListPolicy, Party, ScreeningIndex, screen
from tests.screening.lists import demo_index, demo_lists

ORBITAL = ("notices", "DEMO-DN-2024-021")


def hits_of(name: str, country: str | None = None, ids: tuple[str, ...] = ()) -> list[Hit]:
    return list(screen(demo_index(), Party(name, country, ids)))


def keys(hits: list[Hit]) -> set[tuple[str, str]]:
    return {(hit.list, hit.entry) for hit in hits}


ATTACKS = [
    "Оrbіtаl Тrаdеwіndѕ LLC",  # Cyrillic О і а Т е ѕ among Latin letters
    "𝐎𝐫𝐛𝐢𝐭𝐚𝐥 𝐓𝐫𝐚𝐝𝐞𝐰𝐢𝐧𝐝𝐬 LLC",  # mathematical bold
    "Orbital Tradewinds Holding LLC",  # one extra generic word
    "ОRВІТАL ТRАDЕWІNDЅ L.L.C.",  # every letter a Cyrillic capital look-alike
]


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_names_hit_the_listed_company(name: str) -> None:
    """Each attack spelling of "Orbital Tradewinds LLC" hits its notice with action licence."""
    hit = next(h for h in hits_of(name, "US") if (h.list, h.entry) == ORBITAL)
    assert "licence" == hit.action
    assert hit.score >= 0.9
    assert "Orbital Tradewinds LLC" == hit.name


VARIATIONS = [
    ("case", "orbital TRADEWINDS llc", ORBITAL),
    ("accents", "Nordwald Prazisionsantriebe GmbH", ("notices", "DEMO-DN-2023-019")),
    ("punctuation", "Orbital-Tradewinds, L.L.C.", ORBITAL),
    ("dots between words", "Orbital.Tradewinds.LLC", ORBITAL),
    ("spacing", "Orbital Trade winds LLC", ORBITAL),
    ("legal form OOO in Cyrillic", "Volgostar Avionika ООО", ("notices", "DEMO-DN-2024-025")),
    (
        "legal form spelt out",
        "Nordwald Präzisionsantriebe Gesellschaft mit beschränkter Haftung",
        ("notices", "DEMO-DN-2023-019"),
    ),
    ("legal form Sdn Bhd dropped", "Seri Kencana Aeroparts", ("notices", "DEMO-DN-2025-007")),
    ("legal form Pvt Ltd", "Karakoram Vector Systems Pvt Ltd", ("notices", "DEMO-DN-2025-003")),
    ("word order", "MAKENGA, Sultani", ("un", "CDi.008")),
    ("word order reversed", "Sultani Makenga", ("ofac_sdn", "15527")),
    ("Latin name in Cyrillic", "Волгостар Авионика", ("notices", "DEMO-DN-2024-025")),
    ("Latin person in Cyrillic", "Султани Макенга", ("un", "CDi.008")),
    ("Cyrillic name in Latin", "Kestrel Veritas Avionics", ("eu_fsf", "EU.9001.01")),
    ("Cyrillic alias in Cyrillic", "Анатолий Вырговский", ("eu_fsf", "EU.9002.02")),
    ("Arabic original script", "صدام حسين التكريتي", ("un", "IQi.001")),
    ("misspelling", "Orbital Tradewimds LLC", ORBITAL),
    ("misspelling of a person", "Sultany Makenga", ("un", "CDi.008")),
    (
        "missing generic word",
        "Chollima Ryonbong Precision Corporation",
        ("notices", "DEMO-DN-2024-006"),
    ),
    ("extra generic word", "Kestrelmoor Aerotech Group Ltd", ("notices", "DEMO-DN-2023-011")),
]


@pytest.mark.parametrize(("kind", "name", "entry"), VARIATIONS, ids=[v[0] for v in VARIATIONS])
def test_design_variations_are_found(kind: str, name: str, entry: tuple[str, str]) -> None:
    """Each variation DESIGN 2.1 names still hits the listed entry."""
    assert entry in keys(hits_of(name))


@pytest.mark.parametrize(
    "name",
    [
        "EMMA LLC",
        "General Corporation",
        "General Trading Company",
        "International Trading Group Ltd",
        "Harbour Freight Logistics GmbH",
        "Jane Miller",
        "Oliver Schmidt",
        "Acme Widgets Ltd",
        "Orbital Insight Inc",
    ],
)
def test_ordinary_names_do_not_hit(name: str) -> None:
    """Common words alone, and ordinary company and person names, hit nothing."""
    assert [] == hits_of(name)


def test_differing_country_lowers_the_score_but_keeps_the_hit() -> None:
    """A party in CN matching a KP-listed alias is still a hit, 0.05 lower, and says so."""
    same = next(h for h in hits_of("Changgwang Sinyong Corporation", "KP") if h.list == "un")
    other = next(h for h in hits_of("Changgwang Sinyong Corporation", "CN") if h.list == "un")
    assert "KPe.001" == other.entry
    assert round(same.score - 0.05, 3) == other.score
    assert "country CN differs from KP: -0.05" in other.explanation


def test_explanation_is_one_line_naming_alias_list_entry_and_what_was_ignored() -> None:
    """The explanation names the alias, the list and entry, and the legal form ignored."""
    hit = next(h for h in hits_of("Orbital Tradewinds Holding LLC") if (h.list, h.entry) == ORBITAL)
    assert hit.explanation.startswith("name 'Orbital Tradewinds LLC' of notices DEMO-DN-2024-021")
    assert "legal form ignored" in hit.explanation
    assert "extra word(s) 'holding'" in hit.explanation
    assert 1 == len(hit.explanation.splitlines())


def test_identifier_match_is_a_hit_whatever_the_name() -> None:
    """A party whose identifier equals a listed one hits that entry at score 1."""
    hits = hits_of("Completely Different Name Ltd", ids=("717-637093",))
    assert [("ofac_sdn", "26235", 1.0)] == [(h.list, h.entry, h.score) for h in hits]
    assert "identifier Passport" in hits[0].explanation


def test_weak_alias_counts_for_less() -> None:
    """A low-quality UN alias matched exactly scores below a good one (x0.92)."""
    weak = next(h for h in hits_of("TIGER ONE") if h.entry == "CDi.038")
    assert 0.92 == weak.score
    assert "weak alias" in weak.explanation


def test_hit_carries_list_entry_version_and_action() -> None:
    """A hit reports the entry's list, reference and current version, and its list's action."""
    hit = next(h for h in hits_of("BANCO NACIONAL DE CUBA") if h.list == "ofac_sdn")
    entry = next(e for e in demo_index().entries if (e.list_id, e.reference) == ("ofac_sdn", "306"))
    assert ("306", entry.version, "prohibit") == (hit.entry, hit.version, hit.action)
    assert 1.0 == hit.score


def _strong_names() -> list[tuple[str, str, str]]:
    index = demo_index()
    return [
        (name.name, index.entries[name.entry].list_id, index.entries[name.entry].reference)
        for name in index.names[::37]
        if not name.weak
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_strong_names()))
def test_a_listed_name_matches_its_entry_with_score_one(sample: tuple[str, str, str]) -> None:
    """Any listed (not weak) name, screened as it is written, hits its own entry at 1.0."""
    name, list_id, reference = sample
    scores = {(h.list, h.entry): h.score for h in hits_of(name)}
    assert 1.0 == scores.get((list_id, reference))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(_strong_names()),
    st.sampled_from([str.upper, str.lower, str.title]),
    st.sampled_from([" ", ", ", ". ", " - ", "  ", " / "]),
)
def test_case_and_punctuation_do_not_change_scores(
    sample: tuple[str, str, str], case: object, separator: str
) -> None:
    """Changing case and adding punctuation or spaces between words leaves every score alone
    (commas too: the name before its last comma is read only when the name as written is no
    listed name exactly, and a listed name is one however it is punctuated)."""
    assert callable(case)
    name = sample[0]
    changed = separator.join(case(word) for word in name.split()) + "."
    before = [(h.list, h.entry, h.score) for h in hits_of(name)]
    after = [(h.list, h.entry, h.score) for h in hits_of(changed)]
    assert before == after


def test_country_penalty_never_hides_a_hit_below_the_threshold() -> None:
    """A hit just over a 0.97 threshold stays a hit, 0.05 lower, for a party in another country."""
    notices = next(p for p in demo_lists() if p.list_id == "notices")
    index = ScreeningIndex.build([notices], [ListPolicy("notices", "licence", 0.97)])
    at_home = screen(index, Party("Orbital Tradewimds LLC", "US"))
    abroad = screen(index, Party("Orbital Tradewimds LLC", "CN"))
    assert 1 == len(at_home) == len(abroad)
    assert 0.97 <= at_home[0].score < 1.0
    assert round(at_home[0].score - 0.05, 3) == abroad[0].score


def test_a_list_needs_a_valid_policy() -> None:
    """An index refuses a list with no policy, and a policy refuses an unknown action."""
    with pytest.raises(ValueError, match="has no policy"):
        ScreeningIndex.build(demo_lists()[:1], [])
    with pytest.raises(ValueError, match="not prohibit or licence"):
        ListPolicy("un", "warn")
