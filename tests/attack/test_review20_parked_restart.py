"""Review20: a gate restart forgot which tags were parked in its portals' fields.

A counted pallet parked in the portal's field fills no later window (door14) because the
reader saw it fill one and then stay. That memory is the reader adapter's, in the process: a
gate restarted (an update, a crash, a power cut of the gate's box) found the pallet in the
field as if it were waiting at the beam, so it filled the next window again and untagged goods
passing beside it were not held.

A tag already in the field when a session starts (first read within the dedupe window of its
start) is *unknown*: the gate did not see it arrive. Its reads fill no window until the gate
answers its scan: a tag counted already (the parked pallet) is parked, any other (a pallet
staged in front of the door) fills the window it passed in.
"""

from __future__ import annotations

from pathlib import Path

from llrpkit.emulator import EmulatedTag, LLRPEmulator

from gate.ingest.readers.read_window import ReadWindow
from tests.readers.support import (
    assert_held_for_an_empty_window,
    counted,
    epc,
    lines_of,
    north,
    outside_at_least,
    reads_at_least,
    windows_at_least,
)
from tests.readers.test_cross_reads import portal
from tests.service.harness import Gates, gtin_with, until


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
    await until(lambda: north(gate, "connected"), "reader connected")
    await emu.set_gpi(1, True)
    emu.tags = [EmulatedTag(epc(gyro, 1), rssi_dbm=-45.0)]
    await until(lambda: counted(gate, gyro), "the pallet counted")
    await emu.set_gpi(1, False)
    await until(lambda: windows_at_least(gate, 1), "its window settled")
    await until(lambda: outside_at_least(gate, 10), "the pallet parked")
    await gates.stop(gate)

    gate = await gates.start()
    await until(lambda: north(gate, "connected"), "reader connected again")
    await until(lambda: outside_at_least(gate, 10), "the parked pallet read after the start")
    await emu.set_gpi(1, True)  # goods with no tag pass
    reads = int(await north(gate, "reads"))
    await until(lambda: reads_at_least(gate, reads + 20), "the parked pallet read in the window")
    await emu.set_gpi(1, False)
    await until(lambda: windows_at_least(gate, 1), "the window settled")
    assert {gyro: 1} == {k: v["quantity"] for k, v in (await lines_of(gate)).items()}
    await assert_held_for_an_empty_window(gate)


async def test_a_pallet_staged_in_front_of_the_door_at_the_start_fills_its_window(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """A pallet not counted yet stands in the field as the gate starts (staged for the
    truck); it passes the sensor: the gate counts it, so its window is filled, no hold."""
    gyro = gtin_with(demo_config, "9.A.4")
    emu.tags = [EmulatedTag(epc(gyro, 1), rssi_dbm=-45.0)]
    gate = await gates.start(readers=portal("north", "D1", emu.port, gpi_port=1, window_tail=0.3))
    await gate.create(
        "S1", "D1", destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"}
    )
    await until(lambda: outside_at_least(gate, 10), "the staged pallet read outside windows")
    await emu.set_gpi(1, True)
    await until(lambda: counted(gate, gyro), "the pallet counted")
    emu.tags = []
    await emu.set_gpi(1, False)
    await until(lambda: windows_at_least(gate, 1), "its window settled")
    status, doc = await gate.call("GET", "/api/v1/doors/D1")
    assert (200, None) == (status, doc["hold"]), doc


def test_tags_in_the_field_when_a_session_starts_wait_for_the_gates_answer() -> None:
    """As values: a tag first read before ``unknown_until`` (the session's start plus the
    dedupe window) fills no window until the gate answers: counted already, it is parked;
    otherwise (staged in front of the door) it fills the window its read fell in. A tag first
    read after it waits at the beam as before."""
    window = ReadWindow(tail=0.5, gone=2.0)
    window.unknown_until = 2.0
    assert not window.read(0.3, tag="P")  # a counted pallet parked across a restart
    assert not window.read(0.4, tag="S")  # a pallet staged in front of the door
    assert not window.read(2.5, tag="W")  # arrived since: waiting at the beam
    assert (True, True, False) == tuple(window.unknown(t) for t in "PSW")
    window.open(3.0)
    window.read(3.1, tag="P")
    window.wait(5.0)  # the reader waits for the gate's answer
    window.close(3.5)
    window.resolve("P", window.windows, counted_before=True)
    assert window.settle(5.0)  # P is parked: the window is empty
    window.open(6.0)
    window.read(6.1, tag="P")
    window.read(6.2, tag="S")
    window.close(6.5)
    window.resolve("S", window.windows, counted_before=False)
    assert not window.settle(7.0)  # S fills its own window
    window.open(8.0)
    window.read(8.1, tag="W")
    window.close(8.5)
    assert not window.settle(9.0)
