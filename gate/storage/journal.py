"""The audit journal: append-only and hash-chained, so any change to a past record shows.

Every acknowledged scan and decision, every licence request, approval and operator action is
recorded here, in the same transaction as the change it records (call ``append`` inside a
``Store.write`` function): a change without its record, or a record without its change, cannot
be committed. Records are kept for years and may be re-verified by a compliance officer with
tools of their own, so the format is fixed and spelled out here.

The database refuses UPDATE and DELETE on the ``audit`` table (triggers), and an insert that is
not the next ``seq``. What a person with write access to the file could still do (drop the
triggers, edit a record) the chain reveals: each record carries the hash of the one before it.

Record fields (the ``audit`` table's columns)
    ``seq``        1, 2, 3, ... with no gaps.
    ``ts``         RFC 3339 UTC with microseconds: ``2024-05-01T08:30:00.000000Z``.
    ``kind``       what happened (``scan``, ``seal``, ``approval``, ...).
    ``actor``      who did it (a client or operator name, ``central``, ``gate``).
    ``subject``    what it happened to (a shipment id, a licence number), or NULL.
    ``data``       the details as canonical JSON: ``json.dumps(value, sort_keys=True,
                   separators=(",", ":"), ensure_ascii=False)``, secrets already redacted.
    ``prev_hash``  the previous record's ``hash``; for record 1, 64 zeros.
    ``hash``       lowercase hex SHA-256 of the UTF-8 encoding of the preimage below.

The hash preimage, exactly::

    f"{seq}|{ts}|{kind}|{actor}|{subject}|{data}|{prev_hash}"

with ``seq`` in decimal, ``subject`` as the empty string when it is NULL (an empty subject is
stored as NULL), and ``data`` the stored JSON text byte for byte. ``kind``, ``actor`` and
``subject`` never contain ``|`` (``append`` refuses them, ``verify`` reports them), ``ts`` and
``prev_hash`` cannot, so the preimage splits back into its fields one way only. Re-verifying in
a shell, for record ``$seq`` with its columns in variables::

    printf '%s|%s|%s|%s|%s|%s|%s' "$seq" "$ts" "$kind" "$actor" "$subject" "$data" "$prev" \\
        | sha256sum

The journal's head (``seq`` and ``hash`` of the last record) is also kept in ``meta`` under
``audit_head``, written with each record, so that removing records from the end is reported too.
Both live in the same file, though: someone who can write it can cut the tail and move the head
back, or rewrite every hash from an altered record on, and the chain still verifies. Signed
checkpoints kept by the central office close that gap (``gate.storage.checkpoints``).

Secrets never enter the journal: ``append`` passes ``data`` through ``redact``, which replaces
the value of every key named like a token, password, secret, authorization, signature, cookie,
credential or API key, at any depth, and any string that is a ``whsec_`` secret or a bearer
or basic credential (the scheme's word and one credential word: a consignee named "Basic
Industries GmbH" is kept), with ``"[redacted]"``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

from gate.core.text import escape_refused
from gate.errors import JournalError
from gate.storage.row_inserts import insert_rows

GENESIS_HASH = "0" * 64
REDACTED = "[redacted]"
HEAD_KEY = "audit_head"

_SECRET_KEY_WORDS = (
    "token",
    "password",
    "passwd",
    "secret",
    "authorization",
    "signature",
    "cookie",
    "credential",
    "api_key",
    "apikey",
    "api-key",
    "private_key",
)
# A credential in a value: a ``whsec_`` secret, or a scheme's word and one token68 word after
# it (RFC 9110 11.2). Only one word: "Basic Industries GmbH" or an end use "Basic research
# on ..." is a shipper's text, and the journal must keep it (attack19).
_SECRET_VALUE = re.compile(
    r"\s*(?:whsec_|(?:bearer|basic)\s+(?P<credential>[A-Za-z0-9._~+/-]+=*)\s*$)",
    re.IGNORECASE,
)
#: A word after ``Bearer``/``Basic`` this long is taken for a credential even when it is all
#: letters; a shorter one only when it holds a digit or a symbol (``Basic Optics`` is a name).
_LETTERS_CREDENTIAL = 16
# Anything redact() could change shows in the lowercased canonical text as one of these (a
# superset: a hit only means redact() runs), so most records skip the walk over their data.
# Plain substring tests: a case-insensitive regex alternation is about 20 times slower.
_SECRET_MARKS = (*_SECRET_KEY_WORDS, "whsec_", "bearer", "basic")
_HASH = re.compile(r"^[0-9a-f]{64}$")
_TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
_COLUMNS = "seq, ts, kind, actor, subject, data, prev_hash, hash"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One journal record as stored; ``data`` is its canonical JSON text."""

    seq: int
    ts: str
    kind: str
    actor: str
    subject: str | None
    data: str
    prev_hash: str
    hash: str

    def payload(self) -> Any:
        """The ``data`` parsed back from JSON."""
        return json.loads(self.data)

    def as_json_object(self) -> dict[str, Any]:
        """Every column, with ``data`` as an object: one line of ``export``."""
        return {
            "seq": self.seq,
            "ts": self.ts,
            "kind": self.kind,
            "actor": self.actor,
            "subject": self.subject,
            "data": self.payload(),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of ``verify``.

    ``records`` counts the records found intact: all of them when ``ok``, else those before
    ``first_broken_seq``. ``reason`` says in one sentence what is wrong there.
    """

    ok: bool
    records: int
    first_broken_seq: int | None = None
    reason: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"audit journal OK: {self.records} records"
        where = f" at record {self.first_broken_seq}" if self.first_broken_seq else ""
        return (
            f"audit journal BROKEN{where}: {self.reason} ({self.records} records intact before it)"
        )


def format_ts(ts: datetime) -> str:
    """RFC 3339 UTC with microseconds, the journal's only timestamp form. Raises JournalError
    for a naive datetime (its zone would be a guess)."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise JournalError(f"audit timestamp {ts.isoformat()} has no time zone")
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


#: Types orjson writes exactly as the standard library's canonical form does, whatever
#: their value (an ``int`` beyond 64 bits makes orjson raise, and the standard library then
#: writes it). Subclasses are not here: an ``IntEnum`` or ``StrEnum`` takes the slow path.
_PLAIN: frozenset[type] = frozenset({str, int, bool, type(None)})
_TEXT: frozenset[type] = frozenset({str})
#: Nesting beyond this is written by the standard library, as before.
_DEEPEST = 32


def _orjson_exact(value: Any, depth: int = 0) -> bool:
    """Whether orjson's sorted-keys text of ``value`` is byte for byte the standard library's
    canonical text: dicts with text keys, lists, tuples and the ``_PLAIN`` types, and floats
    that are finite and written without an exponent (orjson writes ``1e-05`` as ``0.00001``
    and NaN as ``null``, which the journal must refuse). Text of every code point but the
    lone surrogates (which orjson refuses) is escaped alike (``tests/store/test_canonical_json
    .py`` holds it to that)."""
    kind = type(value)
    if kind is dict:
        if not _TEXT.issuperset(map(type, value)):
            return False
        value = value.values()
    elif kind is not list and kind is not tuple:
        return kind is float and math.isfinite(value) and "e" not in repr(value)
    if _PLAIN.issuperset(map(type, value)):
        return True
    if depth >= _DEEPEST:
        return False
    return all(type(item) in _PLAIN or _orjson_exact(item, depth + 1) for item in value)


def canonical_json(value: Any) -> str:
    """The canonical JSON text of ``value`` (sorted keys, no spaces, UTF-8 characters as they
    are). Raises JournalError for values JSON cannot hold (NaN, infinities, non-string keys
    other than numbers, objects that are not JSON types).

    The text is the standard library's (the module docstring's ``json.dumps`` call); orjson
    writes it where it writes the same bytes (``_orjson_exact``; tested on every code point
    and on generated values, in ``tests/store/test_canonical_json.py``), several times
    faster: a record's data is encoded on the store's thread, which shares the interpreter
    lock with the event loop."""
    if _orjson_exact(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONEncodeError:
            pass  # a lone surrogate or an integer beyond 64 bits: as the standard library does
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise JournalError(f"audit data is not JSON: {exc}") from exc


def preimage(
    seq: int, ts: str, kind: str, actor: str, subject: str | None, data: str, prev_hash: str
) -> str:
    """The text whose SHA-256 is a record's hash (see the module docstring)."""
    return f"{seq}|{ts}|{kind}|{actor}|{subject or ''}|{data}|{prev_hash}"


def record_hash(
    seq: int, ts: str, kind: str, actor: str, subject: str | None, data: str, prev_hash: str
) -> str:
    """Lowercase hex SHA-256 of the UTF-8 preimage."""
    text = preimage(seq, ts, kind, actor, subject, data, prev_hash)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=4096)
def _is_secret_key(key: object) -> bool:
    # Cached: records of one kind repeat the same few keys thousands of times a second.
    name = str(key).lower()
    return any(word in name for word in _SECRET_KEY_WORDS)


def redact(value: Any) -> Any:
    """A copy of ``value`` with secrets replaced by ``"[redacted]"``: the value of any key named
    like a token, password, secret, authorization, signature, cookie, credential or API key, at
    any depth of mappings and lists, and any string that is a ``whsec_`` secret or a bearer or
    basic credential (``_is_secret_value``). Other values are returned as they are."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if _is_secret_key(key) else redact(item) for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str) and _is_secret_value(value):
        return REDACTED
    return value


def _is_secret_value(text: str) -> bool:
    """Whether ``text`` is a ``whsec_`` secret or a bearer or basic credential: the scheme's
    word and one token68 word that holds a digit or a symbol, or is long (a name such as
    "Basic Optics" or "Bearer of good news" is not one)."""
    found = _SECRET_VALUE.match(text)
    if found is None:
        return False
    word = found.group("credential")
    return word is None or len(word) >= _LETTERS_CREDENTIAL or not word.isalpha()


def _redacted_text(data: Mapping[str, Any]) -> str:
    """``canonical_json(redact(data))``, without the walk when no secret can be in it."""
    text = canonical_json(data)
    lowered = text.lower()
    if any(mark in lowered for mark in _SECRET_MARKS):
        text = canonical_json(redact(data))
    return text


def _check_field(name: str, value: str | None, *, required: bool) -> None:
    if value is None or value == "":
        if required:
            raise JournalError(f"audit {name} must not be empty")
        return
    if not isinstance(value, str):
        raise JournalError(f"audit {name} must be a string, got {type(value).__name__}")
    if "|" in value:
        raise JournalError(f"audit {name} {value!r} contains '|', which the hash preimage uses")


def append(
    conn: sqlite3.Connection,
    *,
    kind: str,
    actor: str,
    subject: str | None,
    data: Mapping[str, Any],
    ts: datetime,
) -> AuditRecord:
    """Appends one record to the journal and returns it.

    Must run inside the transaction that makes the change it records (a ``Store.write``
    function), so both commit or neither does. ``data`` is redacted, then stored as canonical
    JSON. Raises JournalError for a call outside a transaction, an empty ``kind`` or ``actor``,
    a ``|`` in ``kind``, ``actor`` or ``subject``, a naive ``ts``, or data that is not JSON.
    """
    if not conn.in_transaction:
        raise JournalError("journal.append must run inside a write transaction (Store.write)")
    _check_field("kind", kind, required=True)
    _check_field("actor", actor, required=True)
    _check_field("subject", subject, required=False)
    subject = subject or None
    ts_text = format_ts(ts)
    data_text = _redacted_text(data)
    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    digest = record_hash(seq, ts_text, kind, actor, subject, data_text, prev_hash)
    conn.execute(
        f"INSERT INTO audit ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, ts_text, kind, actor, subject, data_text, prev_hash, digest),
    )
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (HEAD_KEY, f"{seq} {digest}"),
    )
    return AuditRecord(seq, ts_text, kind, actor, subject, data_text, prev_hash, digest)


def append_many(
    conn: sqlite3.Connection,
    records: Sequence[tuple[str, str, str | None, Mapping[str, Any]]],
    *,
    ts: datetime,
) -> list[AuditRecord]:
    """Appends ``(kind, actor, subject, data)`` records with one timestamp, in order: the
    same records, hashes and chain as that many ``append`` calls, read and written with one
    statement each (the chain head is read once and stored once). Raises as ``append``."""
    if not records:
        return []
    if not conn.in_transaction:
        raise JournalError("journal.append must run inside a write transaction (Store.write)")
    ts_text = format_ts(ts)
    last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
    rows: list[AuditRecord] = []
    for kind, actor, subject, data in records:
        _check_field("kind", kind, required=True)
        _check_field("actor", actor, required=True)
        _check_field("subject", subject, required=False)
        subject = subject or None
        seq += 1
        data_text = _redacted_text(data)
        digest = record_hash(seq, ts_text, kind, actor, subject, data_text, prev_hash)
        rows.append(AuditRecord(seq, ts_text, kind, actor, subject, data_text, prev_hash, digest))
        prev_hash = digest
    insert_rows(
        conn,
        f"INSERT INTO audit ({_COLUMNS})",
        [(r.seq, r.ts, r.kind, r.actor, r.subject, r.data, r.prev_hash, r.hash) for r in rows],
    )
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (HEAD_KEY, f"{rows[-1].seq} {rows[-1].hash}"),
    )
    return rows


def _records(
    conn: sqlite3.Connection, where: str = "", params: tuple[Any, ...] = ()
) -> Iterator[AuditRecord]:
    cursor = conn.execute(f"SELECT {_COLUMNS} FROM audit {where} ORDER BY seq", params)
    cursor.arraysize = 256
    while rows := cursor.fetchmany():
        for row in rows:
            yield AuditRecord(*row)


def _malformed(record: AuditRecord) -> str | None:
    """Why a record cannot be a genuine one, judged from its fields alone; None if it can."""
    for name in ("kind", "actor", "subject"):
        value = getattr(record, name)
        if value is not None and not isinstance(value, str):
            return f"record {record.seq}'s {name} is not text"
        if value is not None and "|" in value:
            return f"record {record.seq}'s {name} contains '|'"
    if not isinstance(record.ts, str) or not _TS.match(record.ts):
        return f"record {record.seq}'s timestamp {record.ts!r} is not RFC 3339 UTC"
    if not isinstance(record.data, str):
        return f"record {record.seq}'s data is not text"
    for name in ("prev_hash", "hash"):
        value = getattr(record, name)
        if not isinstance(value, str) or not _HASH.match(value):
            return f"record {record.seq}'s {name} is not a SHA-256 hex digest"
    return None


def verify(conn: sqlite3.Connection, after: tuple[int, str] | None = None) -> VerifyResult:
    """Checks the whole chain in ``seq`` order, streaming (constant memory), and reports the
    first record that is missing, altered or out of the chain; also checks that the journal
    ends at the head recorded in ``meta``. Reads one snapshot: safe beside a running writer.

    With ``after`` = (seq, hash) of a record verified before, checks only the records after
    it: that record must still carry that hash, and the later ones must chain from it. What
    comes before it is taken as verified (``gate.storage.journal_checks`` says when that is
    sound); ``records`` then counts it as intact.
    """
    own_snapshot = not conn.in_transaction
    if own_snapshot:
        conn.execute("BEGIN")
    try:
        return _verify(conn, after)
    finally:
        if own_snapshot and conn.in_transaction:
            conn.execute("ROLLBACK")


def _verify(conn: sqlite3.Connection, after: tuple[int, str] | None) -> VerifyResult:
    start: AuditRecord | None = None
    if after is not None and after[0] > 0:
        seq, digest = after
        row = conn.execute(f"SELECT {_COLUMNS} FROM audit WHERE seq = ?", (seq,)).fetchone()
        if row is None:
            reason = f"truncated: record {seq}, verified before, is gone"
            return VerifyResult(False, seq - 1, seq, reason)
        start = AuditRecord(*row)
        if start.hash != digest:
            reason = f"re-chained: record {seq}'s hash is not the one verified before"
            return VerifyResult(False, seq - 1, seq, reason)
    last = _intact_chain(conn, start)
    if last is not None:
        return _check_head(conn, last[0], last[1])
    return _verify_slowly(conn, start)


def _intact_chain(
    conn: sqlite3.Connection, start: AuditRecord | None
) -> tuple[AuditRecord | None, int] | None:
    """The common case, fast: (the last record, the count) when every record after ``start``
    (all, when None) is well-formed and chained, else None and ``_verify_slowly`` finds and
    words the first fault. Checks what ``_verify_slowly`` checks, on plain rows: it runs at
    every start, over years of records."""
    sha256 = hashlib.sha256
    ts_ok = _TS.match
    prev_hash = GENESIS_HASH if start is None else start.hash
    expected = 1 if start is None else start.seq + 1
    row: tuple[Any, ...] | None = None
    # From the start, every row (a record numbered 0 or below is a fault to find, too).
    where, params = ("", ()) if start is None else ("WHERE seq > ?", (start.seq,))
    cursor = conn.execute(f"SELECT {_COLUMNS} FROM audit {where} ORDER BY seq", params)
    cursor.arraysize = 1024
    while rows := cursor.fetchmany():
        for row in rows:
            seq, ts, kind, actor, subject, data, prev, digest = row
            if (
                seq != expected
                or prev != prev_hash
                or type(kind) is not str
                or type(actor) is not str
                or (subject is not None and type(subject) is not str)
                or type(ts) is not str
                or type(data) is not str
                or "|" in kind
                or "|" in actor
                or (subject is not None and "|" in subject)
                or not ts_ok(ts)
            ):
                return None
            text = f"{seq}|{ts}|{kind}|{actor}|{subject or ''}|{data}|{prev}"
            if sha256(text.encode("utf-8")).hexdigest() != digest:
                return None
            prev_hash = digest
            expected += 1
    last = AuditRecord(*row) if row is not None else start
    return last, expected - 1


def _verify_slowly(conn: sqlite3.Connection, start: AuditRecord | None) -> VerifyResult:
    intact = 0 if start is None else start.seq
    prev: AuditRecord | None = start
    where, params = ("", ()) if start is None else ("WHERE seq > ?", (start.seq,))
    for record in _records(conn, where, params):
        expected = prev.seq + 1 if prev else 1
        if record.seq != expected:
            after = f" after {prev.seq}" if prev else f" (the journal starts at {record.seq})"
            if record.seq == expected + 1:
                gap = f"record {expected}"
            else:
                gap = f"records {expected} to {record.seq - 1}"
            return VerifyResult(False, intact, expected, f"gap: {gap} missing{after}")
        problem = _malformed(record)
        if problem:
            return VerifyResult(False, intact, record.seq, f"malformed: {problem}")
        if prev is None and record.prev_hash != GENESIS_HASH:
            reason = "chain broken: record 1's prev_hash is not the genesis hash (64 zeros)"
            return VerifyResult(False, intact, record.seq, reason)
        if prev is not None and record.prev_hash != prev.hash:
            reason = (
                f"chain broken: record {record.seq}'s prev_hash does not match record {prev.seq}"
            )
            return VerifyResult(False, intact, record.seq, reason)
        digest = record_hash(
            record.seq,
            record.ts,
            record.kind,
            record.actor,
            record.subject,
            record.data,
            record.prev_hash,
        )
        if digest != record.hash:
            reason = f"hash mismatch: record {record.seq} was altered"
            return VerifyResult(False, intact, record.seq, reason)
        intact += 1
        prev = record
    return _check_head(conn, prev, intact)


def _check_head(conn: sqlite3.Connection, last: AuditRecord | None, intact: int) -> VerifyResult:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (HEAD_KEY,)).fetchone()
    if row is None:
        if last is None:
            return VerifyResult(True, 0)
        reason = f"head missing: meta has no {HEAD_KEY} but the journal has {intact} records"
        return VerifyResult(False, intact, None, reason)
    head_seq_text, _, head_hash = str(row[0]).partition(" ")
    head_seq = int(head_seq_text) if head_seq_text.isdigit() else -1
    last_seq = last.seq if last else 0
    if head_seq > last_seq:
        if head_seq == last_seq + 1:
            missing = f"record {head_seq}"
        else:
            missing = f"records {last_seq + 1} to {head_seq}"
        reason = f"truncated: {missing} missing at the end (the head names record {head_seq})"
        return VerifyResult(False, intact, last_seq + 1, reason)
    if last is None or head_seq != last_seq or head_hash != last.hash:
        reason = f"head mismatch: the recorded head ({row[0]}) is not the last record {last_seq}"
        return VerifyResult(False, intact, last_seq or None, reason)
    return VerifyResult(True, intact)


def time_range(start: datetime | None, end: datetime | None) -> tuple[list[str], list[str]]:
    """The WHERE clauses and parameters of ``start <= ts < end`` (either bound may be None).
    Raises JournalError for a naive bound or an empty range."""
    clauses: list[str] = []
    params: list[str] = []
    if start is not None:
        clauses.append("ts >= ?")
        params.append(format_ts(start))
    if end is not None:
        clauses.append("ts < ?")
        params.append(format_ts(end))
    if start is not None and end is not None and start >= end:
        raise JournalError(f"empty range: the start {params[0]} is not before the end {params[1]}")
    return clauses, params


def export(
    conn: sqlite3.Connection, start: datetime | None, end: datetime | None, out: TextIO
) -> int:
    """Writes the records with ``start <= ts < end`` (either bound may be None) to ``out`` as
    JSON lines, one object per record with every column and ``data`` as an object, in ``seq``
    order; returns how many. Raises JournalError for a naive bound or an empty range.

    Text stays readable (no ``ensure_ascii``), but what a terminal would run or a display
    reorder is escaped (``escape_refused``): a rejected scan's code and a refused request's
    path are journaled as they came, and a C1 CSI (U+009B) in a barcode went raw to the
    officer's terminal (attack20). Each line reads back as the same JSON value."""
    clauses, params = time_range(start, end)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    count = 0
    for record in _records(conn, where, tuple(params)):
        line = json.dumps(record.as_json_object(), ensure_ascii=False, allow_nan=False)
        out.write(escape_refused(line))
        out.write("\n")
        count += 1
    return count
