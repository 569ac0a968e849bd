"""Attack15: a cancel turned a red door idle with the prohibited goods still on the truck.

The WMS may cancel a shipment in any state but dispatched. A gyro scanned into a shipment
for Russia is prohibited (embargo): the door turns red. The dishonest shipper's WMS cancels
that shipment, which frees the door (idle), creates another one there for a German
consignee, scans one ordinary item, seals (cleared) and dispatches: the truck left with the
gyro, no operator involved, nothing held. A cancel is not an unloading.

Cancelling a shipment with controlled goods loaded now holds its door (red when one is
prohibited) until an operator acknowledges on the page that they were unloaded; a shipment
with only ordinary clear goods holds nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.service.harness import OPERATOR, Gate, gtin_with


async def _door(gate: Gate) -> dict[str, Any]:
    status, doc = await gate.call("GET", "/api/v1/doors/D1")
    assert 200 == status, doc
    return dict(doc)


async def _next_shipment_dispatch(gate: Gate, config: Path) -> tuple[int, Any]:
    await gate.create("S2", "D1")
    await gate.scan(gtin_with(config, ""))
    status, doc = await gate.call("POST", "/api/v1/shipments/S2/seal")
    assert (200, "cleared") == (status, doc["state"]), doc
    return await gate.call("POST", "/api/v1/shipments/S2/dispatch")


async def test_a_cancel_with_a_prohibited_item_loaded_keeps_the_door_red_and_held(
    gate: Gate, demo_config: Path
) -> None:
    russia = {"name": "Volga Instruments", "country": "RU"}
    await gate.create("S1", "D1", destination="RU", consignee=russia)
    result = await gate.scan(gtin_with(demo_config, "9.A.4"))
    assert ("prohibited", "red") == (result["decision"], result["door"]["signal"])
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/cancel")
    assert (200, "cancelled") == (status, doc["state"])
    door = await _door(gate)
    assert door["hold"] is not None, door
    assert door["hold"]["prohibited"], door
    status, refused = await _next_shipment_dispatch(gate, demo_config)
    assert 409 == status, refused
    # The operator has the goods unloaded and acknowledges: then the next shipment leaves.
    windows = (await _door(gate))["hold"]["windows"]
    status, doc = await gate.call(
        "POST", "/api/v1/doors/D1/acknowledge", {"windows": windows}, auth=OPERATOR
    )
    assert 200 == status, doc
    status, doc = await gate.call("POST", "/api/v1/shipments/S2/dispatch")
    assert (200, "dispatched") == (status, doc["state"])


async def test_a_cancel_with_held_goods_holds_the_door(gate: Gate, demo_config: Path) -> None:
    await gate.create("S1", "D1")
    await gate.scan(gtin_with(demo_config, "9.A.4"))
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, doc["state"])
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/cancel")
    assert 200 == status
    door = await _door(gate)
    assert door["hold"] is not None and not door["hold"]["prohibited"], door
    status, _ = await _next_shipment_dispatch(gate, demo_config)
    assert 409 == status


async def test_a_cancel_with_only_ordinary_goods_holds_nothing(
    gate: Gate, demo_config: Path
) -> None:
    await gate.create("S1", "D1")
    await gate.scan(gtin_with(demo_config, ""))
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/cancel")
    assert 200 == status
    assert (await _door(gate))["hold"] is None
    status, doc = await _next_shipment_dispatch(gate, demo_config)
    assert (200, "dispatched") == (status, doc["state"])
