"""The database's schema and its connections: what a gate database is, and how to open one.

The schema is versioned from day one: ``MIGRATIONS`` lists SQL scripts applied in order (version
= position + 1) in one transaction at open, recorded in ``schema_migrations``. A released
migration is never edited; a change is a new entry at the end. A database whose version is newer
than this code is refused (``SchemaTooNew``).

Two kinds of connection exist. ``connect_writer`` makes the one connection that writes (the
store's writer thread owns it; see ``gate.storage.store``): WAL mode, ``synchronous=FULL``,
migrated. ``connect_readonly`` makes a ``mode=ro`` connection for tools such as ``gate audit``,
safe beside a running gate.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from gate.errors import SchemaTooNew, StoreError

#: Milliseconds a statement waits for a lock held by another connection (a reader's checkpoint, an
#: operator's sqlite3 shell) before it fails with "database is locked".
BUSY_TIMEOUT_MS = 5000
#: Pages a connection keeps in its own cache, as SQLite's negative ``cache_size`` (KiB): 64 MiB
#: rather than the default 2 MiB. Once the store holds a few hundred thousand scans, each batch
#: inserts into the scans', serials' and journal's indexes at leaves the 2 MiB cache no longer
#: holds, and the writer reads them back at every commit: after a minute of batches the loaded
#: latency row's p99 was 26-45 ms with 2 MiB and 13.5-21 ms with 64 MiB (alternated pairs,
#: 2026-12-01). Allocated as pages are used, so a connection that reads little stays small.
CACHE_KIB = 65536

MIGRATIONS: list[str] = [
    # 1: the initial schema.
    """
    CREATE TABLE shipments (
        id TEXT PRIMARY KEY,
        door TEXT NOT NULL,
        state TEXT NOT NULL,
        doc TEXT NOT NULL,              -- JSON
        created_at TEXT,
        updated_at TEXT
    );
    CREATE INDEX shipments_door_state ON shipments (door, state);

    CREATE TABLE scans (
        reader TEXT NOT NULL,
        scan_id TEXT NOT NULL,
        door TEXT,
        code TEXT,
        received_at TEXT NOT NULL,
        result TEXT NOT NULL,           -- JSON: the answer given, repeated for a retry
        PRIMARY KEY (reader, scan_id)
    );

    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,               -- RFC 3339 UTC with microseconds
        kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        subject TEXT,
        data TEXT NOT NULL,             -- canonical JSON
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_ts ON audit (ts);
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN
        SELECT RAISE(ABORT, 'audit journal is append-only');
    END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN
        SELECT RAISE(ABORT, 'audit journal is append-only');
    END;
    -- REPLACE deletes without firing delete triggers (unless recursive_triggers is on), so an
    -- insert must also be the next record: this refuses INSERT OR REPLACE over a record.
    CREATE TRIGGER audit_append_only BEFORE INSERT ON audit
    WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit)
    BEGIN
        SELECT RAISE(ABORT, 'audit journal is append-only');
    END;

    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        request_id TEXT UNIQUE NOT NULL,
        shipment_id TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        delivered_at TEXT,
        last_error TEXT
    );
    CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE delivered_at IS NULL;

    CREATE TABLE webhook_ids (
        id TEXT PRIMARY KEY,
        body_hash TEXT NOT NULL,
        status INTEGER NOT NULL,
        answer TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE INDEX webhook_ids_received_at ON webhook_ids (received_at);

    CREATE TABLE licences (
        number TEXT PRIMARY KEY,
        doc TEXT NOT NULL,
        remaining INTEGER NOT NULL CHECK (remaining >= 0),
        updated_at TEXT NOT NULL
    );

    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: a shipment's history (who did what when) without walking the journal.
    """
    CREATE INDEX audit_subject ON audit (subject, seq);
    """,
    # 3: signed checkpoints of the journal, and their outbox to the central office.
    """
    CREATE TABLE journal_checkpoints (
        id INTEGER PRIMARY KEY,
        checkpoint_id TEXT UNIQUE NOT NULL,
        records INTEGER NOT NULL,       -- the journal's length when the checkpoint was taken
        head_hash TEXT NOT NULL,        -- the hash of record number `records`
        body TEXT NOT NULL,             -- the signed document, byte for byte
        signature TEXT NOT NULL,        -- its webhook-signature header
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,           -- NULL once delivered or refused: not sent again
        delivered_at TEXT,
        last_error TEXT
    );
    CREATE INDEX journal_checkpoints_pending ON journal_checkpoints (next_attempt_at)
        WHERE delivered_at IS NULL;
    """,
    # 4: scan ids belong to the client that sent them, and a scan keeps what a retry must
    # repeat (kind, the shipment it named). A row stored before this belongs to the client its
    # `scan` journal record names (the actor; the first record if several), else to its reader
    # name; its kind and shipment were not kept (`exact` 0: a retry is compared on door and
    # code only). Copied in rowid order: the newest rows stay the newest.
    """
    CREATE TABLE scans_by_client (
        client TEXT NOT NULL,           -- the authenticated client (the journal's actor)
        reader TEXT NOT NULL,
        scan_id TEXT NOT NULL,
        door TEXT,
        code TEXT,
        kind TEXT,
        shipment TEXT,                  -- the shipment the scan named, if it named one
        exact INTEGER NOT NULL DEFAULT 1,
        received_at TEXT NOT NULL,
        result TEXT NOT NULL,           -- JSON: the outcome given, repeated for a retry
        PRIMARY KEY (client, reader, scan_id)
    );
    INSERT INTO scans_by_client (client, reader, scan_id, door, code, exact, received_at, result)
    SELECT coalesce(j.actor, s.reader), s.reader, s.scan_id, s.door, s.code, 0,
           s.received_at, s.result
    FROM scans AS s
    LEFT JOIN (
        -- A bare column beside min() takes the value of the row holding the minimum.
        SELECT json_extract(data, '$.reader') AS reader,
               json_extract(data, '$.scan_id') AS scan_id,
               actor,
               min(seq) AS first_seq
        FROM audit
        WHERE kind = 'scan' AND json_valid(data)
        GROUP BY 1, 2
    ) AS j ON j.reader = s.reader AND j.scan_id = s.scan_id
    ORDER BY s.rowid;
    DROP TABLE scans;
    ALTER TABLE scans_by_client RENAME TO scans;
    """,
    # 5: screening clearances:
    # the central office's clearances of false positives (DESIGN 2.1), kept for as long as
    # the journal.
    """
    CREATE TABLE clearances (
        id INTEGER PRIMARY KEY,
        list TEXT NOT NULL,
        entry TEXT NOT NULL,
        version TEXT NOT NULL,
        name TEXT NOT NULL,
        country TEXT NOT NULL,
        ids TEXT NOT NULL,              -- JSON array of identifier values
        cleared_at TEXT NOT NULL,
        webhook_id TEXT NOT NULL
    );
    CREATE UNIQUE INDEX clearances_one ON clearances (list, entry, version, name, country, ids);
    """,
    # 6: serials apart from the shipment document:
    # one row per serial counted on a line (in the line's epoch: a removed line read again
    # starts a new one), written in the same transaction as its scan, so a document and its
    # save stay the same size however many units a shipment holds. The serials stored inside
    # the documents so far are moved here (the codec still reads those documents' counts).
    """
    CREATE TABLE serials (
        shipment TEXT NOT NULL,
        line TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        serial TEXT NOT NULL,
        PRIMARY KEY (shipment, line, epoch, serial)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO serials (shipment, line, epoch, serial)
    SELECT s.id, json_extract(l.value, '$.key'), 0, j.value
    FROM shipments AS s, json_each(s.doc, '$.lines') AS l, json_each(l.value, '$.serials') AS j
    WHERE json_valid(s.doc);
    """,
    # 7: EPCIS documents queued at dispatch for the company's EPCIS repository (DESIGN 4).
    # A document the repository found too large is split: its row ends (next_attempt_at
    # NULL, split_into set) and its parts are new rows, in the same transaction.
    """
    CREATE TABLE epcis_outbox (
        id INTEGER PRIMARY KEY,
        shipment_id TEXT NOT NULL,
        body TEXT NOT NULL,             -- the EPCISDocument, as sent
        events INTEGER NOT NULL,        -- how many events it holds
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,           -- NULL once delivered, refused or split
        delivered_at TEXT,
        capture_job TEXT,               -- the repository's capture job (its Location)
        split_into INTEGER,             -- parts this document was split into
        last_error TEXT
    );
    CREATE INDEX epcis_outbox_pending ON epcis_outbox (next_attempt_at)
        WHERE next_attempt_at IS NOT NULL;
    """,
    # 8: doors held because goods passed a portal without a readable tag, until an operator
    # acknowledges it (gate.service.door_holds); the journal keeps the history.
    """
    CREATE TABLE door_holds (
        door TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        reader TEXT NOT NULL,
        held_at TEXT NOT NULL
    );
    """,
    # 9: messages for the MQTT broker, queued in the transaction of the change they announce
    # and deleted once the broker acknowledged them (gate.links.mqtt); sent in id order.
    """
    CREATE TABLE mqtt_queue (
        id INTEGER PRIMARY KEY,         -- max + 1: a new row always sorts after those waiting
        topic TEXT NOT NULL,
        payload TEXT NOT NULL,          -- JSON
        retain INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    # 10: the status page's alerts (gate.web.page.alert_book), kept across restarts: the
    # alert's event data, repeats, who acknowledged it and when its cause was gone.
    """
    CREATE TABLE page_alerts (
        id INTEGER PRIMARY KEY,
        data TEXT NOT NULL,             -- JSON: the alert event's fields
        count INTEGER NOT NULL,         -- times raised
        first_at TEXT NOT NULL,
        at TEXT NOT NULL,               -- raised last
        acked_by TEXT,
        acked_at TEXT,
        cleared_at TEXT,
        cleared_why TEXT
    );
    CREATE INDEX page_alerts_open ON page_alerts (id) WHERE cleared_at IS NULL;
    """,
    # 11: a held door counts its empty windows (an acknowledgement names the count it saw:
    # a window that came since is not released with it) and the latest one's time.
    """
    ALTER TABLE door_holds ADD COLUMN windows INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE door_holds ADD COLUMN last_at TEXT;
    """,
    # 12: a hold for a prohibited item read after its shipment was sealed shows the door red
    # until an operator acknowledges it (gate.service.door_holds); a restart keeps it red.
    """
    ALTER TABLE door_holds ADD COLUMN prohibited INTEGER NOT NULL DEFAULT 0;
    """,
    # 13: a serial keeps the units its label stated (AI 37 or AI 30; the most any read of it
    # stated), so a re-read stating more counts the difference, also after a restart
    # (gate.storage.serial_rows). A serial stored before counts at what the gate that stored
    # it counted: the units its scan answer says it added (``counted``: the label's count on
    # the serial's first read; 1 where no answer says more), from the reads of one unit's
    # label only (a pallet's read counts its whole contents). Only a line read in its first
    # epoch alone is looked up: an answer of an earlier epoch could name more units than the
    # current one counted, and a serial set too high would count too few. A serial set too
    # low counts again (held, never cleared).
    """
    ALTER TABLE serials ADD COLUMN units INTEGER NOT NULL DEFAULT 1;
    CREATE TEMP TABLE migration_13_counted (
        shipment TEXT NOT NULL,
        line TEXT NOT NULL,
        serial TEXT NOT NULL,
        units INTEGER NOT NULL,
        PRIMARY KEY (shipment, line, serial)
    );
    INSERT INTO migration_13_counted (shipment, line, serial, units)
    SELECT json_extract(result, '$.shipment.id'), json_extract(result, '$.item.key'),
        json_extract(result, '$.item.serial'), max(json_extract(result, '$.counted'))
    FROM scans
    WHERE json_valid(result)
        AND json_extract(result, '$.status') = 'accepted'
        AND json_type(result, '$.counted') = 'integer'
        AND json_extract(result, '$.counted') > 1
        AND json_type(result, '$.shipment.id') = 'text'
        AND json_type(result, '$.item.key') = 'text'
        AND json_type(result, '$.item.serial') = 'text'
        AND json_extract(result, '$.item.sscc') IS NULL
        AND json_extract(result, '$.counted')
            <= max(1, coalesce(json_extract(result, '$.item.count'), 1))
    GROUP BY 1, 2, 3;
    UPDATE serials SET units = (
        SELECT c.units FROM migration_13_counted AS c
        WHERE c.shipment = serials.shipment AND c.line = serials.line AND c.serial = serials.serial
    )
    WHERE epoch = 0
        AND (shipment, line, serial) IN (SELECT shipment, line, serial FROM migration_13_counted)
        AND NOT EXISTS (
            SELECT 1 FROM serials AS later
            WHERE later.shipment = serials.shipment AND later.line = serials.line
                AND later.epoch > 0
        );
    DROP TABLE migration_13_counted;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def store_error(path: Path, what: str, exc: BaseException) -> StoreError:
    """A StoreError naming the database and what failed, with ``exc`` as its cause."""
    error = StoreError(f"database {path}: {what}: {exc}")
    error.__cause__ = exc
    return error


def file_identity(path: Path) -> tuple[int, int] | None:
    """The file ``path`` names now (device and inode), or None when it names none: a writer
    compares it after each commit with the one it opened, to notice the file replaced."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused because another connection holds a lock (SQLITE_BUSY or
    SQLITE_LOCKED, extended codes included), as opposed to a real failure."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


# --- connections -------------------------------------------------------------------------------


def connect_writer(path: Path) -> sqlite3.Connection:
    """The writer connection: folder created, pragmas set, schema migrated. Raises StoreError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise store_error(path, f"cannot create folder {path.parent}", exc) from exc
    try:
        # A larger statement cache than the default 128: the multi-row inserts add a few
        # texts per table (``row_inserts``), the id lookups one per piece size.
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, cached_statements=512
        )
    except sqlite3.Error as exc:
        raise store_error(path, "cannot open", exc) from exc
    try:
        # synchronous is per connection (only WAL mode is stored in the file): set all of
        # these on every connect.
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"database {path}: cannot switch to WAL mode (got {mode})")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        migrate(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        raise store_error(path, "cannot open", exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection, path: Path | str = "") -> int:
    """Applies the missing ``MIGRATIONS`` in one IMMEDIATE transaction; returns the version.

    Raises SchemaTooNew (nothing changed) when the database is newer than this code.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version INTEGER PRIMARY KEY, applied_at TEXT)"
        )
        (current,) = conn.execute(
            "SELECT coalesce(max(version), 0) FROM schema_migrations"
        ).fetchone()
        if current > SCHEMA_VERSION:
            raise SchemaTooNew(str(path), current, SCHEMA_VERSION)
        for version in range(current + 1, SCHEMA_VERSION + 1):
            # executescript() would COMMIT first: run the script statement by statement so the
            # migration and its record are one transaction.
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                (version, datetime.now(UTC).isoformat(timespec="microseconds")),
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return SCHEMA_VERSION


def _statements(script: str) -> Iterator[str]:
    """Splits an SQL script into complete statements (a trigger body's ``;`` included)."""
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            buffer = ""
            if statement.strip(";").strip() and not _only_comments(statement):
                yield statement
    if buffer.strip(";").strip() and not _only_comments(buffer):
        raise ValueError(f"incomplete SQL statement in migration: {buffer.strip()[:80]!r}")


def _only_comments(sql: str) -> bool:
    lines = (line.split("--", 1)[0].strip() for line in sql.splitlines())
    return all(line in ("", ";") for line in lines)


def connect_readonly(path: Path | str) -> sqlite3.Connection:
    """A read-only connection (``mode=ro`` URI) for tools such as ``gate audit``, safe beside
    a running gate. Refuses a missing file, a file that is not a gate database and a schema
    newer than this code. Raises StoreError or SchemaTooNew.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise StoreError(f"database {path} does not exist (has the gate run with this config?)")
    try:
        conn = sqlite3.connect(
            f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise store_error(path, "cannot open read-only", exc) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only=ON")
        has_versions = conn.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        if not has_versions:
            raise StoreError(f"database {path} is not a gate database (no schema_migrations)")
        (version,) = conn.execute(
            "SELECT coalesce(max(version), 0) FROM schema_migrations"
        ).fetchone()
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(str(path), version, SCHEMA_VERSION)
    except sqlite3.Error as exc:
        conn.close()
        raise store_error(path, "cannot read", exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn
