"""The licence request the gate sends, field by field as DESIGN.md 4 ("Central approval
link", Out) names them: other systems are built against these names."""

from __future__ import annotations

import time
from pathlib import Path

from gate.core.signatures import Verifier, parse_secret
from tests.central.test_central_link import GATE_SIGNING, held
from tests.fake_office import Office
from tests.service.harness import Gate


async def test_the_licence_request_carries_every_documented_field(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """``request_id``, ``gate_id``, the shipment (id, destination, consignee, end use,
    transit) and each uncovered line (key, description, control, category, quantity, serials,
    reasons), signed (Standard Webhooks v1, ``webhook-id`` = ``request_id``) as JSON."""
    gyro, request = await held(gate, demo_config, office)
    headers, raw = office.received[0]
    lowered = {k.lower(): v for k, v in headers.items()}
    assert "application/json" == lowered["content-type"]
    msg_id, scheme = Verifier(secret=parse_secret(GATE_SIGNING)).verify(lowered, raw, time.time())
    assert (request["request_id"], "v1") == (msg_id, scheme)
    assert {"request_id", "gate_id", "shipment", "lines"} <= set(request)
    shipment = request["shipment"]
    assert {"id", "destination", "consignee", "end_use", "transit"} <= set(shipment)
    assert {"name", "country"} <= set(shipment["consignee"])
    assert ("Acme Precision GmbH", "DE", []) == (
        shipment["consignee"]["name"],
        shipment["consignee"]["country"],
        shipment["transit"],
    )
    (line,) = request["lines"]
    fields = {"key", "description", "control", "category", "quantity", "serials", "reasons"}
    assert fields <= set(line)
    assert (gyro, 1, [], ["cat2"]) == (
        line["key"],
        line["quantity"],
        line["serials"],
        line["reasons"],
    )
    assert isinstance(line["description"], str) and line["control"].startswith("9.A.4")
    assert 2 == line["category"]
