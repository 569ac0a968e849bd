"""A controlled item read at a door where no shipment counts it (no shipment open there yet,
or the read names another shipment) holds the door, so the next shipment there is not
dispatched until an operator has checked the goods; ordinary goods read there hold nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service.harness import Gate, gtin_with

CATEGORY_II = "3.A.1.a"


async def door_hold(gate: Gate) -> object:
    status, doc = await gate.call("GET", "/api/v1/doors/D1")
    assert 200 == status, doc
    return doc["hold"]


async def loaded_and_sealed(gate: Gate, demo_config: Path, sid: str = "S1") -> int:
    """Loads ordinary goods into ``sid`` at D1, seals it cleared; the dispatch's status."""
    await gate.scan(gtin_with(demo_config, ""))
    status, sealed = await gate.call("POST", f"/api/v1/shipments/{sid}/seal")
    assert (200, "cleared") == (status, sealed["state"])
    status, _ = await gate.call("POST", f"/api/v1/shipments/{sid}/dispatch")
    return status


async def test_a_controlled_item_read_before_the_shipment_holds_its_dispatch(
    gate: Gate, demo_config: Path
) -> None:
    """A Category II item read at an idle door is rejected and holds the door: the shipment
    created there next, loaded with ordinary goods and cleared, is not dispatched (409)."""
    early = await gate.scan(gtin_with(demo_config, CATEGORY_II), reader="portal")
    assert "rejected" == early["status"]
    assert "door D1 is held until an operator has checked the goods" in early["error"]
    assert await door_hold(gate) is not None
    await gate.create()
    assert 409 == await loaded_and_sealed(gate, demo_config)


async def test_a_controlled_item_read_naming_another_shipment_holds_the_door(
    gate: Gate, demo_config: Path
) -> None:
    """A Category II item read at D1 naming a shipment other than D1's open one is rejected
    and holds the door: D1's shipment, cleared without it, is not dispatched (409)."""
    await gate.create()
    read = await gate.scan(gtin_with(demo_config, CATEGORY_II), shipment="S0")
    assert "rejected" == read["status"]
    assert "door D1 is held" in read["error"], read["error"]
    assert 409 == await loaded_and_sealed(gate, demo_config)


@pytest.mark.parametrize("named", [None, "S0"])
async def test_ordinary_goods_read_where_nothing_counts_them_hold_nothing(
    gate: Gate, demo_config: Path, named: str | None
) -> None:
    """An unlisted item read at an idle door, or naming another shipment, holds nothing."""
    if named is None:
        read = await gate.scan(gtin_with(demo_config, ""))
        await gate.create()
    else:
        await gate.create()
        read = await gate.scan(gtin_with(demo_config, ""), shipment=named)
    assert "rejected" == read["status"]
    assert await door_hold(gate) is None
    assert 200 == await loaded_and_sealed(gate, demo_config)
