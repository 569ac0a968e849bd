"""``POST /shipments/{id}/seal`` takes no body: none, or an empty object. Any other body is a
client meaning something the gate would ignore, so it is refused with a problem document and
the shipment stays open (an attack found every body accepted and the shipment sealed)."""

from __future__ import annotations

import json
from pathlib import Path

import msgpack
import pytest

from gate.storage.store import connect_readonly
from tests.service.harness import Gate, gtin_with

SEAL = "/api/v1/shipments/S1/seal"


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "kind"),
    [
        (b'{"force": true}', "application/json", 400, "unexpected-body"),
        (b"[]", "application/json", 400, "unexpected-body"),
        (b"null", "application/json", 400, "unexpected-body"),
        (b"{", "application/json", 400, "malformed-body"),
        (msgpack.packb({"x": 1}), "application/msgpack", 400, "unexpected-body"),
        (b"seal it", "text/plain", 415, "unsupported-media-type"),
        (b"\x00\xff", "application/octet-stream", 415, "unsupported-media-type"),
    ],
)
async def test_a_body_that_says_something_is_refused_and_nothing_sealed(
    gate: Gate, raw: bytes, content_type: str, status: int, kind: str
) -> None:
    """A body other than nothing or ``{}``: its problem document, the shipment still open,
    the refusal journaled."""
    await gate.create()
    got, problem = await gate.call("POST", SEAL, raw=raw, content_type=content_type)
    assert (status, kind) == (got, problem["type"].rsplit("/", 1)[1]), problem
    assert (status, True) == (problem["status"], bool(problem["detail"]))
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert "open" == doc["state"]
    conn = connect_readonly(gate.config.database)
    try:
        kind, data = conn.execute("SELECT kind, data FROM audit ORDER BY seq DESC").fetchone()
    finally:
        conn.close()
    assert ("request.rejected", SEAL, status) == (
        kind,
        json.loads(data)["path"],
        json.loads(data)["status"],
    )


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (None, None),
        (b"{}", "application/json"),
        (b" { }\n", "application/json"),
        (msgpack.packb({}), "application/msgpack"),
    ],
)
async def test_no_body_or_an_empty_object_seals(
    gate: Gate, demo_config: Path, raw: bytes | None, content_type: str | None
) -> None:
    """No body, or an empty JSON or msgpack object (what client libraries send for none):
    the shipment is sealed."""
    await gate.create()
    await gate.scan(gtin_with(demo_config, ""))
    got, doc = await gate.call("POST", SEAL, raw=raw, content_type=content_type)
    assert (200, "cleared") == (got, doc["state"])
