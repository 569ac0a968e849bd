"""Review20: a gate restart forgot which tags were parked in its portals' fields.

A counted pallet parked in the portal's field fills no later window (door14) because the
reader saw it fill one and then stay. That memory is the reader adapter's, in the process: a
gate restarted (an update, a crash, a power cut of the gate's box) found the pallet in the
field as if it were waiting at the beam, so it filled the next window again and untagged goods
passing beside it were not held.

Tags already in the field when a session starts (read outside windows within the dedupe
window of its start) are taken as parked: the gate did not see them arrive. A pallet that
waits at the beam across a restart or a reconnect therefore holds the door when it passes
(checked by hand), as one read only while the pallet before it passed does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llrpkit.emulator import EmulatedTag, LLRPEmulator

from gate.ingest.readers.read_window import ReadWindow
from tests.readers.support import epc, lines_of, readers_doc
from tests.readers.test_cross_reads import portal
from tests.service.harness import Gate, Gates, gtin_with, until


async def test_a_pallet_parked_across_a_restart_does_not_cover_untagged_goods(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """The pallet is counted, parks in the field, the gate restarts; goods with no tag pass
    while the pallet is read: the door is held."""
    gyro = gtin_with(demo_config, "9.A.4")
    gate = await gates.start(readers=portal("north", "D1", emu.port, gpi_port=1, window_tail=0.3))
    await gate.create(
        "S1", "D1", destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"}
    )
    await until(lambda: _north(gate, "connected"), "reader connected")
    await emu.set_gpi(1, True)
    emu.tags = [EmulatedTag(epc(gyro, 1), rssi_dbm=-45.0)]
    await until(lambda: _quantity(gate, gyro), "the pallet counted")
    await emu.set_gpi(1, False)
    await until(lambda: _windows(gate, 1), "its window settled")
    await until(lambda: _outside(gate, 10), "the pallet parked")
    await gates.stop(gate)

    gate = await gates.start()
    await until(lambda: _north(gate, "connected"), "reader connected again")
    await until(lambda: _outside(gate, 10), "the parked pallet read after the start")
    await emu.set_gpi(1, True)  # goods with no tag pass
    reads = int(await _north(gate, "reads"))
    await until(lambda: _reads(gate, reads + 20), "the parked pallet read in the window")
    await emu.set_gpi(1, False)
    await until(lambda: _windows(gate, 1), "the window settled")
    assert {gyro: 1} == {k: v["quantity"] for k, v in (await lines_of(gate)).items()}
    status, doc = await gate.call("GET", "/api/v1/doors/D1")
    assert 200 == status and doc["hold"] is not None, doc
    assert "goods passed without a readable tag" == doc["hold"]["reason"]


def test_tags_in_the_field_when_a_session_starts_are_parked() -> None:
    """As values: a tag first read outside windows before ``unknown_until`` (the session's
    start plus the dedupe window) is parked; one first read after it waits at the beam."""
    window = ReadWindow(tail=0.5, gone=2.0)
    window.unknown_until = 2.0
    assert not window.read(0.3, tag="P")  # in the field as the session starts
    assert not window.read(2.5, tag="W")  # arrived since: waiting at the beam
    window.open(3.0)
    window.read(3.1, tag="P")
    window.close(3.5)
    assert window.settle(4.0)  # P is parked: the window is empty
    window.open(5.0)
    window.read(5.1, tag="P")
    window.read(5.2, tag="W")
    window.close(5.5)
    assert not window.settle(6.0)  # W fills its own window


async def _north(gate: Gate, key: str) -> Any:
    return (await readers_doc(gate))["north"][key]


async def _windows(gate: Gate, n: int) -> bool:
    return int((await _north(gate, "read_window"))["windows"]) >= n


async def _outside(gate: Gate, n: int) -> bool:
    return int((await _north(gate, "read_window"))["outside_window"]) >= n


async def _reads(gate: Gate, n: int) -> bool:
    return int(await _north(gate, "reads")) >= n


async def _quantity(gate: Gate, key: str) -> bool:
    line = (await lines_of(gate)).get(key)
    return line is not None and 1 == line["quantity"]
