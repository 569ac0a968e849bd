"""Signed checkpoints of the audit journal: its length and head hash, anchored off the box.

The hash chain shows an altered record, but not a chain rebuilt from the altered record on, or a
journal cut short with its head marker moved back: whoever can write the database file can
also rewrite every later hash and the head in ``meta``. What they cannot rewrite is a copy kept
elsewhere. So the gate takes a checkpoint now and then (``records``: the journal's length,
``head_hash``: the hash of record number ``records``, and the time), signs it with its own
secret the Standard Webhooks way (HMAC-SHA256 over ``id.timestamp.body``, the scheme of its
licence requests), journals it, and queues it in ``journal_checkpoints``, a durable outbox
delivered to ``{central.url}/journal-checkpoints`` (see ``gate.links.checkpoint_sender``).

A checkpoint taken at N records commits to every one of them: changing any record up to N
changes the hash of record N (each hash covers the one before it). So a journal checked against
a checkpoint the office kept fails when it has fewer than N records (``truncated``) or when its
record N does not carry the signed head hash (``re-chained``), whatever the head in ``meta``
says, and the signature shows the checkpoint itself was made by this gate and not altered.

The checkpoint document (what the office keeps; ``gate audit verify --checkpoint FILE`` reads
it) is the JSON body the office received, with the value of its ``webhook-signature`` header
added as ``signature``::

    {"checkpoint_id": "ckpt-1234-9f2c...", "gate_id": "dock-a", "records": 1234,
     "head_hash": "9f2c...", "created_at": "2026-11-29T10:00:00.000000Z",
     "timestamp": 1795946400, "signature": "v1,base64..."}

The signed body is the canonical JSON (sorted keys, no spaces) of every field but
``signature``; the webhook id is ``checkpoint_id`` and the webhook timestamp ``timestamp``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gate.core.signatures import sign_v1
from gate.errors import JournalError
from gate.storage import journal

#: The kind of the journal record a checkpoint is written as.
CHECKPOINT_KIND = "journal.checkpoint"
_FIELDS: Mapping[str, type] = {
    "checkpoint_id": str,
    "gate_id": str,
    "records": int,
    "head_hash": str,
    "created_at": str,
    "timestamp": int,
}


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One signed checkpoint: the journal had ``records`` records, the last one ``head_hash``."""

    checkpoint_id: str
    gate_id: str
    records: int
    head_hash: str
    created_at: str
    timestamp: int
    signature: str

    def fields(self) -> dict[str, Any]:
        """Every signed field (all but the signature)."""
        return {name: getattr(self, name) for name in _FIELDS}

    def body(self) -> bytes:
        """The signed body, byte for byte: the canonical JSON of ``fields``."""
        return journal.canonical_json(self.fields()).encode("utf-8")

    def document(self) -> dict[str, Any]:
        """What the office keeps, and what ``--checkpoint`` reads: the fields and the
        signature."""
        return {**self.fields(), "signature": self.signature}

    def headers(self) -> dict[str, str]:
        """The Standard Webhooks headers of its delivery."""
        return {
            "webhook-id": self.checkpoint_id,
            "webhook-timestamp": str(self.timestamp),
            "webhook-signature": self.signature,
        }


def sign(secret: bytes, fields: Mapping[str, Any]) -> Checkpoint:
    """A Checkpoint of ``fields`` (the keys of ``_FIELDS``) signed with ``secret`` (v1)."""
    body = journal.canonical_json(dict(fields)).encode("utf-8")
    signature = sign_v1(secret, fields["checkpoint_id"], fields["timestamp"], body)
    return Checkpoint(**fields, signature=signature)


def take(
    conn: sqlite3.Connection, *, gate_id: str, secret: bytes, now: datetime
) -> Checkpoint | None:
    """Inside a write: signs a checkpoint of the journal as it stands, journals it and queues
    it for the office. None when the journal has not grown since the last checkpoint (its own
    record aside), so an idle gate does not pile up checkpoints. Raises JournalError."""
    head = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    if head is None:
        return None
    records, head_hash = int(head[0]), str(head[1])
    last = conn.execute("SELECT max(records) FROM journal_checkpoints").fetchone()[0]
    if last is not None and records <= last + 1:
        return None
    created_at = journal.format_ts(now)
    checkpoint = sign(
        secret,
        {
            "checkpoint_id": f"ckpt-{records}-{head_hash[:16]}",
            "gate_id": gate_id,
            "records": records,
            "head_hash": head_hash,
            "created_at": created_at,
            "timestamp": int(now.timestamp()),
        },
    )
    journal.append(
        conn, kind=CHECKPOINT_KIND, actor="gate", subject=None, data=checkpoint.fields(), ts=now
    )
    conn.execute(
        "INSERT INTO journal_checkpoints (checkpoint_id, records, head_hash, body, signature,"
        " created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            checkpoint.checkpoint_id,
            records,
            head_hash,
            checkpoint.body().decode("utf-8"),
            checkpoint.signature,
            created_at,
            now.isoformat(),
        ),
    )
    return checkpoint


def local_mismatch(conn: sqlite3.Connection) -> str | None:
    """Why the journal disagrees with the newest checkpoint this database recorded, or None.

    The same file holds both, so this is no anchor (the office's copy is): it only catches a
    tail cut, or a re-chain, done by someone who did not also edit ``journal_checkpoints``.
    """
    exists = conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'journal_checkpoints'"
    ).fetchone()
    if exists is None:
        return None  # a database from before checkpoints, read by a tool before a gate ran
    row = conn.execute(
        "SELECT checkpoint_id, records, head_hash FROM journal_checkpoints"
        " ORDER BY records DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    checkpoint_id, records, head_hash = row
    found = conn.execute("SELECT hash FROM audit WHERE seq = ?", (records,)).fetchone()
    if found is None:
        return (
            f"audit journal TRUNCATED: checkpoint {checkpoint_id} counted {records} records,"
            f" record {records} is gone"
        )
    if found[0] != head_hash:
        return (
            f"audit journal RE-CHAINED: record {records}'s hash is not the head hash of"
            f" checkpoint {checkpoint_id}"
        )
    return None


def parse_document(doc: object) -> Checkpoint:
    """A Checkpoint from the office's copy (``Checkpoint.document``). Raises JournalError
    naming the field that is missing, of the wrong type, or holds text that is not printable
    (a control character, a bidirectional or invisible mark). Does not check the signature."""
    if not isinstance(doc, Mapping):
        raise JournalError("the checkpoint is not a JSON object")
    values: dict[str, Any] = {}
    for name, kind in {**_FIELDS, "signature": str}.items():
        value = doc.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise JournalError(f"the checkpoint has no {kind.__name__} field {name!r}")
        if isinstance(value, str) and not value.isprintable():
            # Its fields are printed (the id even when the signature fails): an escape
            # sequence or a line break in one would print what the file likes (attack19).
            raise JournalError(f"the checkpoint's {name} holds a character that is not printable")
        values[name] = value
    if values["records"] < 1:
        raise JournalError("the checkpoint's records must be at least 1")
    return Checkpoint(**values)


def signed_by(checkpoint: Checkpoint, secret: bytes) -> bool:
    """Whether one of the checkpoint's v1 signatures was made with ``secret`` over its body.
    No time tolerance: a checkpoint is checked long after it was made."""
    expected = sign_v1(secret, checkpoint.checkpoint_id, checkpoint.timestamp, checkpoint.body())
    expected_raw = base64.b64decode(expected[3:])
    for part in checkpoint.signature.split(" "):
        scheme, _, value = part.partition(",")
        if scheme != "v1":
            continue
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected_raw, raw):
            return True
    return False


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    """The outcome of ``verify_against``: ``ok``, and one line saying why (or what matched)."""

    ok: bool
    text: str

    def __str__(self) -> str:
        return self.text


def verify_against(
    conn: sqlite3.Connection, checkpoint: Checkpoint, *, secret: bytes, gate_id: str
) -> CheckpointResult:
    """Checks the journal against a checkpoint the office kept: the checkpoint is this gate's
    and signed by it, the journal still holds its records, its record N carries the signed head
    hash, and the whole chain verifies. Reads one snapshot."""
    if not signed_by(checkpoint, secret):
        return CheckpointResult(
            False,
            f"checkpoint {checkpoint.checkpoint_id}: the signature does not verify with"
            " central.signing_secret (not made by this gate, or altered)",
        )
    if checkpoint.gate_id != gate_id:
        return CheckpointResult(
            False,
            f"checkpoint {checkpoint.checkpoint_id} is gate {checkpoint.gate_id!r}'s,"
            f" this config is gate {gate_id!r}",
        )
    own_snapshot = not conn.in_transaction
    if own_snapshot:
        conn.execute("BEGIN")
    try:
        return _against(conn, checkpoint)
    finally:
        if own_snapshot and conn.in_transaction:
            conn.execute("ROLLBACK")


def _against(conn: sqlite3.Connection, checkpoint: Checkpoint) -> CheckpointResult:
    n = checkpoint.records
    (count,) = conn.execute("SELECT count(*) FROM audit WHERE seq <= ?", (n,)).fetchone()
    (last,) = conn.execute("SELECT coalesce(max(seq), 0) FROM audit").fetchone()
    if count < n:
        return CheckpointResult(
            False,
            f"audit journal TRUNCATED: checkpoint {checkpoint.checkpoint_id}"
            f" ({checkpoint.created_at}) counts {n} records, the journal holds {count} of them"
            f" (its last record is {last})",
        )
    row = conn.execute("SELECT hash FROM audit WHERE seq = ?", (n,)).fetchone()
    if row is None or row[0] != checkpoint.head_hash:
        return CheckpointResult(
            False,
            f"audit journal RE-CHAINED: record {n}'s hash is not the head hash of checkpoint"
            f" {checkpoint.checkpoint_id} ({checkpoint.created_at}): records up to {n} were"
            " rewritten",
        )
    chain = journal.verify(conn)
    if not chain.ok:
        return CheckpointResult(False, str(chain))
    return CheckpointResult(
        True,
        f"{chain}; checkpoint {checkpoint.checkpoint_id} ({n} records,"
        f" {checkpoint.created_at}) matches",
    )
