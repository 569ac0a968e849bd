"""Attack14: a neighbouring door's tag, read weakly through the wall of the field, filled a
read window of a door where goods passed with no tag.

Two portals side by side (D1 with a sensor, D2). A pallet at D2 is read strongly by D2 and
weakly by D1: it counts at D2, and D1 drops its reads as cross-reads. Meanwhile goods with no
readable tag pass D1's sensor. Every read in the window counted toward it before the
cross-read was decided, so D1's window was not empty and D1 was not held: the goods left
uncounted. A read fills a window only once it counts at its door.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llrpkit.emulator import EmulatedTag, LLRPEmulator

from tests.readers.support import epc, lines_of, readers_doc
from tests.readers.test_cross_reads import connected, emulator, emulators, portal
from tests.service.harness import Gate, Gates, gtin_with, until

__all__ = ["emulators"]  # the fixture, used by name


async def _doc(gate: Gate, name: str) -> dict[str, Any]:
    return dict((await readers_doc(gate))[name])


async def test_a_cross_read_does_not_fill_the_window_of_the_door_it_does_not_count_at(
    demo_config: Path, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    plain = gtin_with(demo_config, "")
    north, south = await emulator(emulators), await emulator(emulators)
    gate = await gates.start(
        readers=portal("north", "D1", north.port, gpi_port=1, window_tail=0.3)
        + portal("south", "D2", south.port)
    )
    await gate.create("S1", "D1")
    await gate.create("S2", "D2")
    await connected(gate, "north", "south")
    at_d2 = epc(plain, 2)
    south.tags = [EmulatedTag(at_d2, rssi_dbm=-45.0)]
    await until(lambda: _quantity(gate, "S2", plain), "the pallet counted at D2")
    # Goods with no tag pass D1 while D1's antennas hear D2's pallet weakly.
    await north.set_gpi(1, True)
    north.tags = [EmulatedTag(at_d2, rssi_dbm=-68.0)]
    await until(lambda: _cross_read(gate), "D1 read it as a cross-read")
    north.tags = []
    await north.set_gpi(1, False)
    await until(lambda: _settled(gate), "D1's window settled")
    assert {} == await lines_of(gate, "S1")
    doc = await until(lambda: _held(gate), "D1 held", timeout=3.0)
    assert "goods passed without a readable tag" == doc["hold"]["reason"]


async def test_the_doors_own_tag_still_fills_its_window(
    demo_config: Path, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    """D1's own pallet passes D1 (heard weakly at D2 too): counted at D1 once the cross-read
    is decided, and D1's window, closed before that decision, is not empty."""
    plain = gtin_with(demo_config, "")
    north, south = await emulator(emulators), await emulator(emulators)
    gate = await gates.start(
        readers=portal("north", "D1", north.port, gpi_port=1, window_tail=0.0)
        + portal("south", "D2", south.port)
    )
    await gate.create("S1", "D1")
    await gate.create("S2", "D2")
    await connected(gate, "north", "south")
    at_d1 = epc(plain, 1)
    await north.set_gpi(1, True)
    north.tags = [EmulatedTag(at_d1, rssi_dbm=-45.0)]
    south.tags = [EmulatedTag(at_d1, rssi_dbm=-68.0)]
    await until(lambda: _reads(gate), "D1 read its pallet")
    north.tags = []
    await north.set_gpi(1, False)  # closed before the cross-read hold (0.5 s) is over
    await until(lambda: _settled(gate), "D1's window settled")
    await until(lambda: _quantity(gate, "S1", plain), "the pallet counted at D1")
    assert 0 == (await _doc(gate, "north"))["read_window"]["empty"]
    status, doc = await gate.call("GET", "/api/v1/doors/D1")
    assert (200, None) == (status, doc["hold"])


async def _reads(gate: Gate) -> bool:
    return int((await _doc(gate, "north"))["reads"]) > 0


async def _quantity(gate: Gate, shipment: str, key: str) -> bool:
    line = (await lines_of(gate, shipment)).get(key)
    return line is not None and 1 == line["quantity"]


async def _cross_read(gate: Gate) -> bool:
    return int((await _doc(gate, "north"))["cross_reads"]) > 0


async def _settled(gate: Gate) -> bool:
    return int((await _doc(gate, "north"))["read_window"]["windows"]) >= 1


async def _held(gate: Gate) -> dict[str, Any] | None:
    status, doc = await gate.call("GET", "/api/v1/doors/D1")
    assert 200 == status, doc
    return dict(doc) if doc["hold"] else None
