"""``counted_already``: whether a read would add nothing to a shipment (what a read after the
seal is checked with before it holds the door)."""

from __future__ import annotations

from gate.core import shipments as sh
from gate.core.identifiers import Identifier
from gate.core.line_counting import counted_already
from tests import serial_books
from tests.core.test_shipments import (
    BOLT,
    CONTROLS,
    GYRO,
    NOW,
    PALLET,
    STRAY,
    container,
    item,
    shipment,
)


def book(s: sh.Shipment) -> serial_books.FrozenBook:
    return serial_books.FrozenBook(serial_books.counted(s))


def scanned(s: sh.Shipment, read: Identifier) -> sh.Shipment:
    return serial_books.add_scan(s, read, None, CONTROLS, NOW).shipment


def removed(s: sh.Shipment, key: str) -> sh.Shipment:
    return serial_books.carry(s, sh.remove_line(s, key, CONTROLS, NOW).shipment)


def test_a_counted_serial_adds_nothing_until_its_line_is_removed() -> None:
    """A serial its line counted adds nothing; once the line is removed (the goods taken
    off), the same serial would count again; a read without a serial always adds a unit."""
    s = scanned(shipment(), item(GYRO, "A"))
    assert counted_already(s, item(GYRO, "A"), book(s))
    assert not counted_already(s, item(GYRO, "B"), book(s))
    assert not counted_already(s, item(GYRO), book(s))
    gone = removed(s, GYRO)
    assert not counted_already(gone, item(GYRO, "A"), book(gone))


def test_a_counted_pallet_adds_nothing_until_a_line_of_it_is_removed() -> None:
    """A manifest pallet counted into lines still on the truck adds nothing; once one of its
    lines is removed, it would count again. A pallet the manifest lacks is its own line."""
    s = scanned(shipment(), container(PALLET))
    assert counted_already(s, container(PALLET), book(s))
    gone = removed(s, BOLT)
    assert not counted_already(gone, container(PALLET), book(gone))
    stray = scanned(shipment(), container(STRAY))
    assert counted_already(stray, container(STRAY), book(stray))
    assert not counted_already(removed(stray, STRAY), container(STRAY), book(stray))


def test_a_pallet_listed_empty_adds_nothing_only_once_read() -> None:
    """A manifest pallet with no contents listed is not counted until it is read (the second
    review found it passed after seal unheld: every one of no entries was 'counted')."""
    empty = "340123450000000031"
    s = sh.new_shipment(
        shipment_id="S-1",
        door="D1",
        destination="AE",
        consignee=sh.Consignee("Gulf Avionics LLC", "AE"),
        now=NOW,
        manifest=sh.Manifest.from_mapping({empty: []}),
    )
    assert not counted_already(s, container(empty), book(s))
    read = scanned(s, container(empty))
    assert counted_already(read, container(empty), book(read))
