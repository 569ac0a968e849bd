"""A standing licence drawn down by one shipment's dispatch is a change of that licence:
every other live shipment it covered is decided again at once (DESIGN.md 2: "A change of ...
a licence re-evaluates every shipment that is not final"), so no door stays green on units
that have left."""

from __future__ import annotations

from pathlib import Path

from tests.central.test_central_link import callback, licence_body, office_key
from tests.service.harness import Gate, gtin_with


async def test_a_dispatch_that_uses_up_a_licence_holds_the_other_shipment_it_covered(
    gate: Gate, demo_config: Path
) -> None:
    """Two shipments each cleared by the same standing licence of 2 units: once the first
    leaves and draws all 2, the second is held (not cleared, its door not green)."""
    status, answer = await callback(
        gate, "/api/v1/licences", licence_body(2), key=office_key(demo_config)
    )
    assert 200 == status, answer
    gyro = gtin_with(demo_config, "9.A.4")
    for sid, door in (("S1", "D1"), ("S2", "D2")):
        await gate.create(sid, door)
        for _ in range(2):
            assert "accepted" == (await gate.scan(gyro, door=door))["status"]
        status, doc = await gate.call("POST", f"/api/v1/shipments/{sid}/seal")
        assert (200, "cleared") == (status, doc["state"]), doc
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"]), doc
    _, listed = await gate.call("GET", "/api/v1/licences")
    assert [0] == [x["remaining"] for x in listed["licences"]]

    _, s2 = await gate.call("GET", "/api/v1/shipments/S2")
    _, doors = await gate.call("GET", "/api/v1/doors")
    d2 = next(d for d in doors["doors"] if d["id"] == "D2")
    assert ("held", "amber") == (s2["state"], d2["signal"]), (s2["lines"], d2)
