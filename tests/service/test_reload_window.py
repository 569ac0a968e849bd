"""No dispatch decides between a reload's swap and the re-decision of the shipments: from the
moment the new table is in use, every shipment is already decided on the new table and
policy together (an attack dispatched goods to a country a reload had just embargoed, in the
moment the new table was in use and the old policy still was)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gate.errors import DispatchRefused
from gate.web import app_keys
from tests.service.harness import Gate, gtin_with


async def cleared_then_embargoed(gate: Gate, demo_config: Path) -> None:
    """S1 (ordinary goods to PK) sealed and cleared; PK added to the UN arms embargo group in
    the countries file (not yet reloaded)."""
    await gate.create(destination="PK", consignee={"name": "Indus Tools Ltd", "country": "PK"})
    await gate.scan(gtin_with(demo_config, ""))
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, sealed["state"])
    countries = demo_config.parent / "countries.toml"
    text = countries.read_text()
    countries.write_text(text.replace('members = ["KP", "IR"]', 'members = ["KP", "IR", "PK"]'))


async def test_a_dispatch_just_after_the_swap_sees_the_embargo(
    gate: Gate, demo_config: Path
) -> None:
    """An unlisted item to PK, cleared; PK added to the UN arms embargo group and the gate
    reloaded: a dispatch tried the moment the new table is in use is refused (catch_all),
    and the shipment is held."""
    await cleared_then_embargoed(gate, demo_config)
    docks = gate.app[app_keys.DOCKS]
    before = docks.table.current()
    reload = asyncio.ensure_future(gate.app[app_keys.RELOADER].reload("test"))
    while docks.table.current() is before and not reload.done():
        await asyncio.sleep(0)
    outcome = "refused"
    try:
        await docks.dispatch("S1", "wms")
        outcome = "dispatched"
    except DispatchRefused:
        pass
    await reload
    assert ("refused", "held") == (outcome, docks.shipment("S1").state.value)
