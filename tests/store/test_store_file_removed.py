"""A database file removed (or replaced) under a running gate: nothing written after it is
answered as stored, the gate stops taking changes and says so (the attack found that 40 scans
and a seal were acknowledged into a deleted file, and a restart began an empty database)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from gate.errors import StoreError
from gate.storage.store import Store
from gate.web import app_keys
from tests.conftest import SCANNER_TOKEN
from tests.service.harness import Gate, gtin_with
from tests.store.test_store import put


def remove(path: Path) -> None:
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists():
            os.remove(name)


async def test_a_write_after_the_file_was_removed_is_not_answered_as_stored(
    tmp_path: Path,
) -> None:
    """The write committed into the removed file gets StoreError, and so does every later
    one, at once; ``lost`` says why."""
    path = tmp_path / "gate.db"
    async with await Store.open(path) as store:
        assert "before" == await store.write(put("before"))
        remove(path)
        with pytest.raises(StoreError, match="removed or replaced"):
            await store.write(put("after"))
        with pytest.raises(StoreError, match="removed or replaced"):
            await store.write(put("later"))
        assert store.lost is not None and "restore the file" in store.lost


async def test_a_file_put_in_its_place_is_not_written_either(tmp_path: Path) -> None:
    """Another file at the same path (a copy restored under a running gate) is not the file
    the store has open: its writes are refused the same way."""
    path = tmp_path / "gate.db"
    async with await Store.open(path) as store:
        await store.write(put("before"))
        other = tmp_path / "other.db"
        sqlite3.connect(other).close()
        os.replace(other, path)
        with pytest.raises(StoreError, match="removed or replaced"):
            await store.write(put("after"))


async def test_a_gate_whose_database_was_removed_refuses_scans_and_is_not_ready(
    gate: Gate, demo_config: Path
) -> None:
    """Over HTTP: once the file is gone, a scan answers 503 (not accepted) and /readyz
    answers 503 with the database not writable."""
    await gate.create()
    assert "accepted" == (await gate.scan(gtin_with(demo_config, "")))["status"]
    remove(gate.config.database)
    scan = {"scan_id": "late-1", "reader": "r1", "door": "D1", "code": gtin_with(demo_config, "")}
    status, problem = await gate.call("POST", "/api/v1/scans", scan, token=SCANNER_TOKEN)
    assert 503 == status, problem
    status, ready = await gate.call("GET", "/readyz")
    assert 503 == status, ready


async def test_a_storage_failure_tells_clients_no_path(gate: Gate, demo_config: Path) -> None:
    """The 503 problem documents after a storage failure do not name the database's path
    (the operators' alert does): a scanner's token must not learn where the gate keeps it."""
    await gate.create()
    remove(gate.config.database)
    folder = str(gate.config.database.parent)
    details = []
    for n in range(2):  # the failing write, then the latched gate
        scan = {
            "scan_id": f"p-{n}",
            "reader": "r1",
            "door": "D1",
            "code": gtin_with(demo_config, ""),
        }
        status, problem = await gate.call("POST", "/api/v1/scans", scan, token=SCANNER_TOKEN)
        details.append((status, folder in problem["detail"]))
    alerts = [e.data for e in gate.app[app_keys.EVENTS].kept() if e.kind == "alert"]
    assert [(503, False), (503, False)] == details
    assert any(folder in str(alert) for alert in alerts)


async def test_a_locked_database_tells_clients_no_path(gate: Gate, demo_config: Path) -> None:
    """Another process holding the write lock answers a scan 503 saying the database is
    locked, without naming where it is."""
    await gate.create()
    lock = sqlite3.connect(gate.config.database, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        scan = {"scan_id": "b-1", "reader": "r1", "door": "D1", "code": gtin_with(demo_config, "")}
        status, problem = await gate.call("POST", "/api/v1/scans", scan, token=SCANNER_TOKEN)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    folder = str(gate.config.database.parent)
    assert (503, True, False) == (
        status,
        "locked" in problem["detail"],
        folder in problem["detail"],
    )
