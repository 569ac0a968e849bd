"""The core counts a serialised label at the most units any read of it stated: a re-read
stating more adds the difference (and returns the serial at its new units for the shell to
store), the same or fewer adds nothing, and ``counted_already`` says a read adds nothing only
when its label states no more than its serial counted at."""

from __future__ import annotations

from gate.core import shipments as sh
from gate.core.identifier import Identifier
from gate.core.line_counting import counted_already
from gate.core.shipment_values import SerialRead
from tests import serial_books
from tests.core.test_shipments import CONTROLS, GYRO, NOW, TABLE, shipment


def label(count: int | None = None, serial: str = "S1") -> Identifier:
    """The gyro's label with ``serial``, stating ``count`` units (AI 37; None: no count)."""
    said = "" if count is None else f"(37){count}"
    return Identifier("gs1", f"(01){GYRO}(21){serial}{said}", GYRO, serial, count=count)


def read(s: sh.Shipment, count: int | None = None) -> sh.Transition:
    """The gyro's label stating ``count`` scanned into ``s``."""
    return serial_books.add_scan(s, label(count), TABLE[GYRO], CONTROLS, NOW)


def test_a_reread_stating_more_adds_the_difference_as_unserialised_units() -> None:
    """S1 bare, then saying 50: the line holds 1 serial and 49 more units, the second read
    returns S1 at 50 up from 1, and the book holds it at 50."""
    first = read(shipment())
    more = read(first.shipment, 50)
    (line,) = more.shipment.lines
    assert (1, 49, 50) == (line.serialised, line.unserialised, line.quantity)
    assert (SerialRead(GYRO, 0, "S1", 50, 1),) == more.serials
    assert {(GYRO, 0, "S1"): 50} == dict(serial_books.stated(more.shipment))


def test_either_order_gives_the_same_line_and_a_smaller_claim_changes_nothing() -> None:
    """S1 saying 50 then bare, and bare then saying 50, give the same line (1 serial, 49 more
    units); after the read saying 50, the bare one and another saying 50 return the shipment
    value as it was, counting nothing."""
    fifty = read(shipment(), 50)
    bare = read(fifty.shipment)
    same = read(bare.shipment, 50)
    other_way = read(read(shipment()).shipment, 50)
    assert (fifty.shipment, fifty.shipment) == (bare.shipment, same.shipment)
    assert ((), ()) == (bare.serials, same.serials)
    (line,), (other,) = fifty.shipment.lines, other_way.shipment.lines
    assert (1, 49) == (line.serialised, line.unserialised)
    assert (1, 49) == (other.serialised, other.unserialised)


def test_counted_already_only_when_the_label_states_no_more() -> None:
    """After S1 counted at 10: a read saying 10, 3 or nothing adds nothing; one saying 11
    would add."""
    s = read(shipment(), 10).shipment
    book = serial_books.FrozenBook(serial_books.stated(s))
    answers = [counted_already(s, label(count), book) for count in (10, 3, None, 11)]
    assert [True, True, True, False] == answers
