"""A signed callback that names another gate (``gate_id``) is refused, 409, and changes
nothing; one naming this gate, or none, is taken (request ids and licence numbers repeat
across gates that trust the same office key: attack F2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.central.test_central_link import callback, licence_body, office_key
from tests.service.harness import Gate, gtin_with


@pytest.mark.parametrize(("named", "status", "stored"), [("other", 409, 0), ("own", 200, 1)])
async def test_a_licence_push_for_another_gate_is_refused(
    gate: Gate, demo_config: Path, named: str, status: int, stored: int
) -> None:
    """A licence pushed to gate "dock-z" is refused here; one for this gate is stored."""
    gate_id = "dock-z" if named == "other" else gate.config.gate_id
    body = {**licence_body(3), "gate_id": gate_id}
    answer_status, answer = await callback(
        gate, "/api/v1/licences", body, key=office_key(demo_config)
    )
    _, listed = await gate.call("GET", "/api/v1/licences")
    assert (status, stored) == (answer_status, len(listed["licences"])), answer


async def test_an_approval_for_another_gate_is_refused(gate: Gate, demo_config: Path) -> None:
    """An approval of this gate's own request, naming another gate, leaves it held."""
    await gate.create(destination="IN", consignee={"name": "Bharat Avionics", "country": "IN"})
    await gate.scan(gtin_with(demo_config, "9.A.4"))
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, sealed["state"]), sealed
    request_id = sealed["requests"][0]["request_id"]
    body = {
        "request_id": request_id,
        "shipment_id": "S1",
        "decision": "approved",
        "licence": {"number": "L-9", "valid_until": "2099-01-01T00:00:00Z"},
        "gate_id": "dock-z",
    }
    answer_status, answer = await callback(
        gate, "/api/v1/approvals", body, key=office_key(demo_config)
    )
    _, after = await gate.call("GET", "/api/v1/shipments/S1")
    assert (409, "held") == (answer_status, after["state"]), answer
