"""A dispatch is decided on the screening lists in use as it decides, never on the hits its
shipment was last decided with (attack6). Before the turns held list swaps too, a dispatch
waiting for a sliced scan batch (``gate.service.slice_turns``) could wake after new lists were
swapped in mid-batch and before the re-decision that follows a swap (which waited behind it),
and let a shipment to a party just listed leave. Now a swap waits for the batch as well."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from gate.errors import DispatchRefused
from gate.service.scan_path import SLICE_SCANS
from gate.web import app_keys
from tests.service.harness import Gates
from tests.service.test_scan_slices import portal

#: The party the notices list names once the reload swaps it in (a ``licence`` list: row 6).
PARTY = "Quillfeather Avionics Ltd"


async def test_a_dispatch_behind_a_reload_waiting_for_a_batch_is_decided_on_the_new_lists(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S1 (consignee not listed) sealed and cleared at D1; a portal batch of many slices is
    being decided at D2; a reload of the notices list, now naming S1's consignee, waits for
    it; then the WMS dispatches S1, which waits too. The dispatch is refused (listed_party),
    never decided on the hits of the lists the reload replaced."""
    monkeypatch.setenv("GATE_WRITER", "process")
    g = await gates.start()
    docks = g.app[app_keys.DOCKS]
    screening = g.app[app_keys.SCREENING]
    status, _ = await g.call(
        "POST",
        "/api/v1/shipments",
        {
            "id": "S1",
            "door": "D1",
            "destination": "GB",
            "consignee": {"name": PARTY, "country": "GB"},
        },
    )
    assert 201 == status
    await docks.scans(portal(demo_config, 1, "one", "D1"), "scanner")
    assert "cleared" == (await docks.seal("S1", "wms")).state.value
    await g.create("S2", "D2")
    await docks.scans(portal(demo_config, 1, "warm", "D2"), "scanner")  # its serials loaded

    notices = demo_config.parent / "lists" / "notices.csv"
    notices.write_text(notices.read_text() + f"{PARTY},,GB,DEMO-DN-2026-901,2026-11-01\n")
    turns = docks.scan_path.turns
    # The batch paused between its first two slices (its second slice's serials "loading")
    # until the reload and the dispatch both wait for it: their order is then the test's.
    ledger = docks.scan_path.ledger
    load, loads, go_on = ledger.load, [0], asyncio.Event()

    async def paused_load(*args: Any) -> None:
        loads[0] += 1
        if loads[0] == 2:
            await go_on.wait()
        await load(*args)

    monkeypatch.setattr(ledger, "load", paused_load)
    batch = asyncio.ensure_future(
        docks.scans(portal(demo_config, SLICE_SCANS * 2, "truck", "D2"), "scanner")
    )
    # The reload parses the lists and journals them, then waits for the batch to swap them.
    reload = asyncio.ensure_future(screening.reload("test"))
    while turns.waiting() < 1:
        assert not reload.done(), reload.result()
        await asyncio.sleep(0.001)
    dispatch = asyncio.ensure_future(docks.dispatch("S1", "wms"))
    while turns.waiting() < 2:
        await asyncio.sleep(0)  # one step of the loop
    assert (1, 2) == (turns.busy(), loads[0])  # the batch between its two slices
    go_on.set()

    with pytest.raises(DispatchRefused) as refused:
        await dispatch
    assert any("listed_party" in reasons for _, _, reasons in refused.value.blocking)
    await asyncio.gather(batch, reload)
    doc = docks.state.latest("S1")
    assert doc is not None
    assert "dispatched" != doc.state.value


async def test_a_dispatch_after_a_swap_not_yet_followed_by_its_re_decision_screens_anew(
    gates: Gates, demo_config: Path
) -> None:
    """The notices list, now naming S1's consignee, swapped in with the re-decision that
    follows a swap left out (the moment a dispatch that woke between the two would see): the
    dispatch screens the parties against the lists in use and is refused (listed_party)."""
    g = await gates.start()
    docks = g.app[app_keys.DOCKS]
    screening = g.app[app_keys.SCREENING]
    body = {"id": "S1", "door": "D1", "destination": "GB", "consignee": {"name": PARTY}}
    body["consignee"]["country"] = "GB"
    assert 201 == (await g.call("POST", "/api/v1/shipments", body))[0]
    await docks.scans(portal(demo_config, 1, "one", "D1"), "scanner")
    assert "cleared" == (await docks.seal("S1", "wms")).state.value
    notices = demo_config.parent / "lists" / "notices.csv"
    notices.write_text(notices.read_text() + f"{PARTY},,GB,DEMO-DN-2026-901,2026-11-01\n")
    screening.on_change = None  # the swap's re-decision, left out
    assert await screening.reload("test")
    assert "cleared" == docks.shipment("S1").state.value  # still decided on the old hits
    with pytest.raises(DispatchRefused) as refused:
        await docks.dispatch("S1", "wms")
    assert any("listed_party" in reasons for _, _, reasons in refused.value.blocking)
