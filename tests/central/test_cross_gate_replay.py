"""A licence request's id is its gate's own (``<shipment id>-r<n>@<gate id>``), and an approval
is taken only for a request this gate made for that shipment: an approval the office signed for
gate A's S1, posted to gate B (the same office key, within the 5-minute tolerance) is refused
with a problem document and changes nothing (audit13: both gates called their request
``S1-r1``, and gate B's S1 was released). Requests stored before keep their ids, and an answer
to one is still taken after the upgrade."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from gate.core.shipment_values import Controls
from gate.service.docks import Docks
from gate.storage.store import connect_readonly
from gate.table.native import Table
from tests.central.test_central_link import approval, callback, held, office_key
from tests.fake_office import Office
from tests.service.harness import Gates, free_port, gtin_with


def kinds(database: Path) -> list[str]:
    conn = connect_readonly(database)
    try:
        return [kind for (kind,) in conn.execute("SELECT kind FROM audit ORDER BY seq")]
    finally:
        conn.close()


async def test_an_approval_for_another_gates_request_is_refused(
    gates: Gates, demo_config: Path, office: Office, tmp_path: Path
) -> None:
    """Gates dock-a and dock-b each hold their own S1; the office approves dock-a's request
    (no ``gate_id`` in the body), and the same signed callback is posted to dock-b too:
    dock-a's S1 clears, dock-b answers 404 with a problem document naming the request, its
    S1 stays held and no approval is journaled there (the refusal is)."""
    a = await gates.start()
    _, request_a = await held(a, demo_config, office)
    assert "S1-r1@dock-a" == request_a["request_id"]
    # A second gate of the fleet: its own database and ports, the same office and keys.
    other = tmp_path / "other"
    other.mkdir()
    text = demo_config.read_text().replace('gate_id = "dock-a"', 'gate_id = "dock-b"')
    text = re.sub(r'(\[http\]\s*listen = )"[^"]*"', rf'\1"127.0.0.1:{free_port()}"', text)
    text = re.sub(r'(\[scanner\]\s*listen = )"[^"]*"', rf'\1"127.0.0.1:{free_port()}"', text)
    text = re.sub(r'^database = "[^"]*"', f'database = "{other / "gate.db"}"', text, flags=re.M)
    demo_config.write_text(text)
    b = await gates.start()
    assert ("dock-b", other / "gate.db") == (b.config.gate_id, b.config.database)
    await b.create()
    await b.scan(gtin_with(demo_config, "9.A.4"))
    status, sealed = await b.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, sealed["state"]), sealed
    assert ["S1-r1@dock-b"] == [r["request_id"] for r in sealed["requests"]]

    body = approval(request_a["request_id"], "EXP-2026-0001")
    status, answer = await callback(a, "/api/v1/approvals", body, key=office_key(demo_config))
    assert (200, "cleared") == (status, answer["shipment"]["state"]), answer
    status, problem = await callback(b, "/api/v1/approvals", body, key=office_key(demo_config))
    assert 404 == status, problem
    assert "S1-r1@dock-a" in problem["detail"]
    _, doc = await b.call("GET", "/api/v1/shipments/S1")
    assert ("held", []) == (doc["state"], doc["approvals"])
    assert [] == [k for k in kinds(b.config.database) if k.startswith("approval.")]


async def test_a_request_stored_before_the_upgrade_is_still_answered(
    gates: Gates, demo_config: Path, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S1 held by a gate that named its requests ``<shipment id>-r<n>`` (before this change);
    the gate restarts as it is now: S1 still has request ``S1-r1`` and no new one, and the
    office's approval of ``S1-r1`` clears it."""
    scan_controls = Docks.scan_controls

    def as_before(self: Docks, table: Table | None) -> Controls:
        return dataclasses.replace(scan_controls(self, table), gate="")

    monkeypatch.setattr(Docks, "scan_controls", as_before)
    g = await gates.start()
    _, request = await held(g, demo_config, office)
    assert "S1-r1" == request["request_id"]
    await gates.stop(g)
    monkeypatch.setattr(Docks, "scan_controls", scan_controls)
    again = await gates.start()
    _, doc = await again.call("GET", "/api/v1/shipments/S1")
    assert ["S1-r1"] == [r["request_id"] for r in doc["requests"]]
    body = approval("S1-r1", "EXP-2026-0001")
    status, answer = await callback(again, "/api/v1/approvals", body, key=office_key(demo_config))
    assert (200, "cleared") == (status, answer["shipment"]["state"]), answer
    _, doc = await again.call("GET", "/api/v1/shipments/S1")
    assert ["S1-r1"] == [r["request_id"] for r in doc["requests"]]
