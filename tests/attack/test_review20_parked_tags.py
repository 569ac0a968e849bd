"""Review20: a parked tag that goes unread for a moment filled the portal's windows again.

door14 made a tag that filled a read window and stayed in the field (read outside windows
since) *parked*: its reads fill no later window. But the tag's stay ended after ``gone``
seconds unread, the reader's dedupe window (2 s by default), and the next read began a new
stay that had filled nothing. So a counted pallet parked in the field covered untagged goods
again whenever its reads paused for two seconds: a pallet at the edge of the field read only
now and then (RF nulls, an RSSI around ``min_rssi``), or hidden for a moment behind a
forklift (metal) just before the forklift passes the beam with goods that have no tag.

A tag that filled a window is remembered longer (``ReadWindow.remember``, a minute after its
last read), so a short gap in its reads does not make it fresh.
"""

from __future__ import annotations

import asyncio
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
    pass_goods,
    reads_at_least,
    windows_at_least,
)
from tests.readers.test_cross_reads import portal
from tests.service.harness import Gates, gtin_with, until


def test_a_parked_tag_read_only_now_and_then_fills_no_later_window() -> None:
    """A counted pallet at the edge of the field, read every 2.5 s (more than the dedupe
    window): still parked, so untagged goods passing while it is read hold the door."""
    window = ReadWindow(tail=0.5, gone=2.0)
    assert not pass_goods(window, 0.0, "P")
    for n in range(1, 5):
        assert not window.read(n * 2.5, tag="P")  # outside windows, now and then
    assert pass_goods(window, 12.6, "P")


def test_a_parked_tag_hidden_for_a_moment_fills_no_later_window() -> None:
    """Parked, then unread for three seconds (a forklift in front of it), then read while
    goods with no tag pass: the window is empty."""
    window = ReadWindow(tail=0.5, gone=2.0)
    assert not pass_goods(window, 0.0, "P")
    assert not window.read(1.8, tag="P")  # parked
    assert pass_goods(window, 5.0, "P")  # unread 1.8 .. 5.2


async def test_a_forklift_hiding_a_parked_pallet_does_not_cover_untagged_goods(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """End to end, with the default dedupe window (2 s): a counted pallet parked in the
    field, out of the reader's sight for 2.5 s, then read again while untagged goods pass the
    sensor: the door is held."""
    gyro = gtin_with(demo_config, "9.A.4")
    gate = await gates.start(
        readers=portal("north", "D1", emu.port, gpi_port=1, window_tail=0.3, dedupe_window=2.0)
    )
    await gate.create(
        "S1", "D1", destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"}
    )
    await until(lambda: north(gate, "connected"), "reader connected")
    pallet = EmulatedTag(epc(gyro, 1), rssi_dbm=-45.0)
    await emu.set_gpi(1, True)
    emu.tags = [pallet]
    await until(lambda: counted(gate, gyro), "the pallet counted")
    await emu.set_gpi(1, False)
    await until(lambda: windows_at_least(gate, 1), "its window settled")
    await until(lambda: outside_at_least(gate, 10), "the pallet parked: read outside windows")
    emu.tags = []  # a forklift between the antenna and the pallet
    await asyncio.sleep(2.5)
    emu.tags = [pallet]
    await emu.set_gpi(1, True)  # the forklift passes with goods that have no tag
    reads = int(await north(gate, "reads"))
    await until(lambda: reads_at_least(gate, reads + 20), "the parked pallet read in the window")
    await emu.set_gpi(1, False)
    await until(lambda: windows_at_least(gate, 2), "the window settled")
    assert {gyro: 1} == {k: v["quantity"] for k, v in (await lines_of(gate)).items()}
    await assert_held_for_an_empty_window(gate)
