"""Attack14: a tag the gate cannot count kept a read window from being empty.

A portal's sensor opens a read window when goods pass; a window that closes with no read
holds the door ("goods passed without a readable tag"). Every read with an EPC counted toward
the window, decodable or not: a pallet of controlled goods without a GS1 tag, passing with a
tag the gate refuses (a returnable-asset GRAI/GIAI tag on the pallet or the forklift, an
unprogrammed tag, any foreign EPC), left the window non-empty. The read was refused as a scan,
nothing was counted, the door was not held, and the shipment dispatched cleared.

A read counts toward the window only when it is a tag the gate can count.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from llrpkit.emulator import EmulatedTag, LLRPEmulator

from gate.ingest.readers.read_window import ReadWindow
from tests.readers.support import epc, lines_of, readers_doc
from tests.readers.test_cross_reads import portal
from tests.service.harness import Gate, Gates, gtin_with, until

#: A GIAI-96 (header 0x34): an asset's tag, not goods the gate counts.
GIAI_96 = bytes.fromhex("340A4A5A200000000000ABCD")
#: An EPC with no header the Tag Data Standard knows (an unprogrammed tag's factory EPC).
UNKNOWN = bytes.fromhex("E2801160600002084D4C2A05")


async def _north(gate: Gate) -> dict[str, Any]:
    return dict((await readers_doc(gate))["north"])


async def _door(gate: Gate) -> dict[str, Any]:
    status, doc = await gate.call("GET", "/api/v1/doors/D1")
    assert 200 == status, doc
    return dict(doc)


async def _start(gates: Gates, emu: LLRPEmulator) -> Gate:
    gate = await gates.start(readers=portal("north", "D1", emu.port, gpi_port=1, window_tail=0.3))
    await gate.create(
        "S1", "D1", destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"}
    )
    await until(lambda: _connected(gate), "reader connected")
    return gate


async def _connected(gate: Gate) -> bool:
    return bool((await _north(gate))["connected"])


async def _settled(gate: Gate, n: int) -> bool:
    return bool((await _north(gate))["read_window"]["windows"] >= n)


async def _reads(gate: Gate, n: int) -> bool:
    return int((await _north(gate))["reads"]) >= n


@pytest.mark.parametrize("tag", [GIAI_96, UNKNOWN], ids=["giai-96", "unknown-header"])
async def test_goods_passing_with_only_a_tag_the_gate_refuses_hold_the_door(
    demo_config: Path, emu: LLRPEmulator, gates: Gates, tag: bytes
) -> None:
    """Goods pass while the portal reads only a tag the gate refuses: nothing is counted, and
    the door is held, so the shipment does not dispatch."""
    gate = await _start(gates, emu)
    await emu.set_gpi(1, True)
    emu.tags = [EmulatedTag(tag, rssi_dbm=-45.0)]
    await until(lambda: _reads(gate, 5), "the tag read in the window")
    emu.tags = []
    await emu.set_gpi(1, False)
    await until(lambda: _settled(gate, 1), "the window settled")
    assert {} == await lines_of(gate)
    held = await until(lambda: _held(gate), "the door held")
    assert "goods passed without a readable tag" == held["hold"]["reason"]
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"]), doc
    status, problem = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status, problem


async def test_a_countable_tag_beside_a_refused_one_still_fills_the_window(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """The goods' own tag read beside an asset tag: counted, and the window is not empty."""
    gyro = gtin_with(demo_config, "9.A.4")
    gate = await _start(gates, emu)
    await emu.set_gpi(1, True)
    emu.tags = [EmulatedTag(GIAI_96, rssi_dbm=-45.0), EmulatedTag(epc(gyro, 1), rssi_dbm=-45.0)]
    await until(lambda: _quantity(gate, gyro), "the unit counted")
    emu.tags = []
    await emu.set_gpi(1, False)
    await until(lambda: _settled(gate, 1), "the window settled")
    assert None is (await _door(gate))["hold"]


async def _quantity(gate: Gate, key: str) -> bool:
    line = (await lines_of(gate)).get(key)
    return line is not None and 1 == line["quantity"]


async def _held(gate: Gate) -> dict[str, Any] | None:
    doc = await _door(gate)
    return doc if doc["hold"] else None


def test_a_window_with_only_unreadable_reads_settles_empty() -> None:
    """As values: reads the gate cannot count fall in the window (they are sent, and
    refused there) but leave it empty."""
    window = ReadWindow(tail=0.5)
    window.open(0.0)
    assert window.read(0.1, readable=False)
    window.close(1.0)
    assert window.settle(1.5)
    window.open(2.0)
    assert window.read(2.1, readable=False)
    assert window.read(2.2)
    window.close(3.0)
    assert not window.settle(3.5)


async def test_a_parked_tag_in_the_field_does_not_cover_goods_passing_untagged(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """A counted pallet stands in the portal's field (read all the time, outside windows
    dropped); untagged goods pass the sensor: the parked tag's reads fall in the window but
    do not fill it (it filled one and stayed), so the door is held."""
    gyro = gtin_with(demo_config, "9.A.4")
    gate = await _start(gates, emu)
    await emu.set_gpi(1, True)
    emu.tags = [EmulatedTag(epc(gyro, 1), rssi_dbm=-45.0)]
    await until(lambda: _quantity(gate, gyro), "the pallet counted")
    await emu.set_gpi(1, False)
    await until(lambda: _settled(gate, 1), "its window settled")
    # The pallet is parked in the field; goods with no tag pass the sensor.
    await until(lambda: _outside(gate), "the parked tag read outside windows")
    await emu.set_gpi(1, True)
    await emu.set_gpi(1, False)
    await until(lambda: _settled(gate, 2), "the window settled")
    assert {gyro: 1} == {k: v["quantity"] for k, v in (await lines_of(gate)).items()}
    assert await until(lambda: _held(gate), "the door held", timeout=3.0)


async def _outside(gate: Gate) -> bool:
    return int((await _north(gate))["read_window"]["outside_window"]) > 10


async def test_a_portal_down_while_loading_holds_its_door(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """The portal with a sensor (the one that would hold the door for goods passing
    unread) loses its session while the shipment is open: whatever passes meanwhile is
    neither counted nor seen, so the door is held and the shipment, sealed cleared, does not
    dispatch."""
    gate = await _start(gates, emu)
    await emu.stop()
    await until(lambda: _disconnected(gate), "the reader down")
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"]), doc
    status, problem = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status, problem


async def _disconnected(gate: Gate) -> bool:
    return not (await _north(gate))["connected"]
