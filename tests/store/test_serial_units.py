"""The units a serial's label stated, stored with its row (schema migration 13): rows stored
before it read 1, a raise of a serial counted at fewer units updates its row, and a raise
that finds no row stores nothing of its write."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.core.shipment_values import SerialRead
from gate.errors import StoreError
from gate.storage import serial_rows
from gate.storage.store import Store
from tests.old_schema import database_at


def database_at_12(path: Path) -> None:
    """A gate database at schema version 12 with two serials of shipment OLD stored."""
    conn = database_at(path, 12)
    try:
        conn.execute(
            "INSERT INTO serials (shipment, line, epoch, serial)"
            " VALUES ('OLD', 'K1', 0, 'A'), ('OLD', 'K1', 1, 'B')"
        )
    finally:
        conn.close()


async def test_serials_stored_before_migration_13_read_one_unit(tmp_path: Path) -> None:
    """A database at schema 12 with serial rows opens, and each row reads 1 unit."""
    path = tmp_path / "gate.db"
    database_at_12(path)
    async with await Store.open(path) as store:
        rows = await store.read(lambda c: sorted(serial_rows.of_shipment(c, "OLD")))
    assert [("K1", 0, "A", 1), ("K1", 1, "B", 1)] == rows


async def test_a_raise_updates_its_row_and_a_new_serial_is_stored_at_its_most_units(
    tmp_path: Path,
) -> None:
    """In one write: an old serial raised to 5, then to 8, is stored at 8; a serial counted
    first at 2 and raised to 7 within the same write is stored at 7; one left alone stays 1."""
    path = tmp_path / "gate.db"
    database_at_12(path)
    reads = [
        SerialRead("K1", 0, "A", 5, 1),
        SerialRead("K1", 0, "C", 2, 0),
        SerialRead("K1", 0, "A", 8, 5),
        SerialRead("K1", 0, "C", 7, 2),
    ]
    async with await Store.open(path) as store:
        await store.write(lambda c: serial_rows.insert_many(c, "OLD", reads))
        rows = await store.read(lambda c: sorted(serial_rows.of_shipment(c, "OLD")))
    assert [("K1", 0, "A", 8), ("K1", 0, "C", 7), ("K1", 1, "B", 1)] == rows


async def test_a_raise_without_its_row_stores_nothing(tmp_path: Path) -> None:
    """A raise of a serial with no row (in another epoch than the one stored) fails the
    write, and the new serial written with it is not stored either."""
    path = tmp_path / "gate.db"
    database_at_12(path)
    reads = [SerialRead("K1", 0, "N", 1, 0), SerialRead("K1", 2, "B", 4, 1)]
    async with await Store.open(path) as store:
        with pytest.raises(StoreError):
            await store.write(lambda c: serial_rows.insert_many(c, "OLD", reads))
        rows = await store.read(lambda c: sorted(serial_rows.of_shipment(c, "OLD")))
    assert [("K1", 0, "A", 1), ("K1", 1, "B", 1)] == rows
