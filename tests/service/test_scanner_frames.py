"""The scanner socket closes a connection only when its stream can no longer be framed
(DESIGN.md 4, "Scanner socket": "Bad frames get an error map and, if the stream can no longer
be framed, the connection is closed"): a well-framed map whose keys are not text is a bad
frame, answered, and the connection stays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.service.harness import Gate, gtin_with
from tests.service.test_scanner_socket import connect, scan

__all__ = ["connect"]  # the fixture, used by name


async def test_a_map_with_a_number_for_a_key_is_answered_and_the_connection_stays(
    gate: Gate, demo_config: Path, connect: Any
) -> None:
    """``{1: 2}`` (valid msgpack, not a scan) gets a rejected answer naming the key; the same
    connection then scans normally."""
    await gate.create()
    conn = await connect()
    await conn.auth()
    await conn.write({1: 2})
    answer = await conn.recv()
    assert ("rejected", "1") == (answer.get("status"), answer.get("field")), answer
    await conn.write(scan("after", gtin_with(demo_config, "")))
    answer = await conn.recv()
    assert ("after", "accepted") == (answer["scan_id"], answer["status"])


async def test_a_map_with_an_array_for_a_key_closes_the_connection(
    gate: Gate, connect: Any
) -> None:
    """A map keyed by an array cannot be taken apart into fields (nor the stream after it
    framed again): the connection is told and closed."""
    await gate.create()
    conn = await connect()
    await conn.auth()
    await conn.write(raw=b"\x81\x91\x01\x02")
    answer = await conn.recv()
    assert "closed" == answer["status"]
    assert await conn.closed_by_server()
