"""Parked tags (attack14): a tag that filled a read window and stayed in the portal's field,
read while no window was open, fills no later window while it stays; the ordinary passes
(a pallet waiting at the beam, pallets in tandem, a tag that left and came back) still fill
theirs. As values: clocks are plain seconds."""

from __future__ import annotations

from pathlib import Path

from llrpkit.emulator import EmulatedTag, LLRPEmulator

from gate.ingest.readers.read_window import ReadWindow
from tests.readers.support import (
    counted,
    epc,
    north,
    pass_goods,
    readers_doc,
    reads_at_least,
    windows_at_least,
)
from tests.readers.test_cross_reads import portal
from tests.service.harness import Gates, gtin_with, until


def test_a_parked_tag_fills_no_later_window() -> None:
    """A pallet passes, is set down in the field (read outside windows), and goods with no
    tag pass: the second window is empty though the parked tag is read in it."""
    window = ReadWindow(tail=0.5, gone=2.0)
    assert not pass_goods(window, 0.0, "P")
    assert not window.read(1.6, tag="P")  # parked: read while nothing passes
    assert pass_goods(window, 2.0, "P")
    assert (2, 1, 1) == (window.windows, window.empty, window.parked_reads)


def test_every_tag_of_a_parked_pallet_is_parked() -> None:
    """A pallet of many tagged cases parks: none of its tags fills the next window."""
    window = ReadWindow(tail=0.5, gone=2.0)
    cases = [f"C{n}" for n in range(20)]
    assert not pass_goods(window, 0.0, *cases)
    for case in cases:
        window.read(1.6, tag=case)
    assert pass_goods(window, 2.0, *cases)


def test_a_pallet_waiting_at_the_beam_fills_its_window() -> None:
    """A tag read outside windows before it ever filled one (the pallet waits in front of
    the sensor) fills the window when it passes."""
    window = ReadWindow(tail=0.5, gone=2.0)
    for n in range(10):
        assert not window.read(n * 0.1, tag="P")
    assert not pass_goods(window, 1.0, "P")


def test_a_pallet_read_while_the_one_before_passed_fills_its_own_window() -> None:
    """Tandem: the second pallet's tag is read while the first passes, and trips the sensor
    during the first window's tail (no read between the windows): both windows are filled."""
    window = ReadWindow(tail=0.5, gone=2.0)
    window.open(0.0)
    window.read(0.2, tag="A")
    window.read(0.4, tag="B")  # the next pallet, close behind
    window.close(1.0)
    window.read(1.2, tag="B")  # in the tail
    assert not window.open(1.3)  # the first window settles, filled
    window.read(1.4, tag="B")
    window.close(2.0)
    assert not window.settle(2.5)
    assert (2, 0) == (window.windows, window.empty)


def test_a_tag_that_left_the_field_fills_a_window_again() -> None:
    """A tag that filled a window and went unread for ``remember`` seconds has left: its
    next stay starts afresh (a shorter gap is a pallet read now and then: review20)."""
    window = ReadWindow(tail=0.5, gone=2.0, remember=60.0)
    assert not pass_goods(window, 0.0, "P")
    window.read(1.6, tag="P")  # parked
    assert not pass_goods(window, 62.0, "P")  # gone since 1.6: back through the portal


def test_a_parked_tag_credited_after_a_cross_read_decision_does_not_fill() -> None:
    """Where cross-reads are decided (``readable=False``, then ``credit``), a parked tag's
    credit fills nothing either, while a fresh tag's does."""
    window = ReadWindow(tail=0.5, gone=2.0)
    window.open(0.0)
    window.read(0.2, readable=False, tag="P")
    window.credit(window.windows, "P")
    window.close(1.0)
    assert not window.settle(1.5)
    window.read(1.6, readable=False, tag="P")  # parked
    window.open(2.0)
    window.read(2.1, readable=False, tag="P")
    window.credit(window.windows, "P")
    window.close(3.0)
    assert window.settle(3.5)
    window.open(4.0)
    window.read(4.1, readable=False, tag="N")
    window.credit(window.windows, "N")
    window.close(5.0)
    assert not window.settle(5.5)


def test_stays_of_tags_that_left_are_forgotten() -> None:
    """Tags not read for ``gone`` seconds are dropped from memory as reads go on."""
    window = ReadWindow(tail=0.5, gone=2.0)
    for n in range(100):
        window.read(0.0, tag=f"T{n}")
    window.read(5.0, tag="X")
    assert ["X"] == list(window.present)


# --- end to end -------------------------------------------------------------------------------


async def test_pallets_in_tandem_through_a_portal_do_not_hold_the_door(
    demo_config: Path, emu: LLRPEmulator, gates: Gates
) -> None:
    """Two pallets one behind the other: the second's tag is read while the first passes,
    and the second trips the sensor during the first's tail; both counted, no hold."""
    plain = gtin_with(demo_config, "")
    gate = await gates.start(readers=portal("north", "D1", emu.port, gpi_port=1, window_tail=0.5))
    await gate.create(
        "S1", "D1", destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"}
    )
    await until(lambda: north(gate, "connected"), "reader connected")
    first, second = EmulatedTag(epc(plain, 1), rssi_dbm=-45.0), EmulatedTag(epc(plain, 2))
    await emu.set_gpi(1, True)
    emu.tags = [first, second]
    await until(lambda: counted(gate, plain, 2), "both pallets read")
    await emu.set_gpi(1, False)
    emu.tags = [second]
    await emu.set_gpi(1, True)  # the second pallet, in the first one's tail
    reads = int((await readers_doc(gate))["north"]["reads"])
    await until(lambda: reads_at_least(gate, reads + 20), "the second pallet read in its window")
    emu.tags = []
    await emu.set_gpi(1, False)
    await until(lambda: windows_at_least(gate, 2), "both windows settled")
    status, doc = await gate.call("GET", "/api/v1/doors/D1")
    assert (200, None) == (status, doc["hold"])
