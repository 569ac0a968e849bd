"""Edges of scanner input: a scan's names hold no control characters on either path, and a
msgpack value declared longer than the frame limit closes the scanner connection as soon as
its header arrives.

An attack stored a scan whose ``scan_id`` held a NUL, over the socket and over HTTP alike (one
check, ``gate.service.input_checks``, both paths); and a 2 GiB string header left an
authenticated connection waiting for bytes that never came, because msgpack's unpacker checks
``max_str_len`` only once the whole string has arrived.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.ingest.scanner_socket import MAX_FRAME, DeclaredLengths
from tests.conftest import SCANNER_TOKEN
from tests.service.harness import Gate, gtin_with
from tests.service.test_scanner_socket import Reader, connect, scan
from tests.service.test_writer_process import stored

__all__ = ["connect"]  # the fixture, used by name (address: tests/service/conftest.py)


def stored_scans(gate: Gate) -> int:
    ((count,),) = stored(gate.config.database, "SELECT count(*) FROM scans")
    return int(count)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("scan_id", "n\x00"),
        ("scan_id", "esc\x1b[31m"),
        ("reader", "r\x00"),
        ("scan_id", "zero\u200bwidth"),
        ("shipment", "S1\x00"),
    ],
)
async def test_a_control_character_in_a_scan_name_is_rejected_on_both_paths(
    gate: Gate, demo_config: Path, connect: Any, field: str, value: str
) -> None:
    """The same scan with a control (or invisible) character in a name field: rejected over
    the socket and over HTTP with the same error naming the field; nothing stored."""
    await gate.create()
    raw = {**scan("c1", gtin_with(demo_config, "")), field: value}
    conn: Reader = await connect()
    assert True is (await conn.auth())["ok"]
    await conn.write(raw)
    by_socket = await conn.recv()
    status, answer = await gate.call(
        "POST", "/api/v1/scans", {**raw, "scan_id": raw["scan_id"] + "h"}, token=SCANNER_TOKEN
    )
    assert 200 == status
    by_http = answer["results"][0]
    assert ("rejected", "rejected") == (by_socket["status"], by_http["status"])
    assert field in by_socket["error"]
    assert (by_socket["error"], by_socket.get("field")) == (
        by_http["error"].replace(f"{raw['scan_id']}h", raw["scan_id"]),
        by_http.get("field"),
    )
    assert 0 == stored_scans(gate)


@pytest.mark.parametrize(
    "header",
    [
        b"\xdb\x7f\xff\xff\xff",  # str 32 of 2 GiB
        b"\xc6\xff\xff\xff\xff",  # bin 32 of 4 GiB
        b"\xc9\x00\x10\x00\x00\x05",  # ext 32 of 1 MiB
        b"\xdb" + (MAX_FRAME + 1).to_bytes(4, "big"),  # str 32, one byte over the limit
    ],
)
async def test_a_value_declared_over_the_limit_closes_at_once(
    gate: Gate, demo_config: Path, connect: Any, header: bytes
) -> None:
    """A scan, then the header of a value declared longer than the frame limit (inside a
    map, its first byte in one write and the rest in the next): the scan is answered, then
    an error map saying the declared length, and the connection closes without waiting for
    the bytes declared; nothing of the value is stored."""
    await gate.create()
    conn: Reader = await connect()
    assert True is (await conn.auth())["ok"]
    await conn.write(scan("h1", gtin_with(demo_config, "")), raw=b"\x81\xa7scan_id" + header[:1])
    assert "accepted" == (await conn.recv())["status"]
    await conn.write(raw=header[1:] + b"abc")
    answer = await conn.recv()
    assert "closed" == answer["status"]
    assert "declared" in answer["error"]
    assert await conn.closed_by_server()
    assert 1 == stored_scans(gate)


async def test_a_value_within_the_limit_sent_slowly_is_taken(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """A scan whose code is declared with a 4-byte length and sent in three writes is
    answered as a whole scan: the guard refuses only what is over the limit."""
    await gate.create()
    conn: Reader = await connect()
    assert True is (await conn.auth())["ok"]
    code = gtin_with(demo_config, "").encode()
    body = msgpack.packb({"scan_id": "w1", "reader": "r", "door": "D1"})
    frame = bytes([body[0] + 1]) + body[1:] + b"\xa4code\xdb" + len(code).to_bytes(4, "big") + code
    for piece in (frame[:-20], frame[-20:-5], frame[-5:]):
        await conn.write(raw=piece)
        await asyncio.sleep(0)  # each write its own read, as far as the loop allows
    assert "accepted" == (await conn.recv())["status"]


_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**64 - 1),
        st.floats(allow_nan=False),
        st.text(max_size=300),
        st.binary(max_size=300),
        st.builds(msgpack.ExtType, st.integers(0, 127), st.binary(max_size=300)),
    ),
    lambda inner: st.lists(inner, max_size=20) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=40,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_values, min_size=1, max_size=5), st.lists(st.integers(1, 400), max_size=30))
def test_the_guard_never_refuses_a_stream_within_the_limit(
    values: list[Any], cuts: list[int]
) -> None:
    """Any msgpack values with every length within the limit, in reads of any sizes: the
    guard refuses none of them (it keeps in step with the values' headers) and the unpacker
    gives each back whole."""
    stream = b"".join(msgpack.packb(v, use_bin_type=True) for v in values)
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    guard = DeclaredLengths(limit=1200)  # 300 characters of up to 4 bytes each
    got: list[Any] = []
    at = 0
    for size in [*cuts, len(stream)]:
        piece = stream[at : at + size]
        at += len(piece)
        unpacker.feed(piece)
        got += list(unpacker)
        assert None is guard.feed(piece)
    assert [
        msgpack.unpackb(msgpack.packb(v), raw=False, strict_map_key=False) for v in values
    ] == got


@given(st.integers(1, 40), st.sampled_from([b"\xd9\x29", b"\xc5\x00\x29", b"\xc8\x00\x29\x01"]))
def test_the_guard_finds_a_length_over_the_limit_wherever_the_reads_cut(
    cut: int, header: bytes
) -> None:
    """A str 8, bin 16 or ext 16 declared 41 bytes long after a map of scalars, against a
    limit of 40: refused in the read that completes its length, wherever the stream is cut."""
    stream = msgpack.packb({"a": [1, -1, 2.5, None, True, "xy", b"z"]}) + header
    guard = DeclaredLengths(limit=40)
    answers = [guard.feed(stream[:cut]), guard.feed(stream[cut:])]
    assert [a for a in answers if a is not None] == [
        "a value declared 41 bytes long is over the limit of 40: closing"
    ]
