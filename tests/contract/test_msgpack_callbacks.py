"""The central office's signed callbacks take msgpack as every other body does (DESIGN.md 4,
HTTP API: "bodies with Content-Type: application/msgpack are accepted wherever JSON is, and
Accept: application/msgpack returns msgpack"): the signature covers the raw bytes, whatever
their encoding."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import msgpack

from gate.core.signatures import signed_headers
from tests.central.test_central_link import approval, held, licence_body, office_key
from tests.fake_office import Office
from tests.service.harness import Gate

MSGPACK = "application/msgpack"


async def signed_msgpack(
    g: Gate, path: str, body: dict[str, Any], key: Any, msg_id: str
) -> tuple[int, str, Any]:
    """POSTs ``body`` as msgpack, signed (v1a) over those bytes, asking for msgpack back;
    returns the status, the answer's content type and the decoded answer."""
    raw = msgpack.packb(body)
    headers = signed_headers(msg_id, int(time.time()), raw, private_key=key)
    headers.update({"Content-Type": MSGPACK, "Accept": MSGPACK})
    async with g.session.post(g.url + path, data=raw, headers=headers) as r:
        payload = await r.read()
        if r.content_type == MSGPACK:
            return r.status, r.content_type, msgpack.unpackb(payload)
        return r.status, r.content_type, json.loads(payload)


async def test_a_signed_msgpack_approval_releases_the_hold_and_is_answered_in_msgpack(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """An approval sent as msgpack clears the held shipment and is answered in msgpack; the
    same webhook id again is answered the same, in msgpack, and applied once."""
    _, request = await held(gate, demo_config, office)
    body = approval(request["request_id"], "L-MP")
    key = office_key(demo_config)
    first = await signed_msgpack(gate, "/api/v1/approvals", body, key, "msg_mp")
    assert (200, MSGPACK, "cleared") == (
        first[0],
        first[1],
        first[2].get("shipment", {}).get("state"),
    )
    again = await signed_msgpack(gate, "/api/v1/approvals", body, key, "msg_mp")
    assert first == again
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert ("cleared", 1) == (doc["state"], len(doc["approvals"]))


async def test_a_signed_msgpack_licence_is_stored(gate: Gate, demo_config: Path) -> None:
    """A standing licence pushed as msgpack is stored and listed."""
    status, ctype, answer = await signed_msgpack(
        gate, "/api/v1/licences", licence_body(5, "SL-MP"), office_key(demo_config), "msg_l"
    )
    assert (200, MSGPACK, "SL-MP") == (status, ctype, answer.get("number"))
    _, licences = await gate.call("GET", "/api/v1/licences")
    assert ["SL-MP"] == [x["number"] for x in licences["licences"]]


async def test_a_signed_msgpack_clearance_is_stored(gate: Gate, demo_config: Path) -> None:
    """A false-positive clearance sent as msgpack is stored and listed."""
    _, screened = await gate.call("POST", "/api/v1/screen", {"name": "Sultani Makenga"})
    hit = screened["hits"][0]
    body = {
        "party": {"name": "Sultani Makenga", "country": "DE"},
        "list": hit["list"],
        "entry": hit["entry"],
        "version": hit["version"],
    }
    status, ctype, answer = await signed_msgpack(
        gate, "/api/v1/clearances", body, office_key(demo_config), "msg_c"
    )
    assert (200, MSGPACK, True) == (status, ctype, answer.get("stored"))
    _, cleared = await gate.call("GET", "/api/v1/clearances")
    assert [hit["entry"]] == [c["entry"] for c in cleared["clearances"]]
