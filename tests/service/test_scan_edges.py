"""Edges of the scan answer found by attacking a running gate: a door with no shipment is
idle (never green) in a scan's answer, and a msgpack scan whose keys are bytes is a rejected
result beside the valid scans of its batch, not a 500."""

from __future__ import annotations

from pathlib import Path

import msgpack

from tests.conftest import SCANNER_TOKEN
from tests.service.harness import SCANNER_TOKENS, Gate, gtin_with


async def test_a_scan_at_a_door_with_no_shipment_reports_the_door_idle(
    gate: Gate, demo_config: Path
) -> None:
    """The rejected answer for a door with no open shipment says the door is idle: green
    would tell a driver a cleared shipment stands there."""
    result = await gate.scan(gtin_with(demo_config, ""), door="D3")
    assert ("rejected", {"id": "D3", "signal": "idle"}) == (result["status"], result["door"])


async def test_msgpack_scan_with_bytes_keys_is_rejected_and_the_batch_goes_on(
    gate: Gate, demo_config: Path
) -> None:
    """A batch holding one scan whose keys are bytes answers 200: that scan rejected (and
    journaled), the valid scan beside it accepted."""
    await gate.create()
    good = {"scan_id": "ok-1", "reader": "r1", "door": "D1", "code": gtin_with(demo_config, "")}
    body = msgpack.packb({"scans": [{b"scan_id": b"x", b"door": b"D1"}, good]})
    token = SCANNER_TOKENS.get("D1", SCANNER_TOKEN)
    status, answer = await gate.call(
        "POST", "/api/v1/scans", raw=body, content_type="application/msgpack", token=token
    )
    assert 200 == status, answer
    assert ["rejected", "accepted"] == [r["status"] for r in answer["results"]]
