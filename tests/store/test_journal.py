"""The audit journal: hash chain, tamper evidence, export, redaction, and the audit commands."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.config.settings import load_config
from gate.errors import JournalError
from gate.storage import journal
from gate.storage.store import Store, connect_readonly, migrate

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "gate.db")
    yield opened
    await opened.close()


async def append(
    store: Store,
    n: int,
    *,
    start: datetime = T0,
    step: timedelta = timedelta(minutes=1),
    kind: str = "scan",
) -> list[journal.AuditRecord]:
    """Appends n records, one write each, ``step`` apart from ``start``."""
    records = []
    for i in range(n):

        def fn(conn: sqlite3.Connection, i: int = i) -> journal.AuditRecord:
            return journal.append(
                conn,
                kind=kind,
                actor="scanner-door-1",
                subject=f"SHIP-{i % 3}",
                data={"n": i, "code": "(01)09506000134352(21)ABC", "note": "Ärger ✓"},
                ts=start + i * step,
            )

        records.append(await store.write(fn))
    return records


def tamper(path: Path, *statements: str) -> None:
    """Edits the database like someone with write access to the file: triggers dropped."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
        conn.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        conn.execute("DROP TRIGGER IF EXISTS audit_append_only")
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def verify_file(path: Path) -> journal.VerifyResult:
    conn = connect_readonly(path)
    try:
        return journal.verify(conn)
    finally:
        conn.close()


@pytest.fixture
def memory_db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn)
    yield conn
    conn.close()


async def test_records_chain_from_the_genesis_hash(store: Store) -> None:
    """Record 1 links to 64 zeros, each next record to the previous hash, and each hash is
    SHA-256 of the documented preimage, recomputed here independently."""
    records = await append(store, 3)
    assert [1, 2, 3] == [r.seq for r in records]
    assert "0" * 64 == records[0].prev_hash
    assert records[0].hash == records[1].prev_hash
    assert records[1].hash == records[2].prev_hash
    first = records[0]
    assert "2024-05-01T08:30:00.000000Z" == first.ts
    expected_data = '{"code":"(01)09506000134352(21)ABC","n":0,"note":"Ärger ✓"}'
    assert expected_data == first.data
    preimage = (
        f"1|2024-05-01T08:30:00.000000Z|scan|scanner-door-1|SHIP-0|{expected_data}|{'0' * 64}"
    )
    assert hashlib.sha256(preimage.encode()).hexdigest() == first.hash
    # Known answer from another tool (coreutils), as the module docstring suggests:
    # printf '%s|%s|%s|%s|%s|%s|%s' 1 2024-05-01T08:30:00.000000Z scan scanner-door-1 SHIP-0 \
    #   '{"code":"(01)09506000134352(21)ABC","n":0,"note":"Ärger ✓"}' "$(printf '0%.0s' {1..64})" \
    #   | sha256sum
    assert "b27796fbc649412a0df22fa2d7915afea31b1c316caf447b313621f5c05732cf" == first.hash
    stored = await store.read(lambda c: c.execute("SELECT * FROM audit ORDER BY seq").fetchall())
    assert records == [journal.AuditRecord(*row) for row in stored]


async def test_a_null_subject_hashes_as_the_empty_string(store: Store) -> None:
    """A record without subject (or with an empty one) stores NULL and hashes it as ''."""
    record = await store.write(
        lambda c: journal.append(c, kind="start", actor="gate", subject="", data={}, ts=T0)
    )
    assert record.subject is None
    preimage = f"1|{record.ts}|start|gate||{{}}|{'0' * 64}"
    assert hashlib.sha256(preimage.encode()).hexdigest() == record.hash


def test_timestamps_are_utc_with_microseconds() -> None:
    """Any aware datetime is written as RFC 3339 UTC with six fraction digits and Z."""
    cest = timezone(timedelta(hours=2))
    ts = datetime(2024, 5, 1, 10, 30, 5, 12, tzinfo=cest)
    assert "2024-05-01T08:30:05.000012Z" == journal.format_ts(ts)
    with pytest.raises(JournalError, match="no time zone"):
        journal.format_ts(datetime(2024, 5, 1))


def test_append_refuses_what_would_weaken_the_record(memory_db: sqlite3.Connection) -> None:
    """append refuses to run outside a transaction, a '|' in a preimage field, an empty actor,
    a naive time and data that is not JSON; nothing is written."""
    with pytest.raises(JournalError, match="inside a write transaction"):
        journal.append(memory_db, kind="k", actor="a", subject=None, data={}, ts=T0)
    bad: list[dict[str, Any]] = [
        {"kind": "a|b"},
        {"actor": "ops|x"},
        {"subject": "S|1"},
        {"actor": ""},
        {"ts": datetime(2024, 5, 1)},
        {"data": {"x": float("nan")}},
        {"data": {"when": T0}},
    ]
    memory_db.execute("BEGIN IMMEDIATE")
    for change in bad:
        kwargs: dict[str, Any] = {"kind": "k", "actor": "a", "subject": None, "data": {}, "ts": T0}
        kwargs.update(change)
        with pytest.raises(JournalError):
            journal.append(memory_db, **kwargs)
    memory_db.execute("COMMIT")
    assert 0 == memory_db.execute("SELECT count(*) FROM audit").fetchone()[0]


async def test_a_clean_chain_verifies(store: Store) -> None:
    """An untouched journal verifies, counting every record; an empty one verifies too."""
    assert journal.VerifyResult(True, 0) == await store.read(journal.verify)
    await append(store, 25)
    result = await store.read(journal.verify)
    assert journal.VerifyResult(True, 25) == result
    assert "audit journal OK: 25 records" == str(result)


async def test_verify_inside_a_write_sees_that_transaction(store: Store) -> None:
    """verify may run inside a write function: it checks the records of that transaction."""
    await append(store, 2)

    def append_and_verify(conn: sqlite3.Connection) -> journal.VerifyResult:
        journal.append(conn, kind="k", actor="a", subject=None, data={}, ts=T0)
        return journal.verify(conn)

    assert journal.VerifyResult(True, 3) == await store.write(append_and_verify)


@pytest.mark.parametrize(
    ("statements", "seq", "reason"),
    [
        pytest.param(
            ["UPDATE audit SET data = '{\"n\":999}' WHERE seq = 7"],
            7,
            "hash mismatch: record 7 was altered",
            id="altered-data",
        ),
        pytest.param(
            ["UPDATE audit SET ts = '2024-05-01T09:00:00.000000Z' WHERE seq = 3"],
            3,
            "hash mismatch: record 3 was altered",
            id="altered-time",
        ),
        pytest.param(
            ["DELETE FROM audit WHERE seq = 12"],
            12,
            "gap: record 12 missing after 11",
            id="deleted-record",
        ),
        pytest.param(
            ["DELETE FROM audit WHERE seq IN (4, 5, 6)"],
            4,
            "gap: records 4 to 6 missing after 3",
            id="deleted-records",
        ),
        pytest.param(
            ["DELETE FROM audit WHERE seq = 1"],
            1,
            "gap: record 1 missing (the journal starts at 2)",
            id="deleted-first",
        ),
        pytest.param(
            ["DELETE FROM audit WHERE seq >= 19"],
            19,
            "truncated: records 19 to 20 missing at the end (the head names record 20)",
            id="truncated-end",
        ),
        pytest.param(
            [
                "UPDATE audit SET hash = (SELECT hash FROM audit WHERE seq = 9) WHERE seq = 8",
                "UPDATE audit SET hash = (SELECT prev_hash FROM audit WHERE seq = 9) WHERE seq = 9",
            ],
            8,
            "hash mismatch: record 8 was altered",
            id="swapped-hashes",
        ),
        pytest.param(
            [
                "UPDATE audit SET seq = -5 WHERE seq = 5",
                "UPDATE audit SET seq = 5 WHERE seq = 6",
                "UPDATE audit SET seq = 6 WHERE seq = -5",
            ],
            5,
            "chain broken: record 5's prev_hash does not match record 4",
            id="reordered-records",
        ),
        pytest.param(
            ["UPDATE audit SET actor = 'scanner-door-1|SHIP-1', subject = NULL WHERE seq = 10"],
            10,
            "malformed: record 10's actor contains '|'",
            id="moved-separator",
        ),
    ],
)
async def test_tampering_is_reported_at_the_first_broken_record(
    store: Store, statements: list[str], seq: int, reason: str
) -> None:
    """Each kind of tampering is reported with the seq of the first broken record and why."""
    await append(store, 20)
    await store.close()
    tamper(store.path, *statements)
    result = verify_file(store.path)
    assert (False, seq, reason) == (result.ok, result.first_broken_seq, result.reason)
    assert seq - 1 == result.records


async def test_a_rehashed_alteration_breaks_the_link_to_the_next_record(store: Store) -> None:
    """Editing a record and recomputing its own hash still breaks the next record's link."""
    records = await append(store, 6)
    await store.close()
    r = records[2]
    data = '{"n":"forged"}'
    forged = journal.record_hash(r.seq, r.ts, r.kind, r.actor, r.subject, data, r.prev_hash)
    tamper(store.path, f"UPDATE audit SET data = '{data}', hash = '{forged}' WHERE seq = 3")
    result = verify_file(store.path)
    assert (4, "chain broken: record 4's prev_hash does not match record 3") == (
        result.first_broken_seq,
        result.reason,
    )


async def test_export_writes_exactly_the_records_of_the_range(store: Store) -> None:
    """Export by date range: start inclusive, end exclusive, seq order, one JSON object per
    line with every column and data as an object, re-verifiable from the export alone."""
    await append(store, 10, start=datetime(2024, 5, 1, tzinfo=UTC), step=timedelta(hours=12))
    # ts: May 1 00:00, 1 12:00, 2 00:00, 2 12:00, 3 00:00, 3 12:00, 4 00:00, ...

    def run(start: datetime | None, end: datetime | None) -> tuple[int, list[dict[str, Any]]]:
        out = io.StringIO()
        count = journal.export(conn, start, end, out)
        return count, [json.loads(line) for line in out.getvalue().splitlines()]

    conn = connect_readonly(store.path)
    try:
        count, lines = run(datetime(2024, 5, 2, tzinfo=UTC), datetime(2024, 5, 4, tzinfo=UTC))
        assert 4 == count
        assert [3, 4, 5, 6] == [line["seq"] for line in lines]
        assert "2024-05-02T00:00:00.000000Z" == lines[0]["ts"]
        assert {"n": 2, "code": "(01)09506000134352(21)ABC", "note": "Ärger ✓"} == lines[0]["data"]
        assert ["seq", "ts", "kind", "actor", "subject", "data", "prev_hash", "hash"] == list(
            lines[0]
        )
        for line in lines:
            data = journal.canonical_json(line["data"])
            fields = (line["seq"], line["ts"], line["kind"], line["actor"], line["subject"])
            assert line["hash"] == journal.record_hash(*fields, data, line["prev_hash"])
        assert [7, 8, 9, 10] == [
            line["seq"] for line in run(datetime(2024, 5, 4, tzinfo=UTC), None)[1]
        ]
        assert [1, 2] == [line["seq"] for line in run(None, datetime(2024, 5, 2, tzinfo=UTC))[1]]
        assert 10 == run(None, None)[0]
        assert 0 == run(datetime(2025, 1, 1, tzinfo=UTC), None)[0]
        with pytest.raises(JournalError, match="empty range"):
            run(datetime(2024, 5, 3, tzinfo=UTC), datetime(2024, 5, 2, tzinfo=UTC))
    finally:
        conn.close()


async def test_secrets_never_reach_the_journal(store: Store) -> None:
    """Tokens, passwords, secrets, authorization headers and signatures are redacted at any
    depth before the record is written; other values, including item keys, are kept."""
    data = {
        "token": "demo-YbgSG0JhwUXNJzrAqAPeViCuwi8yecPm",
        "headers": {
            "Authorization": "Bearer demo-3lVrZo",
            "webhook-signature": "v1,abc=",
            "webhook-id": "msg_1",
        },
        "login": {"user": "ops", "password": "demo-ops-password"},
        "clients": [{"name": "wms", "access_token": "t"}],
        "signing_secret": "whsec_abc",
        "echo": "whsec_Iom5HifUyyy1Fp7cz97WlZLY6WvWrCp7eAAcuovO7kM=",
        "key": "09506000134352",
    }
    record = await store.write(
        lambda c: journal.append(c, kind="login", actor="ops", subject=None, data=data, ts=T0)
    )
    stored = await store.read(lambda c: c.execute("SELECT data FROM audit").fetchone()[0])
    assert record.data == stored
    assert {
        "token": "[redacted]",
        "headers": {
            "Authorization": "[redacted]",
            "webhook-signature": "[redacted]",
            "webhook-id": "msg_1",
        },
        "login": {"user": "ops", "password": "[redacted]"},
        "clients": [{"name": "wms", "access_token": "[redacted]"}],
        "signing_secret": "[redacted]",
        "echo": "[redacted]",
        "key": "09506000134352",
    } == json.loads(stored)
    for secret in ("demo-Ybg", "demo-3lVrZo", "v1,abc", "demo-ops-password", "whsec_"):
        assert secret not in stored


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=8), json_values, max_size=4), max_size=5))
def test_any_json_data_round_trips_and_verifies(datas: list[dict[str, Any]]) -> None:
    """Any JSON data is stored canonically (redacted), reads back equal, and the chain
    verifies."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(conn)
        conn.execute("BEGIN IMMEDIATE")
        records = [
            journal.append(conn, kind="k", actor="a", subject="s", data=data, ts=T0)
            for data in datas
        ]
        conn.execute("COMMIT")
        for record, data in zip(records, datas, strict=True):
            assert journal.redact(data) == record.payload()
        assert journal.VerifyResult(True, len(datas)) == journal.verify(conn)
    finally:
        conn.close()


# --- the gate audit commands -------------------------------------------------------------------


def gate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gate", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


@pytest.fixture
async def journal_db(demo_config: Path) -> Path:
    """The demo config's database holding 30 records, 6 hours apart from 1 May 2024, closed."""
    path = load_config(demo_config).database
    async with await Store.open(path) as store:
        await append(store, 30, start=datetime(2024, 5, 1, tzinfo=UTC), step=timedelta(hours=6))
    return path


async def test_audit_verify_command_passes_a_clean_journal(
    demo_config: Path, journal_db: Path
) -> None:
    """`gate audit verify` exits 0 with one line counting the records and one naming the
    head (the last record and its hash), to be recorded elsewhere."""
    done = gate("audit", "verify", "--config", str(demo_config))
    conn = sqlite3.connect(journal_db)
    try:
        (head,) = conn.execute("SELECT hash FROM audit WHERE seq = 30").fetchone()
    finally:
        conn.close()
    assert (0, ["audit journal OK: 30 records", f"head: record 30, hash {head}"]) == (
        done.returncode,
        done.stdout.splitlines(),
    )


async def test_audit_verify_command_reports_tampering(demo_config: Path, journal_db: Path) -> None:
    """`gate audit verify` exits 1 with one line naming the first broken record and why."""
    tamper(journal_db, "UPDATE audit SET subject = 'SHIP-X' WHERE seq = 17")
    done = gate("audit", "verify", "--config", str(demo_config))
    assert 1 == done.returncode
    assert [
        "audit journal BROKEN at record 17: hash mismatch: record 17 was altered"
        " (16 records intact before it)"
    ] == done.stdout.splitlines()


async def test_audit_verify_command_runs_beside_the_open_store(demo_config: Path) -> None:
    """`gate audit verify` works while the gate has the database open and writes to it."""
    path = load_config(demo_config).database
    async with await Store.open(path) as store:
        await append(store, 5)
        done = gate("audit", "verify", "--config", str(demo_config))
        await append(store, 1)
    assert (0, "audit journal OK: 5 records") == (done.returncode, done.stdout.splitlines()[0])


async def test_audit_export_command_writes_json_lines(
    demo_config: Path, journal_db: Path, tmp_path: Path
) -> None:
    """`gate audit export --from --to -o FILE` writes exactly the records of the range; without
    -o it writes to stdout."""
    out = tmp_path / "may2.jsonl"
    args = ("--config", str(demo_config), "--from", "2024-05-02", "--to", "2024-05-03T00:00:00Z")
    done = gate("audit", "export", *args, "-o", str(out))
    assert 0 == done.returncode, done.stderr
    assert f"exported 4 audit records to {out}\n" == done.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [5, 6, 7, 8] == [line["seq"] for line in lines]
    done = gate("audit", "export", *args)
    assert (0, out.read_text(encoding="utf-8")) == (done.returncode, done.stdout)
    done = gate(
        "audit", "export", "--config", str(demo_config), "--from", "2024-05-08T02:00:00+02:00"
    )
    assert [29, 30] == [json.loads(line)["seq"] for line in done.stdout.splitlines()]


def test_audit_commands_refuse_a_missing_database(demo_config: Path) -> None:
    """Without a database, both commands exit 1 with one line saying so, and create nothing."""
    database = load_config(demo_config).database
    for action in ("verify", "export"):
        done = gate("audit", action, "--config", str(demo_config))
        assert 1 == done.returncode
        assert 1 == len(done.stderr.splitlines()), done.stderr
        assert f"gate audit: database {database} does not exist" in done.stderr
    assert not database.exists()


def test_audit_export_refuses_a_bad_date(demo_config: Path) -> None:
    """A --from that is not ISO 8601 is a usage error (exit 2) naming the value."""
    done = gate("audit", "export", "--config", str(demo_config), "--from", "1 May")
    assert 2 == done.returncode
    assert "'1 May' is not an ISO 8601 date" in done.stderr


async def test_append_many_equals_one_append_per_record(tmp_path: Path) -> None:
    """append_many writes the same records, hashes and chain head as one append each: 301
    records, so its multi-row statements come in every piece size (``row_inserts``), and
    the table's triggers check each row's seq as it goes in."""
    at = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    records = [
        ("scan", "reader-1", "S1", {"code": "09506000134352", "n": i, "token": "x"})
        for i in range(300)
    ] + [("shipment.sealed", "wms", "S1", {"state": "held"})]

    def one_by_one(conn: sqlite3.Connection) -> None:
        for kind, actor, subject, data in records:
            journal.append(conn, kind=kind, actor=actor, subject=subject, data=data, ts=at)

    def together(conn: sqlite3.Connection) -> None:
        journal.append_many(conn, records, ts=at)

    rows = []
    for name, fn in (("a.db", one_by_one), ("b.db", together)):
        async with await Store.open(tmp_path / name) as s:
            await s.write(
                lambda conn: journal.append(
                    conn, kind="start", actor="gate", subject=None, data={}, ts=at
                )
            )
            await s.write(fn)
        conn = connect_readonly(tmp_path / name)
        rows.append(
            (
                conn.execute("SELECT * FROM audit ORDER BY seq").fetchall(),
                conn.execute("SELECT value FROM meta WHERE key = 'audit_head'").fetchone(),
            )
        )
        assert journal.verify(conn).ok
        conn.close()
    assert rows[0] == rows[1]
    assert '"token":"[redacted]"' in rows[1][0][1][5]


_WORDS = st.sampled_from(["token", "Authorization", "note", "key", "code", "pass", "Bearer x"])
_JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=12)
    | _WORDS
    | st.sampled_from(["whsec_abc", " bearer\tzz", "BASIC q", "basic"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | _WORDS, inner, max_size=4)
    ),
    max_leaves=20,
)


@given(data=st.dictionaries(st.text(max_size=8) | _WORDS, _JSONISH, max_size=6))
def test_redaction_shortcut_equals_full_redaction(data: dict[str, object]) -> None:
    """Skipping the redaction walk when no secret pattern is in the text never changes what
    is stored."""
    assert journal.canonical_json(journal.redact(data)) == journal._redacted_text(data)
