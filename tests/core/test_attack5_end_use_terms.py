"""Military services and forces named plainly, and CBRN and germ warfare, are read as the end
uses they are (rows 5 and 7); navy blue is a colour."""

from __future__ import annotations

import pytest

from gate.core.end_use import Vocabulary

VOCABULARY = Vocabulary()


@pytest.mark.parametrize(
    "text",
    [
        "for the US Air Force",
        "naval warships of the Indian Navy",
        "paramilitary units",
        "ammunition plant",
        "special forces",
        "troops at the front",
        "combat aircraft maintenance",
        "fighter jets",
    ],
)
def test_military_end_uses_named_plainly_are_military(text: str) -> None:
    """Each text is read as a military end use."""
    assert VOCABULARY.read(text).military is not None


@pytest.mark.parametrize("text", ["CBRN defence programme", "germ warfare research"])
def test_cbrn_and_germ_warfare_are_wmd(text: str) -> None:
    """Each text is read as a WMD end use."""
    assert VOCABULARY.read(text).wmd is not None


@pytest.mark.parametrize("text", ["hotel uniforms in navy blue", "navy-blue paint"])
def test_navy_blue_is_a_colour(text: str) -> None:
    """The colour is neither military nor WMD."""
    read = VOCABULARY.read(text)
    assert (None, None) == (read.military, read.wmd)
