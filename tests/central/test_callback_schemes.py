"""Which signatures the office's callbacks are taken with: where ``central.callback_public_key``
is configured, only v1a by the office's key. The ``whsec_`` callback secret sits on every gate
of a fleet, so an approval signed with it alone (v1) is refused, 401, and changes nothing; a
gate with no public key configured takes v1 (audit13)."""

from __future__ import annotations

import re
from pathlib import Path

from gate.storage.store import connect_readonly
from tests.central.test_central_link import (
    OFFICE_SECRET,
    approval,
    callback,
    held,
    licence_body,
    office_key,
)
from tests.fake_office import Office
from tests.service.harness import Gate, Gates


def approvals_journaled(g: Gate) -> int:
    conn = connect_readonly(g.config.database)
    try:
        (count,) = conn.execute(
            "SELECT COUNT(*) FROM audit WHERE kind LIKE 'approval.%' OR kind LIKE 'licence.%'"
        ).fetchone()
    finally:
        conn.close()
    return int(count)


async def test_a_shared_secret_approval_is_refused_where_the_office_key_is_configured(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """S1 held; an approval of its request signed v1 with the callback secret (what any gate
    of the fleet could sign) is refused 401 as a problem document naming v1, S1 stays held and
    nothing is journaled; the same body signed v1a by the office's key then clears it."""
    _, request = await held(gate, demo_config, office)
    body = approval(request["request_id"], "EXP-2026-0001")
    before = approvals_journaled(gate)
    status, problem = await callback(gate, "/api/v1/approvals", body, secret=OFFICE_SECRET)
    assert (401, "Signature not accepted") == (status, problem["title"]), problem
    assert "v1 (shared secret)" in problem["detail"]
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert ("held", [], before) == (doc["state"], doc["approvals"], approvals_journaled(gate))
    status, answer = await callback(
        gate, "/api/v1/approvals", body, key=office_key(demo_config), msg_id="msg_2"
    )
    assert (200, "cleared") == (status, answer["shipment"]["state"]), answer


async def test_a_licence_push_signed_with_the_shared_secret_is_refused(
    gate: Gate, demo_config: Path
) -> None:
    """A standing licence pushed with a v1 signature alone, where the office's key is
    configured: 401, no licence stored."""
    status, problem = await callback(
        gate, "/api/v1/licences", licence_body(3), secret=OFFICE_SECRET
    )
    _, listed = await gate.call("GET", "/api/v1/licences")
    assert (401, []) == (status, listed["licences"]), problem


async def test_a_gate_without_the_office_key_takes_the_shared_secret(
    gates: Gates, demo_config: Path, office: Office
) -> None:
    """With no ``callback_public_key`` configured, an approval signed v1 with the callback
    secret clears the held shipment (the secret is then the only key there is)."""
    text = demo_config.read_text()
    demo_config.write_text(re.sub(r"^callback_public_key = .*$", "", text, flags=re.M))
    g = await gates.start()
    assert g.config.central.callback_public_key is None
    _, request = await held(g, demo_config, office)
    body = approval(request["request_id"], "EXP-2026-0001")
    status, answer = await callback(g, "/api/v1/approvals", body, secret=OFFICE_SECRET)
    assert (200, "cleared") == (status, answer["shipment"]["state"]), answer
