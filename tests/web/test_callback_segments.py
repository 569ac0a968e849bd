"""Signed callbacks that arrive in several TCP segments are read whole before they are
verified (issue 11.2): a raw socket client sends a valid signed body in parts, with pauses."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import time
from pathlib import Path
from typing import Any

from gate.core.signatures import signed_headers
from tests.central.test_central_link import approval, held, office_key
from tests.fake_office import Office
from tests.service.harness import Gate

SEGMENTS = 5


async def post_in_segments(g: Gate, path: str, raw: bytes, headers: dict[str, str]) -> bytes:
    """POSTs ``raw`` over a fresh socket: the head, then the body in SEGMENTS parts, each
    flushed on its own (Nagle off) after the server has had a moment to read the last one.
    Returns the whole answer."""
    host, port = g.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head += ["Content-Type: application/json", f"Content-Length: {len(raw)}"]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    await writer.drain()
    step = -(-len(raw) // SEGMENTS)
    for start in range(0, len(raw), step):
        # The pause is the attack (a body spread over a real network's segments), not a wait
        # for a result: the server must read what has come and wait for the rest.
        await asyncio.sleep(0.05)
        writer.write(raw[start : start + step])
        await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


def status_and_body(answer: bytes) -> tuple[int, Any]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


async def test_segmented_signed_approval_is_accepted(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """A valid signed approval of more than 2 KB, sent in five segments with pauses between
    them, clears the held shipment."""
    _, request = await held(gate, demo_config, office)
    body = approval(request["request_id"], "EXP-2026-0099", reason="approved. " * 200)
    raw = json.dumps(body).encode()
    assert len(raw) > 2048
    headers = signed_headers(
        "msg_split", int(time.time()), raw, private_key=office_key(demo_config)
    )
    status, answer = status_and_body(
        await post_in_segments(gate, "/api/v1/approvals", raw, headers)
    )
    assert (200, "cleared") == (status, answer["shipment"]["state"]), answer


async def test_segmented_signed_licence_is_stored(gate: Gate, demo_config: Path) -> None:
    """A valid signed standing licence of more than 2 KB, sent in five segments with pauses,
    is stored."""
    now = dt.datetime.now(dt.UTC)
    body = {
        "number": "SL-2026-0007",
        "consignee": {"name": "Acme Precision GmbH", "country": "DE"},
        "destination": "DE",
        "controls": [f"9.A.{n}" for n in range(1, 300)],
        "quantity": 50,
        "valid_from": (now - dt.timedelta(days=1)).isoformat(),
        "valid_until": (now + dt.timedelta(days=30)).isoformat(),
    }
    raw = json.dumps(body).encode()
    assert len(raw) > 2048
    headers = signed_headers("msg_lic", int(time.time()), raw, private_key=office_key(demo_config))
    status, answer = status_and_body(await post_in_segments(gate, "/api/v1/licences", raw, headers))
    assert (200, "SL-2026-0007") == (status, answer.get("number")), answer
    _, listed = await gate.call("GET", "/api/v1/licences")
    assert ["SL-2026-0007"] == [x["number"] for x in listed["licences"]]
