"""A party name's comparison form (standing licences match consignees on it)."""

from __future__ import annotations

import pytest

from gate.core.parties import normalise


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
