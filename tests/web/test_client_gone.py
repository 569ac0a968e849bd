"""A client that closes its connection mid-body (headers sent, the body cut short) costs the
gate nothing it keeps: no ERROR with a traceback in the log and no journal record, however
many do it, unauthenticated (an attack filled the log with 200 tracebacks); the gate goes on
answering."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

import pytest

from gate.storage.store import connect_readonly
from tests.conftest import SCANNER_TOKEN
from tests.service.harness import Gate


def rejections(gate: Gate) -> int:
    """The refused requests the journal holds."""
    conn = connect_readonly(gate.config.database)
    try:
        sql = "SELECT count(*) FROM audit WHERE kind = 'request.rejected'"
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


async def test_bodies_cut_short_leave_no_trace(
    gate: Gate, caplog: pytest.LogCaptureFixture
) -> None:
    """Twenty bodies cut short (callbacks and a scanner's scans): no ERROR logged, no refusal
    journaled, and the next request is answered."""
    caplog.set_level(logging.INFO)
    where = urlsplit(gate.url)
    # The office's callbacks (read before their signature is checked) and a scanner's scans.
    sends = [("/api/v1/approvals", ""), ("/api/v1/scans", f"Bearer {SCANNER_TOKEN}")] * 10
    for path, token in sends:
        _, writer = await asyncio.open_connection(where.hostname, where.port)
        auth = f"Authorization: {token}\r\n" if token else ""
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\n"
            'Content-Length: 1000\r\n\r\n{"a'.encode()
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    # A refused request is journaled before it is answered: one answered after the cut
    # bodies has its record stored after theirs would be.
    status, _ = await gate.call("GET", "/api/v1/nothing-here")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert (404, [], 1) == (status, errors, rejections(gate))
