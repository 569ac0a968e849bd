"""A pushed standing licence for thermal batteries (12.A.6) releases the batteries counted
one by one, and not a case of them read once: the case's line is held and asked of the
office, end to end over the gate's HTTP API (DESIGN.md 2: standing licences count units)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.core.gs1 import groups_units
from tests.central.test_central_link import callback, licence_body, office_key
from tests.service.harness import Gate, catalogue_rows

BATTERY = "12.A.6"


def battery(config: Path, *, case: bool) -> str:
    """The demo catalogue's first thermal battery, or its case."""
    return next(g for g, _, c in catalogue_rows(config) if c == BATTERY and groups_units(g) == case)


@pytest.mark.parametrize(("case", "state"), [(False, "cleared"), (True, "held")])
async def test_a_licence_for_units_does_not_release_a_case(
    gate: Gate, demo_config: Path, case: bool, state: str
) -> None:
    """A licence for 1 battery clears a shipment of 1 battery, and holds (uncovered, nothing
    drawn) a shipment of one case of 10 read once."""
    body = {**licence_body(1), "controls": [BATTERY]}
    status, answer = await callback(gate, "/api/v1/licences", body, key=office_key(demo_config))
    assert 200 == status, answer
    await gate.create()
    await gate.scan(battery(demo_config, case=case))
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    line = doc["lines"][0]
    assert (200, state, case) == (status, doc["state"], line["covered_by"] is None), line
    _, listed = await gate.call("GET", "/api/v1/licences")
    assert 1 == listed["licences"][0]["remaining"]
