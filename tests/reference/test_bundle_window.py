"""No dispatch decides between a signed bundle's swap and the re-decision of the shipments:
from the moment the bundle's table is in use, every shipment is already decided on its lists
as well (an attack dispatched goods whose consignee the new bundle's denial notices named,
in the moment the new data was in use and the old screening still stood on the shipment)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gate.errors import DispatchRefused
from gate.web import app_keys
from tests.reference.test_bundles import NOW, Office, gate_at_v1
from tests.service.harness import Gates, gtin_with

CONSIGNEE = {"name": "Vantorel Dynamics SA", "country": "CH"}


async def test_a_dispatch_just_after_the_swap_sees_the_new_notice(
    gates: Gates, demo_config: Path, office_repo: Office
) -> None:
    """A cleared shipment to a consignee the next bundle's notices name (a licence list):
    a dispatch tried the moment the bundle's table is in use is refused, and the shipment is
    held for the listed party."""
    office = office_repo
    gate = await gate_at_v1(gates, demo_config, office)
    await gate.create(destination="CH", consignee=CONSIGNEE)
    await gate.scan(gtin_with(demo_config, ""))
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, sealed["state"])
    notices = office.data / "lists" / "notices.csv"
    added = "Vantorel Dynamics SA,,CH,DEMO-DN-2026-950,2026-11-02\n"
    notices.write_text(notices.read_text() + added)
    docks = gate.app[app_keys.DOCKS]
    before = docks.table.current()
    assert 2 == office.make(published=NOW)
    office.publish()
    poll = asyncio.ensure_future(gate.app[app_keys.REFERENCE_POLLER].poll())
    while docks.table.current() is before and not poll.done():
        await asyncio.sleep(0)  # every turn of the loop, as a dispatch request could come
    outcome = "refused"
    try:
        await docks.dispatch("S1", "wms")
        outcome = "dispatched"
    except DispatchRefused:
        pass
    await poll
    state = docks.shipment("S1")
    reasons = {r for line in state.lines for r in line.reasons}
    assert ("refused", "held", True) == (outcome, state.state.value, "listed_party" in reasons)
