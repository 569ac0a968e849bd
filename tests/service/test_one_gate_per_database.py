"""One gate per database: a second store, or a second ``gate serve`` on the same config, is
refused before it reads or writes anything (found by trying the product as a new user: a
second ``gate serve`` journaled into the live gate's database, and drove its stack lights,
before it failed to bind its ports)."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.errors import StoreError
from gate.storage.store import Store
from tests.service.harness import ROOT, Served, child_env, gate_command


async def test_a_second_store_on_one_database_is_refused_until_the_first_closes(
    tmp_path: Path,
) -> None:
    """While a store is open, opening the same database again raises StoreError naming the
    holder; once it is closed, the database opens again."""
    path = tmp_path / "gate.db"
    first = await Store.open(path)
    try:
        with pytest.raises(StoreError, match="in use by another gate"):
            await Store.open(path)
    finally:
        await first.close()
    async with await Store.open(path) as again:
        assert 1 == await again.read(lambda conn: conn.execute("SELECT 1").fetchone()[0])


@pytest.mark.slow
def test_a_second_gate_serve_changes_nothing_in_the_live_database(
    served: Served, demo_config: Path
) -> None:
    """A second ``gate serve`` on the running gate's config exits non-zero with a one-line
    reason, and the live database's journal has not one record more."""
    database = load_config(demo_config).database

    def records() -> int:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            return int(conn.execute("SELECT count(*) FROM audit").fetchone()[0])
        finally:
            conn.close()

    before = records()
    done = subprocess.run(
        gate_command("serve", "--config", str(demo_config)),
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert 0 != done.returncode
    assert "in use by another gate" in done.stderr, done.stderr[-2000:]
    assert before == records()
