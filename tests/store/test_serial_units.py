"""The units a serial's label stated, stored with its row (schema migration 13): rows stored
before it read 1, a raise of a serial counted at fewer units updates its row, and a raise
that finds no row stores nothing of its write."""

from __future__ import annotations

import json
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


def _answer(
    sid: str,
    key: str,
    serial: str,
    counted: int,
    status: str = "accepted",
    *,
    sscc: str | None = None,
    count: int | None = None,
) -> str:
    """A scan answer as an older gate stored it: a read of ``serial`` on line ``key`` that
    counted ``counted`` units (a unit's label stating ``count``, by default what it counted;
    a pallet's label when ``sscc`` is given)."""
    item = {"kind": "gs1", "key": key, "serial": serial, "sscc": sscc}
    item["count"] = count if count is not None or sscc else (counted if counted > 1 else None)
    shipment = {"id": sid, "state": "open"}
    return json.dumps(
        {"v": 2, "status": status, "counted": counted, "shipment": shipment, "item": item}
    )


async def test_serials_of_an_older_gate_count_at_what_their_first_read_counted(
    tmp_path: Path,
) -> None:
    """Upgrading a gate whose answers say a labelled serial counted 10 (its label's count,
    on its first read), the serial is stored at 10, so the same label read again adds
    nothing; a serial that counted 1, one whose only larger answer was a rejection, one read
    on a pallet's label (whose answer counts the pallet's whole contents), one whose answer
    counted more than its label stated, and one on a line read in a later epoch (where an
    earlier epoch's answer could say more than the current one counted) stay at 1."""
    path = tmp_path / "gate.db"
    conn = database_at(path, 12)
    try:
        conn.execute(
            "INSERT INTO serials (shipment, line, epoch, serial) VALUES ('OLD', 'K1', 0, 'A'),"
            " ('OLD', 'K1', 0, 'C'), ('OLD', 'K1', 0, 'D'), ('OLD', 'K2', 0, 'B'),"
            " ('OLD', 'K2', 1, 'B'), ('OLD', 'K1', 0, 'E'), ('OLD', 'K1', 0, 'G')"
        )
        answers = [
            ("a1", _answer("OLD", "K1", "A", 10)),
            ("a2", _answer("OLD", "K1", "A", 0)),  # the portal's re-read
            ("c1", _answer("OLD", "K1", "C", 1)),
            ("d1", _answer("OLD", "K1", "D", 1)),
            ("d2", _answer("OLD", "K1", "D", 50, status="rejected")),
            ("b1", _answer("OLD", "K2", "B", 10)),
            ("x1", _answer("OTHER", "K1", "C", 40)),  # another shipment's serial C
            ("e1", _answer("OLD", "K1", "E", 50, sscc="340123400000000017", count=50)),
            ("e2", _answer("OLD", "K1", "E", 1)),  # the unit's own label
            ("g1", _answer("OLD", "K1", "G", 30, count=3)),  # counted more than it stated
        ]
        conn.executemany(
            "INSERT INTO scans (client, reader, scan_id, received_at, result)"
            " VALUES ('scanner', 'r1', ?, '2026-11-29T10:00:00+00:00', ?)",
            answers,
        )
    finally:
        conn.close()
    async with await Store.open(path) as store:
        rows = await store.read(lambda c: sorted(serial_rows.of_shipment(c, "OLD")))
    assert [
        ("K1", 0, "A", 10),
        ("K1", 0, "C", 1),
        ("K1", 0, "D", 1),
        ("K1", 0, "E", 1),
        ("K1", 0, "G", 1),
        ("K2", 0, "B", 1),
        ("K2", 1, "B", 1),
    ] == rows
