"""No dispatch decides between a signed bundle's swap and the re-decision of the shipments:
from the moment the bundle's table is in use, every shipment is already decided on its lists
as well (an attack dispatched goods whose consignee the new bundle's denial notices named,
in the moment the new data was in use and the old screening still stood on the shipment)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gate.errors import DispatchRefused
from gate.web import app_keys
from tests.reference.test_audit14_bundle_journal_order import cleared_then_noticed
from tests.reference.test_bundles import Office
from tests.service.harness import Gates


async def test_a_dispatch_just_after_the_swap_sees_the_new_notice(
    gates: Gates, demo_config: Path, office_repo: Office
) -> None:
    """A cleared shipment to a consignee the next bundle's notices name (a licence list):
    a dispatch tried the moment the bundle's table is in use is refused, and the shipment is
    held for the listed party."""
    gate = await cleared_then_noticed(gates, demo_config, office_repo)
    docks = gate.app[app_keys.DOCKS]
    before = docks.table.current()
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
