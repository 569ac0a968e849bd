"""A dispatch that waits for a sliced scan batch (``gate.service.slice_turns``) while new
screening lists are swapped in must be decided on the new lists: the list reload's
re-decision of every shipment waits for the same batch, and the dispatch, which waited
first, would otherwise let a shipment to a party just listed leave (attack6)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from gate.errors import DispatchRefused
from gate.service.scan_path import SLICE_SCANS
from gate.web import app_keys
from tests.service.harness import Gates, gtin_with

#: The party the notices list names once the reload swaps it in (a ``licence`` list: row 6).
PARTY = "Quillfeather Avionics Ltd"


def reads(config: Path, n: int, tag: str, door: str) -> list[dict[str, str]]:
    """``n`` serialised reads of one unlisted GTIN at ``door``."""
    gtin = gtin_with(config, "", 0)
    return [
        {
            "scan_id": f"{tag}-{i}",
            "reader": "portal",
            "door": door,
            "code": f"]C101{gtin}21{tag}{i}",
        }
        for i in range(n)
    ]


async def test_a_dispatch_waiting_for_a_batch_is_decided_on_lists_swapped_meanwhile(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S1 (consignee not listed) sealed and cleared at D1; a portal batch of many slices is
    being decided at D2 when the WMS dispatches S1, so the dispatch waits; the notices list,
    now naming S1's consignee, is swapped in before the batch ends. The dispatch is refused
    (listed_party), never decided on the hits of the lists it replaced."""
    monkeypatch.setenv("GATE_WRITER", "process")
    g = await gates.start()
    docks = g.app[app_keys.DOCKS]
    screening = g.app[app_keys.SCREENING]
    store = docks.committer.store
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
    await docks.scans(reads(demo_config, 1, "one", "D1"), "scanner")
    assert "cleared" == (await docks.seal("S1", "wms")).state.value
    await g.create("S2", "D2")
    await docks.scans(reads(demo_config, 1, "warm", "D2"), "scanner")  # its serials loaded

    notices = demo_config.parent / "lists" / "notices.csv"
    notices.write_text(notices.read_text() + f"{PARTY},,GB,DEMO-DN-2026-901,2026-11-01\n")
    old = screening.snapshot
    # The store's thread held by a read until the batch and the dispatch are under way, so
    # the reload's journal write (just before its swap) waits for them.
    release = threading.Event()
    held = asyncio.ensure_future(store.read(lambda conn: release.wait(30)))
    reload = asyncio.ensure_future(screening.reload("test"))
    while store.oldest_write() is None:  # the reload parsed the lists and waits to journal
        assert not reload.done(), reload.result()
        await asyncio.sleep(0.01)

    batch = asyncio.ensure_future(
        docks.scans(reads(demo_config, SLICE_SCANS * 40, "truck", "D2"), "scanner")
    )
    while not docks.scan_path.turns.busy():
        await asyncio.sleep(0)  # one step of the loop
    dispatch = asyncio.ensure_future(docks.dispatch("S1", "wms"))
    await asyncio.sleep(0)  # one step of the loop
    release.set()
    while screening.snapshot is old:
        await asyncio.sleep(0)  # one step of the loop
    # Precondition: the lists were swapped while the batch was still being decided and the
    # dispatch still waited for it.
    assert (1, False) == (docks.scan_path.turns.busy(), dispatch.done())

    with pytest.raises(DispatchRefused) as refused:
        await dispatch
    assert any("listed_party" in reasons for _, _, reasons in refused.value.blocking)
    await asyncio.gather(batch, held, reload)
    doc = docks.state.latest("S1")
    assert doc is not None
    assert "dispatched" != doc.state.value
