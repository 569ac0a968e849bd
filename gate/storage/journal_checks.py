"""The audit journal checked at start without reading all of it, and all of it just after.

A gate refuses to start on a journal that fails verification (``gate.storage.store``): it would
otherwise go on adding records to a history nobody can vouch for. Checking every record takes a
few microseconds each, so a million records held the start for seconds. So the database keeps
a **verified mark** in ``meta`` (``audit_verified``: the ``seq`` and ``hash`` of the last record
of a chain found intact), and a start checks, before it takes a request:

1. that the record at the mark still carries the mark's hash (else the chain was rewritten from
   below it, or cut: refused, ``re-chained``/``truncated``);
2. every record after the mark: well formed, chained from the mark's hash, ending at the head
   that ``meta`` records (refused as before on any fault);
3. that the newest checkpoint this database recorded still matches (``checkpoints``).

Without a mark (a database from before marks, or one that never finished a check) the start
checks the whole chain itself, as it always did, and sets the mark. With one, the records up to
the mark are checked **again in full after the start**, in a process of its own on a read-only
connection (``main`` here, started by ``gate.service.journal_watch``), so a million records
are read on the other core, never under the gate's interpreter lock. A fault found there
latches the running gate: it refuses every change (503), alerts, and ``/readyz`` answers not
ready, until a person restores the database and restarts it. While the gate runs, the same watch
checks the records added since the mark now and then and moves the mark to the head, so the next
start reads only what came after that; at a clean stop it does so once more.

The trade, honestly: an edit inside the already-verified prefix that leaves the record at the
mark alone (an altered record whose later hashes were not rewritten) is no longer found before
the gate takes its first request, but seconds later, by the background check (about 6 s for a
million records). The changes the gate accepts meanwhile are decided as before (no decision
reads the journal), stored, journaled and chained from the head like any others, so nothing is
lost or unrecorded; nothing more is accepted once the fault is found. Every fault the start used
to find is still found at every start, some of them a few seconds later. A chain rewritten from
an altered record on (which no check of the chain alone can see, at start or after) is still
refused at once when it changed the record at the mark and the mark was left alone, or when the
newest checkpoint this database recorded no longer matches; one whose author also rewrote the
mark and the recorded checkpoints passed the old full check too, and only the office's copy of
a checkpoint finds it (``gate audit verify --checkpoint``). The mark lives in the same file as
the journal, so whoever can rewrite the file can move it: that only moves work to the
background check, which reads every record whatever the mark says.
``gate audit verify`` reads every record, always.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

from gate.errors import StoreError
from gate.storage import checkpoints, journal
from gate.storage.schema import connect_readonly

#: The ``meta`` key of the verified mark: ``"{seq} {hash}"``.
MARK_KEY = "audit_verified"

Mark = tuple[int, str]


@dataclass(frozen=True, slots=True)
class Checked:
    """A check's outcome: ``problem`` (None when the journal verified), the head it checked
    up to (seq, hash; None for an empty journal) and whether it took the records up to a mark
    as verified (``partial``) rather than reading them."""

    problem: str | None
    head: Mark | None
    partial: bool

    @property
    def ok(self) -> bool:
        return self.problem is None


def read_mark(conn: sqlite3.Connection) -> Mark | None:
    """The verified mark, or None when there is none or it is not a (seq, hash) pair (then
    the whole chain is checked, as without one)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (MARK_KEY,)).fetchone()
    if row is None:
        return None
    seq, _, digest = str(row[0]).partition(" ")
    if not seq.isdigit() or len(digest) != 64:
        return None
    return int(seq), digest


def unmarked(conn: sqlite3.Connection) -> int:
    """How many records follow the mark (all of them without one)."""
    mark = read_mark(conn)
    (head,) = conn.execute("SELECT coalesce(max(seq), 0) FROM audit").fetchone()
    return int(head) - (0 if mark is None else mark[0])


def write_mark(conn: sqlite3.Connection, mark: Mark) -> bool:
    """Inside a write: moves the mark forward to ``mark`` (never back), if the record there
    still carries its hash. Returns whether it moved."""
    current = read_mark(conn)
    if current is not None and current[0] >= mark[0]:
        return False
    row = conn.execute("SELECT hash FROM audit WHERE seq = ?", (mark[0],)).fetchone()
    if row is None or row[0] != mark[1]:
        return False
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (MARK_KEY, f"{mark[0]} {mark[1]}"),
    )
    return True


def check(conn: sqlite3.Connection, *, full: bool) -> Checked:
    """Checks the journal in one snapshot: every record (``full``), or those after the mark
    when there is one; then the newest recorded checkpoint. Must not run inside a write."""
    conn.execute("BEGIN")
    try:
        mark = None if full else read_mark(conn)
        result = journal.verify(conn, mark)
        problem = str(result) if not result.ok else checkpoints.local_mismatch(conn)
        row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    head = None if row is None else (int(row[0]), str(row[1]))
    return Checked(problem, head, mark is not None)


def at_start(conn: sqlite3.Connection) -> Checked:
    """The start's check, on the writer connection before it takes a request: the records
    after the mark; every record, and the mark set, when there is no mark."""
    checked = check(conn, full=False)
    if checked.ok and not checked.partial and checked.head is not None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            write_mark(conn, checked.head)
            conn.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
    return checked


def check_file(path: Path, *, full: bool) -> Checked:
    """``check`` on a read-only connection of its own, safe beside the running gate. Raises
    StoreError (cannot open) or sqlite3.Error (cannot read)."""
    conn = connect_readonly(path)
    try:
        return check(conn, full=full)
    finally:
        conn.close()


def main(argv: list[str]) -> int:
    """``python -m gate.storage.journal_checks (--full | --after-mark) DATABASE``: one
    ``check_file`` in a process of its own (the running gate starts it, so that reading a
    million records takes a core of its own and never the gate's interpreter lock), at a lower
    priority (nice 10: the gate's own work comes first). Prints
    one JSON object: ``problem`` (null when the journal verified), ``head`` ([seq, hash] or
    null), ``partial``; or ``error`` when the file could not be read (exit status 2)."""
    if len(argv) != 2 or argv[0] not in ("--full", "--after-mark"):
        print("usage: python -m gate.storage.journal_checks (--full | --after-mark) DATABASE")
        return 2
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)
    try:
        checked = check_file(Path(argv[1]), full=argv[0] == "--full")
    except (StoreError, sqlite3.Error) as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return 2
    head = None if checked.head is None else list(checked.head)
    print(json.dumps({"problem": checked.problem, "head": head, "partial": checked.partial}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
