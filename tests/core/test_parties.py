"""Denial-list matching: normalisation, the country check and the fuzzy threshold."""

from __future__ import annotations

import datetime as dt

import pytest

from gate.core.parties import DEFAULT_THRESHOLD, DenialList, DeniedParty, normalise, similarity
from gate.errors import InvalidCountry, PolicyError

ROCKET = DeniedParty("Rocket Dynamics Trading LLC", "AE", "BIS-2024-117", dt.date(2024, 3, 1))
NOVA = DeniedParty("Nová Aerospace s.r.o.", "CZ", "N-9")
LIST = DenialList.of([ROCKET, NOVA, DeniedParty("Orbital Supply Co., Ltd.", "CN", "N-3")])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Société Générale S.A.", "societe generale"),
        ("MÜLLER GmbH & Co. KG", "muller"),
        ("Smith & Sons Ltd.", "smith sons"),
        ("Smith and Sons Limited", "smith sons"),
        ("The Acme Corporation, Inc.", "acme"),
        ("S.A.R.L. Dupont", "dupont"),
        ("J. P. Rocket-Works (Pte) Ltd", "jp rocket works"),
        ("Øresund Łódź Æro AB", "oresund lodz aero"),
        ("O'Neil  Holdings   PLC", "oneil holdings"),
        ("Nová Aerospace s.r.o.", "nova aerospace"),
        ("Limited", "limited"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    """Case, accents, punctuation and legal-form words do not survive normalisation."""
    assert expected == normalise(raw)


def test_exact_normalised_match_scores_one() -> None:
    """A different spelling of the same name is an exact match with score 1.0."""
    match = LIST.match("ROCKET DYNAMICS TRADING, L.L.C.", "AE")
    assert match is not None
    assert ROCKET == match.entry
    assert (1.0, True) == (match.score, match.exact)
    assert "exactly" in match.describe()
    assert "BIS-2024-117" in match.describe()


def test_accents_and_legal_form_match_exactly() -> None:
    """'Nova Aerospace SRO' matches 'Nová Aerospace s.r.o.' exactly."""
    match = LIST.match("Nova Aerospace SRO", "CZ")
    assert match is not None
    assert match.exact


def test_country_must_match() -> None:
    """The same name in another country is not a match."""
    assert LIST.match("Rocket Dynamics Trading LLC", "OM") is None


def test_near_miss_matches_with_its_score() -> None:
    """One letter off is a fuzzy match; the score is 2*22/45 (difflib ratio) and is shown."""
    match = LIST.match("Rocket Dynamic Trading Co.", "AE")
    assert match is not None
    assert ROCKET == match.entry
    assert not match.exact
    assert pytest.approx(44 / 45) == match.score
    assert "with score 0.98" in match.describe()


def test_threshold_decides_a_near_miss() -> None:
    """The same near miss counts at the default threshold and not at one above its score."""
    name = "Rockett Dynamix Trading"
    score = similarity(name, ROCKET.name)
    assert DEFAULT_THRESHOLD <= score < 0.95
    assert LIST.match(name, "AE", threshold=DEFAULT_THRESHOLD) is not None
    assert LIST.match(name, "AE", threshold=0.95) is None


def test_word_order_does_not_matter() -> None:
    """Words in another order still match (the sorted-words ratio)."""
    match = LIST.match("Trading Rocket Dynamics", "AE")
    assert match is not None
    assert 1.0 == match.score


def test_unrelated_name_does_not_match() -> None:
    """A different company in the same country is not a match."""
    assert LIST.match("Desert Logistics FZE", "AE") is None
    assert similarity("Desert Logistics FZE", ROCKET.name) < DEFAULT_THRESHOLD


def test_best_of_several_candidates_wins() -> None:
    """Of two near entries, the closer one is reported."""
    close = DeniedParty("Rocket Dynamics Trade", "AE", "N-2")
    listing = DenialList.of([close, ROCKET])
    match = listing.match("Rocket Dynamics Tradin", "AE")
    assert match is not None
    assert ROCKET == match.entry


def test_unknown_country_in_query_is_an_error() -> None:
    """Screening against an unknown country raises instead of answering 'no match'."""
    with pytest.raises(InvalidCountry):
        LIST.match("Rocket Dynamics Trading", "UAE")


def test_entries_are_validated() -> None:
    """An entry with an unknown country or without a name is refused."""
    with pytest.raises(InvalidCountry):
        DeniedParty("Someone", "XK")
    with pytest.raises(PolicyError):
        DeniedParty(" ., ", "DE")


def test_empty_list_matches_nothing() -> None:
    """An empty denial list matches nobody."""
    assert DenialList().match("Rocket Dynamics Trading LLC", "AE") is None
    assert 0 == len(DenialList())
