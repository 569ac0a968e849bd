"""A unit's label that states a count (AI 37) counts that many units, never one: a label
saying 10 thermal batteries is 10 against a standing licence for 1 (held, asked of the
office), not 1 it would release."""

from __future__ import annotations

from pathlib import Path

from tests.central.test_central_link import callback, licence_body, office_key
from tests.service.harness import Gate, gtin_with

BATTERY = "12.A.6"


async def test_a_label_stating_ten_units_counts_ten(gate: Gate, demo_config: Path) -> None:
    """(01) battery (37) 10 counts 10, and the licence for 1 leaves the shipment held."""
    body = {**licence_body(1), "controls": [BATTERY]}
    status, answer = await callback(gate, "/api/v1/licences", body, key=office_key(demo_config))
    assert 200 == status, answer
    await gate.create()
    unit = gtin_with(demo_config, BATTERY)
    answer = await gate.scan(f"(01){unit}(37)10")
    assert ("accepted", 10, 10) == (
        answer["status"],
        answer["counted"],
        answer["line"]["quantity"],
    )
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held", 10) == (status, doc["state"], doc["lines"][0]["quantity"])


async def test_a_label_without_a_count_counts_one(gate: Gate, demo_config: Path) -> None:
    """A GTIN alone counts one unit."""
    await gate.create()
    answer = await gate.scan(f"(01){gtin_with(demo_config, '')}")
    assert (1, 1) == (answer["counted"], answer["line"]["quantity"])


async def test_a_serialised_label_stating_ten_counts_ten_once(
    gate: Gate, demo_config: Path
) -> None:
    """A label with a serial and a count of 10 counts 10 the first time that serial is read
    and nothing when it is read again (a portal's re-reads); the licence for 1 does not
    cover it."""
    body = {**licence_body(1), "controls": [BATTERY]}
    status, answer = await callback(gate, "/api/v1/licences", body, key=office_key(demo_config))
    assert 200 == status, answer
    await gate.create()
    code = f"(01){gtin_with(demo_config, BATTERY)}(21)S1(37)10"
    first, again = await gate.scan(code), await gate.scan(code)
    assert [(10, 10), (0, 10)] == [(a["counted"], a["line"]["quantity"]) for a in (first, again)]
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, doc["state"])


async def test_a_variable_count_label_counts_its_count(gate: Gate, demo_config: Path) -> None:
    """(01) gyro (30) 50, a label saying 50 items, counts 50, never 1."""
    await gate.create()
    answer = await gate.scan(f"(01){gtin_with(demo_config, '9.A.4')}(30)50")
    assert (50, 50) == (answer["counted"], answer["line"]["quantity"])
