"""A standing licence names a consignee and a destination (DESIGN 2): goods for a declared end
user in another country are a re-export it does not name, so it does not cover them; the
office approves them or not (attack16: a licence for Acme Precision GmbH, Germany to Germany,
released a gyro whose end user was in China, and the shipment left)."""

from __future__ import annotations

from pathlib import Path

from tests.central.test_central_link import callback, licence_body, office_key
from tests.service.harness import Gate, gtin_with


async def test_a_standing_licence_does_not_cover_goods_for_an_end_user_abroad(
    gate: Gate, demo_config: Path
) -> None:
    status, answer = await callback(
        gate, "/api/v1/licences", licence_body(10), key=office_key(demo_config)
    )
    assert 200 == status, answer
    gyro = gtin_with(demo_config, "9.A.4")
    abroad = {"role": "end_user", "name": "Shenzhen Flight Systems", "country": "CN"}
    at_home = {"role": "end_user", "name": "Bavaria Avionik GmbH", "country": "DE"}
    forwarder = {"role": "forwarder", "name": "Nordic Freight AS", "country": "NO"}
    for sid, door, parties in (
        ("S1", "D1", [abroad]),
        ("S2", "D2", [at_home, forwarder]),
        ("S3", "D3", []),
    ):
        await gate.create(sid, door, parties=parties)
        assert "accepted" == (await gate.scan(gyro, door=door))["status"]
        await gate.call("POST", f"/api/v1/shipments/{sid}/seal")
    states = {}
    for sid in ("S1", "S2", "S3"):
        _, doc = await gate.call("GET", f"/api/v1/shipments/{sid}")
        states[sid] = (doc["state"], doc["lines"][0]["covered_by"] is not None)
    assert {"S1": ("held", False), "S2": ("cleared", True), "S3": ("cleared", True)} == states
    status, refused = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status, refused
