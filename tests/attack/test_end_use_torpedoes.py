"""Torpedoes as a military end use (row 7): a leftover of attack18, closed 2026-12-01.

On main (961c311) "torpedo guidance", "guidance for torpedoes" and the word in German,
French, Polish and Russian read as no end use at all, so a Category II gyro (9.A.4) to the US
cleared under the general licence EU001. A torpedo is a weapon named by kind, as artillery
and howitzers are. Judgement: not the civil products that carry the word (a torpedo level, a
torpedo heater, a bicycle's Torpedo hub, a torpedo bag, torpedo grass); those lines are in the
civil corpus too (tests/data/end_use_civil.txt).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.core.end_use import Vocabulary
from tests.service.harness import Gate
from tests.service.test_party_screening import assert_held_for_catch_all, category_ii_to_us

BUILT_IN = Vocabulary()

HELD = [
    ("torpedo guidance", "torpedo"),
    ("guidance for torpedoes", "torpedoes"),
    ("MK48 torpedo upgrade", "torpedo"),
    ("Torpedo-Lenkung", "torpedo"),
    ("Torpedos für die Marine", "torpedos"),
    ("guidage de torpilles", "torpilles"),
    ("naprowadzanie torpedy", "torpedy"),
    ("наведение торпеды", "торпеды"),
]

CIVIL = [
    "9 inch torpedo level for installers",
    "torpedo heater for the warehouse",
    "Torpedo hub spare parts",
    "spare parts for TorpedoHub",
    "torpedo bag for sailing dinghy",
    "torpedo grass control",
]


@pytest.mark.parametrize(("text", "term"), HELD)
def test_a_torpedo_is_a_military_end_use(text: str, term: str) -> None:
    assert (None, term) == (BUILT_IN.read(text).wmd, BUILT_IN.read(text).military)


@pytest.mark.parametrize("text", CIVIL)
def test_the_civil_torpedo_products_stay_civil(text: str) -> None:
    assert (None, None) == (BUILT_IN.read(text).wmd, BUILT_IN.read(text).military)


async def test_a_gyro_for_torpedo_guidance_is_held_not_dispatched(
    gate: Gate, demo_config: Path
) -> None:
    """The Category II gyro to the US with "torpedo guidance" as its end use: held for
    ``catch_all``, its dispatch refused (on main it cleared and left)."""
    result = await category_ii_to_us(gate, demo_config, end_use="torpedo guidance")
    await assert_held_for_catch_all(gate, result)
