"""Attack17: a scan whose key is not text came back, and went into the journal, five times
its size; and a token sent again under another spelling of ``auth`` was journaled.

Since review17 the scanner socket frames a map keyed by anything hashable (numbers, bytes,
msgpack extensions) and answers it as a rejected scan "naming the key"; ``POST /scans`` in
msgpack took bytes keys before. The refusal named every unknown key in full, as ``repr``: one
frame of 60 KB (a single bytes key of NULs, four characters each as ``\\x00``) was answered
with 600 KB (the error and the field) and journaled as a 300 KB ``scan.rejected`` record, in
the permanent, hash-chained audit journal, for every such frame a scanner's token sends.

Now a refusal names at most five unknown keys, each cut to 64 characters.
"""

from __future__ import annotations

from typing import Any

import msgpack

from gate.storage.schema import connect_readonly
from tests.service.conftest import address
from tests.service.harness import SCANNER_TOKEN, Gate
from tests.service.test_scanner_socket import connect

__all__ = ["address", "connect"]  # the fixtures, used by name


def _rejected_records(gate: Gate) -> list[str]:
    db = connect_readonly(gate.config.database)
    try:
        rows = db.execute("SELECT data FROM audit WHERE kind = 'scan.rejected'").fetchall()
    finally:
        db.close()
    return [data for (data,) in rows]


async def test_a_huge_key_is_named_briefly_in_the_answer_and_the_journal(
    gate: Gate, connect: Any
) -> None:
    conn = await connect()
    await conn.auth()
    frames = [
        {b"\x00" * 60_000: 1},
        {msgpack.ExtType(5, b"\x00" * 60_000): 1},
        {"k" * 60_000: 1},
        {f"extra-{i}": i for i in range(900)},
    ]
    for frame in frames:
        await conn.write(frame)
        answer = await conn.recv()
        assert "rejected" == answer["status"], str(answer)[:300]
        assert len(answer["error"]) < 1000 and len(answer["field"]) <= 64, str(answer)[:300]
    records = _rejected_records(gate)
    assert len(frames) == len(records)
    assert max(len(data) for data in records) < 3000, [len(data) for data in records]


async def test_a_number_key_is_still_named(gate: Gate, connect: Any) -> None:
    conn = await connect()
    await conn.auth()
    await conn.write({1: 2, b"ab": 3})
    answer = await conn.recv()
    assert ("rejected", "1") == (answer["status"], answer["field"])
    assert "unknown field(s): 1, b'ab'" == answer["error"]


async def test_a_token_sent_again_under_another_spelling_of_auth_is_not_journaled(
    gate: Gate, connect: Any
) -> None:
    """``{"Auth": TOKEN}`` or ``{b"auth": TOKEN}`` mid-session is a rejected scan, as
    ``{"auth": TOKEN}`` is; the journal kept the token whole (or 24 of its characters, in a
    shortened repr)."""
    conn = await connect()
    await conn.auth()
    for key in ("Auth", b"auth", "AUTH"):
        await conn.write({key: SCANNER_TOKEN})
        assert "rejected" == (await conn.recv())["status"]
    records = _rejected_records(gate)
    assert 3 == len(records)
    assert [] == [
        data for data in records if SCANNER_TOKEN[:10] in data or SCANNER_TOKEN[-10:] in data
    ]
