"""The journal check at start reads only the records after the verified mark; the full check
after the start reads them all (gate.storage.journal_checks).

What a start still refuses at once (an edit after the mark, a rewritten chain that changes the
record at the mark, a cut below it), what it now leaves to the full check (an edit inside the
verified prefix), and that the mark only ever moves forward to a verified head.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gate.errors import JournalBroken
from gate.storage import journal, journal_checks
from gate.storage.store import Store

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


async def append(store: Store, n: int) -> None:
    def write(conn: sqlite3.Connection) -> None:
        (last,) = conn.execute("SELECT coalesce(max(seq), 0) FROM audit").fetchone()
        journal.append_many(
            conn,
            [("scan", "scanner-door-1", "S1", {"n": last + i}) for i in range(n)],
            ts=T0 + timedelta(minutes=last),
        )

    await store.write(write)


def tamper(path: Path, *statements: str) -> None:
    """Edits the database like someone with write access to the file: triggers dropped."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for trigger in ("audit_no_update", "audit_no_delete", "audit_append_only"):
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def mark(path: Path) -> journal_checks.Mark | None:
    conn = sqlite3.connect(path)
    try:
        return journal_checks.read_mark(conn)
    finally:
        conn.close()


async def marked_at(path: Path, records: int, later: int = 0) -> None:
    """A database whose start verified ``records`` records in full (setting the mark there),
    then had ``later`` more appended."""
    async with await Store.open(path) as store:
        await append(store, records)
    async with await Store.open(path) as store:  # no mark yet: a full check, which sets it
        assert False is store.prefix_unchecked
        await append(store, later)


async def test_a_full_check_at_start_sets_the_mark_at_the_head(tmp_path: Path) -> None:
    """A start without a mark reads every record and marks the head it verified."""
    path = tmp_path / "gate.db"
    await marked_at(path, 6)
    conn = sqlite3.connect(path)
    (head,) = conn.execute("SELECT hash FROM audit WHERE seq = 6").fetchone()
    conn.close()
    assert (6, head) == mark(path)


async def test_a_start_with_a_mark_reads_only_the_records_after_it(tmp_path: Path) -> None:
    """An edit inside the verified prefix passes the start (the full check after it finds
    it: the trade the module essay states), and the start says the full check is owed."""
    path = tmp_path / "gate.db"
    await marked_at(path, 6, later=4)
    tamper(path, "UPDATE audit SET data = '{\"n\":99}' WHERE seq = 3")
    async with await Store.open(path) as store:
        assert True is store.prefix_unchecked
    found = journal_checks.check_file(path, full=True)
    assert "audit journal BROKEN at record 3: hash mismatch: record 3 was altered" in str(
        found.problem
    )


@pytest.mark.parametrize(
    ("statements", "reason"),
    [
        pytest.param(
            ["UPDATE audit SET data = '{\"n\":99}' WHERE seq = 8"],
            "audit journal BROKEN at record 8: hash mismatch: record 8 was altered",
            id="altered-after-the-mark",
        ),
        pytest.param(
            ["DELETE FROM audit WHERE seq = 9"],
            "audit journal BROKEN at record 9: gap: record 9 missing after 8",
            id="deleted-after-the-mark",
        ),
        pytest.param(
            ["UPDATE audit SET hash = '" + "a" * 64 + "' WHERE seq = 6"],
            "audit journal BROKEN at record 6: re-chained: record 6's hash is not the one"
            " verified before",
            id="rechained-at-the-mark",
        ),
        pytest.param(
            ["DELETE FROM audit WHERE seq >= 5"],
            "audit journal BROKEN at record 6: truncated: record 6, verified before, is gone",
            id="cut-below-the-mark",
        ),
    ],
)
async def test_what_the_start_still_refuses(
    tmp_path: Path, statements: list[str], reason: str
) -> None:
    """An edit after the mark, a chain rewritten through the mark, and a cut below it are
    refused at start, naming the record, as before marks."""
    path = tmp_path / "gate.db"
    await marked_at(path, 6, later=4)
    tamper(path, *statements)
    with pytest.raises(JournalBroken) as caught:
        await Store.open(path)
    assert reason in str(caught.value)


async def test_the_mark_moves_forward_only_to_a_verified_head(tmp_path: Path) -> None:
    """A check after the mark verifies the newer records and the mark moves to the head;
    a mark back, or one whose hash the record does not carry, is not written."""
    path = tmp_path / "gate.db"
    await marked_at(path, 6, later=4)
    checked = journal_checks.check_file(path, full=False)
    assert (None, True, 10) == (checked.problem, checked.partial, checked.head and checked.head[0])
    assert checked.head is not None
    async with await Store.open(path) as store:
        assert True is await store.write(lambda c: journal_checks.write_mark(c, checked.head))
        assert False is await store.write(lambda c: journal_checks.write_mark(c, (7, "0" * 64)))
        assert False is await store.write(lambda c: journal_checks.write_mark(c, (11, "0" * 64)))
    assert checked.head == mark(path)


async def test_an_unreadable_mark_means_a_full_check_at_start(tmp_path: Path) -> None:
    """A mark that is not a (seq, hash) pair is ignored: the start reads every record, and
    refuses an edit anywhere, as before marks."""
    path = tmp_path / "gate.db"
    await marked_at(path, 6, later=4)
    tamper(
        path,
        f"UPDATE meta SET value = 'nonsense' WHERE key = '{journal_checks.MARK_KEY}'",
        "UPDATE audit SET data = '{\"n\":99}' WHERE seq = 2",
    )
    with pytest.raises(JournalBroken) as caught:
        await Store.open(path)
    assert "audit journal BROKEN at record 2" in str(caught.value)
