"""A logistics unit's label the manifest does not confirm counts each GTIN it names at the
largest claim any read of it made: (00) pallet (02) gyro (37) 1, then (37) 50, puts 50 gyros
on the line, the second read counting 49; a claim of the same or fewer adds nothing."""

from __future__ import annotations

from gate.core import shipments as sh
from gate.core.line_counting import added, counted_already
from tests import serial_books
from tests.core.test_container_label import BEARINGS, label, read
from tests.core.test_shipments import BOLT, GYRO, PALLET, STRAY, shipment


def claims(s: sh.Shipment, *counts: int, sscc: str = STRAY) -> tuple[sh.Shipment, list[int]]:
    """``s`` after reads of ``sscc``'s label naming the gyro at each of ``counts``, and what
    each read added."""
    added_by = []
    for n in counts:
        after = read(s, label(sscc, content=GYRO, count=n))
        added_by.append(added(s, after.lines))
        s = after.shipment
    return s, added_by


def test_a_label_read_again_claiming_more_tops_its_gtin_up() -> None:
    """A pallet not in the manifest read saying 1 gyro, then 50, then 50 and 10: the gyro
    line holds 50, the reads add 2 (the pallet and a gyro), 49, 0 and 0."""
    s, added_by = claims(shipment(), 1, 50, 50, 10)
    assert [2, 49, 0, 0] == added_by
    assert 50 == s.line(GYRO).quantity  # type: ignore[union-attr]
    assert frozenset({(STRAY, GYRO, 0, 50)}) == s.label_counts


def test_a_label_the_manifest_contradicts_tops_up_beyond_the_manifest() -> None:
    """A pallet the manifest lists as 10 bearings, its label saying 12 gyros, then 20: the
    gyro line holds 20 (the bearings still 10), the second read adding 8."""
    s, added_by = claims(shipment(manifest=BEARINGS), 12, 20, sscc=PALLET)
    assert 8 == added_by[1]
    assert {BOLT: 10, GYRO: 20} == {x.key: x.quantity for x in s.lines if not x.container}


def test_counted_already_only_when_the_label_claims_no_more() -> None:
    """After the label counted 10 gyros, a read of it saying 10 or 3 adds nothing, one
    saying 11 would add."""
    s, _ = claims(shipment(), 10)
    book = serial_books.FrozenBook(serial_books.stated(s))
    answers = [counted_already(s, label(STRAY, content=GYRO, count=n), book) for n in (10, 3, 11)]
    assert [True, True, False] == answers
