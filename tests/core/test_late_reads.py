"""Goods read after the seal, decided as the lines ``add_scan`` would make of them: a
prohibited item is prohibited, a failed lookup alone is not (it needs a licence), a denied
line stays prohibited, and a pallet is decided by its manifest contents."""

from __future__ import annotations

from gate.core import shipments as sh
from gate.core.late_reads import late_lines, prohibitions
from gate.core.rules import Decision
from gate.core.shipment_values import evolve
from tests import serial_books
from tests.core.test_shipments import (
    BOLT,
    CONTROLS,
    NOW,
    PALLET,
    TABLE,
    TOOLING,
    container,
    item,
    scan,
    shipment,
)


def sealed() -> sh.Shipment:
    """S-1 to AE with one unlisted unit, sealed: cleared."""
    s = sh.seal(scan(shipment(), BOLT), CONTROLS, NOW).shipment
    assert sh.State.CLEARED is s.state
    return s


def decisions(s: sh.Shipment, key: str, lookup_error: str | None = None) -> list[Decision]:
    book = serial_books.FrozenBook(serial_books.counted(s))
    lines = late_lines(
        s, item(key), TABLE.get(key), CONTROLS, NOW, book=book, lookup_error=lookup_error
    )
    return [line.decision for line in lines]


def test_a_production_item_read_late_is_prohibited_by_rule_1() -> None:
    """Category I production technology read after the seal: prohibited, rule 1."""
    s = sealed()
    lines = late_lines(
        s, item(TOOLING), TABLE[TOOLING], CONTROLS, NOW, book=serial_books.FrozenBook(frozenset())
    )
    assert [(TOOLING, 1)] == [(key, v.rule) for key, v in prohibitions(lines)]


def test_a_failed_lookup_alone_is_not_prohibited() -> None:
    """The same item whose lookup failed needs a licence (reason error): held, not red."""
    assert [Decision.LICENCE_REQUIRED] == decisions(sealed(), TOOLING, "TableError: gone")


def test_a_denied_line_read_again_stays_prohibited_whatever_the_lookup() -> None:
    """A line the office denied, read again after the seal with its lookup failing, is still
    prohibited (rule 3 needs no other input)."""
    s = sealed()
    denied = evolve(s, lines=tuple(evolve(line, denied=True) for line in s.lines))
    assert [Decision.PROHIBITED] == decisions(denied, BOLT, "TableError: gone")


def test_a_pallet_is_decided_by_its_contents() -> None:
    """A manifest pallet read after the seal gives a line per content, each decided."""
    s = sealed()
    lines = late_lines(
        s, container(PALLET), None, CONTROLS, NOW, book=serial_books.FrozenBook(frozenset())
    )
    assert 2 == len(lines)
    assert [] == list(prohibitions(lines))
