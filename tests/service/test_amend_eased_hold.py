"""An amendment that eases loaded goods holds the door until an operator checks (attack16).

The WMS may change a shipment's parties, end use or transit before it is sealed (DESIGN 4,
``PATCH``), and the rules decide on what it declares. A dishonest shipper whose door turned
red for an end user in Iran, or whose goods were held for a missile end use, could amend the
declaration and load on: the goods cleared with no person involved. Now an amendment that
makes a loaded line's decision less strict holds the door (red when the line was prohibited)
until an operator acknowledges on the page; one that makes it stricter, or eases nothing that
is loaded, holds nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.service.harness import OPERATOR, Gate, gtin_with

IRAN = {"role": "end_user", "name": "Parsian Avionics", "country": "IR"}


async def _hold(gate: Gate) -> Any:
    status, door = await gate.call("GET", "/api/v1/doors/D1")
    assert 200 == status, door
    return door["hold"]


async def _acknowledge(gate: Gate) -> None:
    windows = (await _hold(gate))["windows"]
    status, doc = await gate.call(
        "POST", "/api/v1/doors/D1/acknowledge", {"windows": windows}, auth=OPERATOR
    )
    assert 200 == status, doc


async def test_removing_the_party_that_made_a_line_prohibited_keeps_the_door_red(
    gate: Gate, demo_config: Path
) -> None:
    await gate.create(parties=[IRAN])
    gyro = gtin_with(demo_config, "9.A.4")
    result = await gate.scan(gyro)
    assert ("prohibited", "red") == (result["decision"], result["door"]["signal"])
    status, doc = await gate.call("PATCH", "/api/v1/shipments/S1", {"parties": []})
    assert 200 == status, doc
    assert "prohibited" != doc["lines"][0]["decision"], doc  # the rules read the new declaration
    hold = await _hold(gate)
    assert hold is not None and hold["prohibited"], hold
    assert "amended" in hold["reason"] and gyro in hold["reason"], hold
    _, door = await gate.call("GET", "/api/v1/doors/D1")
    assert "red" == door["signal"], door
    await _acknowledge(gate)
    assert await _hold(gate) is None


async def test_an_end_use_changed_to_clear_held_goods_holds_until_checked(
    gate: Gate, demo_config: Path
) -> None:
    await gate.create(end_use="missile guidance test rig")
    # Nothing loaded yet: an amendment eases nothing on the truck and holds nothing.
    status, _ = await gate.call("PATCH", "/api/v1/shipments/S1", {"end_use": "resale"})
    assert 200 == status and await _hold(gate) is None
    status, _ = await gate.call("PATCH", "/api/v1/shipments/S1", {"end_use": "UAV airframes"})
    bolt = gtin_with(demo_config, "")
    assert ["catch_all"] == (await gate.scan(bolt))["reasons"]
    # Stricter holds nothing more: the line stays held for its licence.
    status, doc = await gate.call("PATCH", "/api/v1/shipments/S1", {"transit": ["TR"]})
    assert 200 == status and await _hold(gate) is None, doc
    status, doc = await gate.call("PATCH", "/api/v1/shipments/S1", {"end_use": "resale"})
    assert (200, "clear") == (status, doc["lines"][0]["decision"]), doc
    hold = await _hold(gate)
    assert hold is not None and not hold["prohibited"], hold
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"]), doc
    status, refused = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status, refused
    await _acknowledge(gate)
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"]), doc
