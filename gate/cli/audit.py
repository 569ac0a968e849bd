"""``gate audit verify`` and ``gate audit export``: they only ever read the database.

Both open the configured database read-only (a ``mode=ro`` URI), so they may run while the
gate serves and can never change the journal they check. ``verify`` exits 0 with
``audit journal OK: N records`` and ``head: record N, hash H`` (the last record's hash, for
the officer to keep elsewhere: while record N still carries hash H and the chain verifies,
no record up to N has changed), or 1 with one line naming the first broken record and why.
With ``--checkpoint FILE`` (a signed checkpoint the central office kept, see
``gate.storage.checkpoints``) it also fails a journal cut short or re-chained since that
checkpoint, which the chain alone cannot show.
``export`` writes JSON lines to a file (atomically: complete or not at all) or to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gate.config.settings import load_config
from gate.core.signatures import parse_secret
from gate.errors import ConfigError, GateError, StoreError

# Every gate command builds the parser that names these functions: the database modules are
# imported when an audit command runs, not on every start.
if TYPE_CHECKING:
    import sqlite3

    from gate.storage import checkpoints


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date or date-time from the command line; without an offset it is UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date or date-time (2024-05-01, 2024-05-01T08:00:00Z)"
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Verifies the whole journal, and against ``--checkpoint FILE`` when given; 0 if intact,
    1 (one line on stdout) if not."""
    from gate.storage import checkpoints, journal

    config = load_config(args.config)
    checkpoint = None
    if getattr(args, "checkpoint", None):
        checkpoint = _read_checkpoint(Path(args.checkpoint))
    with _readonly(config.database) as conn:
        # One snapshot for all of it: the head printed is the one verified, whatever the
        # running gate writes meanwhile (``journal.verify`` reads in the caller's snapshot).
        conn.execute("BEGIN")
        if checkpoint is None:
            result: journal.VerifyResult | checkpoints.CheckpointResult = journal.verify(conn)
            problem = checkpoints.local_mismatch(conn) if result.ok else None
            if problem:
                result = checkpoints.CheckpointResult(False, problem)
        else:
            secret = parse_secret(config.central.signing_secret)
            result = checkpoints.verify_against(
                conn, checkpoint, secret=secret, gate_id=config.gate_id
            )
        head = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    print(result)
    if result.ok:
        # What an officer records elsewhere: a later verify must show this record unchanged.
        count, digest = head if head is not None else (0, journal.GENESIS_HASH)
        print(f"head: record {count}, hash {digest}")
    return 0 if result.ok else 1


def _read_checkpoint(path: Path) -> checkpoints.Checkpoint:
    """The office's copy of a checkpoint. Raises ConfigError naming the file and the fault."""
    from gate.storage import checkpoints

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return checkpoints.parse_document(doc)
    except OSError as exc:
        raise ConfigError(f"checkpoint {path}: {exc.strerror}") from exc
    except (ValueError, GateError) as exc:
        raise ConfigError(f"checkpoint {path}: {exc}") from exc


def cmd_audit_export(args: argparse.Namespace) -> int:
    """Exports the records of ``[--from, --to)`` as JSON lines to ``-o FILE`` or stdout."""
    from gate.storage import journal

    config = load_config(args.config)
    with _readonly(config.database) as conn:
        if args.output is None or args.output == "-":
            count = journal.export(conn, args.start, args.end, sys.stdout)
            sys.stdout.flush()
            where = "stdout"
        else:
            target = Path(args.output)
            try:
                count = _export_to_file(conn, args.start, args.end, target)
            except OSError as exc:
                print(f"gate audit: cannot write {target}: {exc.strerror}", file=sys.stderr)
                return 1
            where = str(target)
    print(f"exported {count} audit records to {where}", file=sys.stderr)
    return 0


@contextlib.contextmanager
def _readonly(database: Path) -> Iterator[sqlite3.Connection]:
    """The database opened read-only; SQLite errors while reading become StoreError."""
    import sqlite3

    from gate.storage.store import connect_readonly

    conn = connect_readonly(database)
    try:
        yield conn
    except sqlite3.Error as exc:
        raise StoreError(f"database {database}: {exc}") from exc
    finally:
        conn.close()


def _export_to_file(
    conn: sqlite3.Connection, start: datetime | None, end: datetime | None, target: Path
) -> int:
    """Writes beside ``target``, syncs and renames, so a failed export leaves no partial file."""
    from gate.storage import journal

    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            count = journal.export(conn, start, end, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return count
