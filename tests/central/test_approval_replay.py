"""A redelivered approval is answered with what the approval brought, stored with the change
(computed from the decided shipment, not read back from memory inside the write)."""

from __future__ import annotations

from pathlib import Path

from gate.storage.store import connect_readonly
from tests.central.test_central_link import approval, callback, held, office_key
from tests.fake_office import Office
from tests.service.harness import Gate


async def test_redelivery_after_dispatch_answers_the_state_the_approval_brought(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """The approval clears the shipment and says so; after the shipment is dispatched the
    same webhook id is still answered "cleared" (green), and the approval is applied once."""
    _, request = await held(gate, demo_config, office)
    body = approval(request["request_id"], "L-9")
    key = office_key(demo_config)
    first = await callback(gate, "/api/v1/approvals", body, key=key, msg_id="msg_keep")
    assert (200, {"id": "S1", "state": "cleared", "signal": "green"}) == (
        first[0],
        first[1]["shipment"],
    )
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"])
    again = await callback(gate, "/api/v1/approvals", body, key=key, msg_id="msg_keep")
    assert first == again
    conn = connect_readonly(gate.config.database)
    try:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM audit WHERE kind LIKE 'approval.%'")]
    finally:
        conn.close()
    assert ["approval.approved"] == kinds
