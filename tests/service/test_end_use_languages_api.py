"""A WMD end use written in another language decides the lines over the API (DESIGN.md 2.2,
rows 5 and 7), as the attack on a running gate showed it must: a Category II gyro to the US
declared for "arme nucléaire" cleared under EU001 and dispatched, and a Category I guidance
set declared "für das Kernwaffenprogramm" was only ``cat1``.

Each test runs the real app on a real socket over the demo lists and a real SQLite file
(tests/service/harness).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service.harness import Gate, gtin_with
from tests.service.test_party_screening import (
    US_CONSIGNEE,
    assert_held_for_catch_all,
    category_ii_to_us,
)


@pytest.mark.parametrize("end_use", ["arme nucléaire", "ядерное оружие", "موشک"])
async def test_a_gyro_to_the_us_for_a_foreign_wmd_end_use_is_held(
    gate: Gate, demo_config: Path, end_use: str
) -> None:
    """A Category II gyro to the US that EU001 would clear is held for ``catch_all`` (row 7)
    when the end use names a nuclear weapon or a missile in French, Russian or Persian; it is
    not dispatched."""
    result = await category_ii_to_us(gate, demo_config, end_use=end_use)
    await assert_held_for_catch_all(gate, result)


async def test_a_category_1_item_for_a_german_nuclear_weapons_programme_is_prohibited(
    gate: Gate, demo_config: Path
) -> None:
    """A Category I guidance set (2.A.1.d) to the US declared "für das Kernwaffenprogramm"
    is prohibited for ``wmd_end_use`` (row 5) and the sealed shipment is blocked."""
    await gate.create(
        destination="US", consignee=US_CONSIGNEE, end_use="für das Kernwaffenprogramm"
    )
    result = await gate.scan(gtin_with(demo_config, "2.A.1.d"))
    assert ("prohibited", "wmd_end_use") == (result["decision"], result["reasons"][0])
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "blocked") == (status, sealed["state"])
