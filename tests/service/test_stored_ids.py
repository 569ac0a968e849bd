"""The filter of stored scan ids (gate.service.stored_ids): it may say "stored" of a new id,
never "not stored" of a stored one, so a retry of a scan memory let go is still found in the
database and nothing counts twice, while new ids skip the read."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.service import scan_ids, stored_ids
from gate.service.stored_ids import StoredIds
from gate.storage import scan_rows
from gate.storage.schema import connect_writer
from gate.web import app_keys
from tests.service.harness import Gates, gtin_with, until
from tests.service.test_scan_id_reuse import lines, post, scan

ids = st.tuples(st.sampled_from(["wms", "scanner"]), st.text(max_size=6), st.text(max_size=12))


@settings(max_examples=200, deadline=None)
@given(st.lists(ids, max_size=300), st.lists(ids, max_size=50))
def test_an_added_id_is_never_said_to_be_absent(
    added: list[tuple[str, str, str]], others: list[tuple[str, str, str]]
) -> None:
    """In a small filter (many shared bits) every added id may be held; ids never added may
    be said held too (a read), which is allowed."""
    filter_ = StoredIds(bits=1 << 10)
    filter_.ready = True
    for ident in added:
        filter_.add(ident)
    assert all(filter_.may_hold(ident) for ident in added)
    empty = StoredIds(bits=1 << 10)
    empty.ready = True
    assert not any(empty.may_hold(ident) for ident in others)


def test_a_filter_not_yet_built_says_every_id_may_be_held() -> None:
    filter_ = StoredIds(bits=1 << 10)
    assert filter_.may_hold(("wms", "hh-7", "never-seen"))
    with pytest.raises(ValueError, match="power of two"):
        StoredIds(bits=1000)


def _database(path: Path, count: int) -> list[tuple[str, str, str]]:
    """A gate database with ``count`` stored scans; their ids."""
    conn = connect_writer(path)
    made = [("scanner", f"r-{n % 7}", f"s-{n:07d}") for n in range(count)]
    with conn:
        conn.executemany(
            "INSERT INTO scans (client, reader, scan_id, door, code, kind, shipment,"
            " received_at, result, exact) VALUES (?, ?, ?, 'D1', 'c', NULL, NULL, 't', '{}', 1)",
            made,
        )
    conn.close()
    return made


async def test_the_build_takes_every_stored_id_and_every_id_added_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ids the scan path adds while the thread reads the database (small chunks with pauses,
    so the loop runs between them) are all held once it is ready, as are the stored ones;
    most ids never stored are not."""
    monkeypatch.setattr(stored_ids, "CHUNK", 500)
    monkeypatch.setattr(stored_ids, "PAUSE", 0.002)
    stored = _database(tmp_path / "gate.db", 20_000)
    filter_ = StoredIds()
    build = asyncio.create_task(filter_.build(tmp_path / "gate.db"))
    added = []
    n = 0
    while not build.done():
        ident = ("wms", "hh-1", f"live-{n}")
        filter_.add(ident)
        added.append(ident)
        n += 1
        await asyncio.sleep(0)
    await build
    assert filter_.ready and 20_000 == filter_.stored
    assert len(added) > 10  # the loop did add while the thread was reading
    assert all(filter_.may_hold(ident) for ident in [*stored, *added])
    never = [("wms", "hh-1", f"new-{n}") for n in range(1_000)]
    assert sum(map(filter_.may_hold, never)) <= 2


async def test_a_build_that_cannot_read_leaves_every_id_read_from_the_database(
    tmp_path: Path,
) -> None:
    filter_ = StoredIds()
    await filter_.build(tmp_path / "missing.db")
    assert not filter_.ready
    assert filter_.may_hold(("wms", "hh-1", "anything"))
    filter_.add(("wms", "hh-1", "after"))  # adds still work (and are kept)
    filter_.ready = True
    assert filter_.may_hold(("wms", "hh-1", "after"))


async def test_after_a_restart_new_ids_skip_the_read_and_a_retry_is_still_found(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gate restarted with no ids in memory reads only the ids its filter may hold: a batch
    of new scans reads none, a retry of a stored scan is read and answered duplicate with its
    first answer, a different code under a stored id is refused, nothing counts twice."""
    monkeypatch.setattr(scan_ids, "RECENT_AT_START", 0)
    gate = await gates.start()
    await gate.create()
    plain, gyro = gtin_with(demo_config, ""), gtin_with(demo_config, "9.A.4")
    _, first = await post(gate, *(scan(f"p{n}", plain, kind="gtin") for n in range(5)))
    await gates.stop(gate)
    asked: list[set[tuple[str, str, str]]] = []
    real = scan_rows.first_uses

    def spy(conn: sqlite3.Connection, idents: set[tuple[str, str, str]]) -> list[scan_rows.ScanRow]:
        asked.append(set(idents))
        return real(conn, idents)

    monkeypatch.setattr(scan_rows, "first_uses", spy)
    gate = await gates.start()
    path = gate.app[app_keys.DOCKS].scan_path
    await until(lambda: path.stored.ready, "the stored ids filtered")
    assert path.ids.forgetting and 5 == path.stored.stored
    _, new = await post(gate, *(scan(f"n{n}", plain, kind="gtin") for n in range(20)))
    assert {"accepted"} == {a["status"] for a in new}
    assert [] == asked
    _, (retried, reused) = await post(
        gate, scan("p1", plain, kind="gtin"), scan("p2", gyro, kind="gtin")
    )
    assert [{("hh-7", "p1"), ("hh-7", "p2")}] == [{(r, s) for _, r, s in a} for a in asked]
    assert {**first[1], "status": "duplicate", "first_status": "accepted"} == retried
    assert ("rejected", "scan_id") == (reused["status"], reused.get("field")), reused
    assert {plain: 25} == await lines(gate)
