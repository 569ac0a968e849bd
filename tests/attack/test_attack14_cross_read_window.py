"""Attack14: a neighbouring door's tag, read weakly through the wall of the field, filled a
read window of a door where goods passed with no tag.

Two portals side by side (D1 with a sensor, D2). A pallet at D2 is read strongly by D2 and
weakly by D1: it counts at D2, and D1 drops its reads as cross-reads. Meanwhile goods with no
readable tag pass D1's sensor. Every read in the window counted toward it before the
cross-read was decided, so D1's window was not empty and D1 was not held: the goods left
uncounted. A read fills a window only once it counts at its door.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from llrpkit.emulator import EmulatedTag, LLRPEmulator

from gate.ingest.readers.read_window import ReadWindow
from tests.readers.support import epc, lines_of, readers_doc
from tests.readers.test_cross_reads import connected, emulator, portal
from tests.service.harness import Gate, Gates, gtin_with, until


async def _doc(gate: Gate, name: str) -> dict[str, Any]:
    return dict((await readers_doc(gate))[name])


async def test_a_cross_read_does_not_fill_the_window_of_the_door_it_does_not_count_at(
    demo_config: Path, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    plain = gtin_with(demo_config, "")
    gate, north, south = await _portals(gates, emulators, {"gpi_port": 1, "window_tail": 0.3}, {})
    at_d2 = epc(plain, 2)
    south.tags = [EmulatedTag(at_d2, rssi_dbm=-45.0)]
    await until(lambda: _quantity(gate, "S2", plain), "the pallet counted at D2")
    # Goods with no tag pass D1 while D1's antennas hear D2's pallet weakly.
    await _untagged_goods_pass_d1(gate, north, at_d2, lambda: _cross_read(gate))


async def test_the_doors_own_tag_still_fills_its_window(
    demo_config: Path, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    """D1's own pallet passes D1 (heard weakly at D2 too): counted at D1 once the cross-read
    is decided, and D1's window, closed before that decision, is not empty."""
    plain = gtin_with(demo_config, "")
    gate, north, south = await _portals(gates, emulators, {"gpi_port": 1, "window_tail": 0.0}, {})
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


async def _portals(
    gates: Gates,
    emulators: list[LLRPEmulator],
    north: dict[str, Any],
    south: dict[str, Any],
    doors: tuple[str, ...] = ("D1", "D2"),
) -> tuple[Gate, LLRPEmulator, LLRPEmulator]:
    """A gate with D1's portal ``north`` and D2's ``south`` (their options), a shipment
    S<n> open at each of ``doors``, both portals connected."""
    north_emulator, south_emulator = await emulator(emulators), await emulator(emulators)
    gate = await gates.start(
        readers=portal("north", "D1", north_emulator.port, **north)
        + portal("south", "D2", south_emulator.port, **south)
    )
    for door in doors:
        await gate.create(f"S{door.removeprefix('D')}", door)
    await connected(gate, "north", "south")
    return gate, north_emulator, south_emulator


async def _untagged_goods_pass_d1(
    gate: Gate, north: LLRPEmulator, heard: bytes, read: Callable[[], Awaitable[bool]]
) -> None:
    """Goods with no tag pass D1's sensor while D1 hears the tag ``heard`` weakly (``read``
    says when D1 has read it): nothing is counted on S1 and D1 is held for them."""
    await north.set_gpi(1, True)
    north.tags = [EmulatedTag(heard, rssi_dbm=-68.0)]
    await until(read, "D1 read the other door's tag in its window")
    north.tags = []
    await north.set_gpi(1, False)
    await until(lambda: _settled(gate), "D1's window settled")
    assert {} == await lines_of(gate, "S1")
    doc = await until(lambda: _held(gate), "D1 held", timeout=3.0)
    assert "goods passed without a readable tag" == doc["hold"]["reason"]


async def _reads(gate: Gate) -> bool:
    return int((await _doc(gate, "north"))["reads"]) > 0


async def _quantity(gate: Gate, shipment: str, key: str, n: int = 1) -> bool:
    line = (await lines_of(gate, shipment)).get(key)
    return line is not None and n == line["quantity"]


async def _cross_read(gate: Gate) -> bool:
    return int((await _doc(gate, "north"))["cross_reads"]) > 0


async def _settled(gate: Gate, n: int = 1) -> bool:
    return int((await _doc(gate, "north"))["read_window"]["windows"]) >= n


async def _held(gate: Gate) -> dict[str, Any] | None:
    status, doc = await gate.call("GET", "/api/v1/doors/D1")
    assert 200 == status, doc
    return dict(doc) if doc["hold"] else None


def test_a_window_opened_over_waits_for_its_reads_decisions() -> None:
    """As values (review15): the next pallet trips the sensor while the first window's only
    read is still being decided (its tag first read as it left the beam): the first window
    is not settled empty at once; its read, decided to count, fills it, and only a late
    window none of whose reads counted here settles empty, once they are due."""
    window = ReadWindow(tail=0.5)
    window.open(0.0)
    window.close(1.0)
    assert window.read(1.2, readable=False)  # the tag, heard as the pallet left
    filling = window.windows
    window.wait(1.2 + 0.5 + 0.05)  # decided at 1.7
    assert not window.open(1.6)  # the next pallet
    assert 0.15 == pytest.approx(window.due(1.6))
    window.credit(filling)  # the first pallet's tag counts here
    assert not window.settle(1.8)
    window.close(2.5)
    assert window.read(2.6, readable=False)
    window.wait(2.6 + 0.5 + 0.05)
    assert not window.open(2.8)  # a third pallet, before the second's read is decided
    assert not window.settle(3.1)  # decided at 3.1: a cross-read, no credit
    assert window.settle(3.15)  # its decisions due: the second window was empty
    assert (2, 1, None) == (window.windows, window.empty, window.due(3.2))


async def test_a_pallet_read_as_it_left_is_not_taken_for_an_empty_window(
    demo_config: Path, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    """Two pallets of D1 pass D1 one right behind the other, each read only by D1 (review15):
    the second trips the sensor before the first's tag is decided (cross-read hold 2 s);
    both are counted, no window is empty and D1 is not held."""
    plain = gtin_with(demo_config, "")
    hold = {"cross_read_hold": 2.0}
    north_options = {**hold, "gpi_port": 1, "window_tail": 0.0}
    gate, north, _ = await _portals(gates, emulators, north_options, hold, doors=("D1",))
    await north.set_gpi(1, True)
    north.tags = [EmulatedTag(epc(plain, 1), rssi_dbm=-45.0)]
    await until(lambda: _reads(gate), "D1 read the first pallet")
    north.tags = []
    await north.set_gpi(1, False)
    await north.set_gpi(1, True)  # the second pallet, close behind
    north.tags = [EmulatedTag(epc(plain, 2), rssi_dbm=-45.0)]
    await until(lambda: _quantity(gate, "S1", plain, 2), "both pallets counted at D1")
    north.tags = []
    await north.set_gpi(1, False)
    await until(lambda: _settled(gate, 2), "both windows settled")
    assert 0 == (await _doc(gate, "north"))["read_window"]["empty"]
    status, doc = await gate.call("GET", "/api/v1/doors/D1")
    assert (200, None) == (status, doc["hold"])


async def test_a_pallet_parked_at_the_next_door_does_not_fill_the_window(
    demo_config: Path, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    """Both portals have a sensor (review15). A pallet stands parked in D2's field, read
    strongly by D2 outside its windows and weakly by D1; goods with no tag pass D1. D2's
    reads outside its windows are no scans but still tell the arbiter the tag is D2's, so
    D1 drops its reads as cross-reads: nothing is counted at D1 and D1 is held."""
    plain = gtin_with(demo_config, "")
    sensor = {"gpi_port": 1, "window_tail": 0.3}
    gate, north, south = await _portals(gates, emulators, sensor, sensor)
    parked = epc(plain, 2)
    south.tags = [EmulatedTag(parked, rssi_dbm=-45.0)]
    await until(lambda: _outside(gate, "south"), "D2 hears the parked pallet")
    await _untagged_goods_pass_d1(gate, north, parked, lambda: _reads(gate))


async def _outside(gate: Gate, name: str) -> bool:
    return int((await _doc(gate, name))["read_window"]["outside_window"]) > 5
