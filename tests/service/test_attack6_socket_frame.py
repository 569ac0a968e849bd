"""One batch frame on the scanner socket is decided as one batch: a seal sent while it is
decided falls before or after all of its scans, never between two parts of it. The socket cut
the scans of a read into calls of 500 and awaited each to durability, so a seal fell between
the two parts of a frame of 700: its last 200 reads became reads after the seal, refused and
not counted, and the door was held after the truck had left (attack6)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gate.ingest.scanner_socket import MAX_BATCH, MAX_SCANS_PER_FRAME
from gate.web import app_keys
from tests.service.harness import Gate, gtin_with
from tests.service.test_scanner_socket import Reader


async def test_a_seal_sent_while_a_frame_is_decided_falls_after_all_of_it(
    gate: Gate, demo_config: Path, address: tuple[str, int]
) -> None:
    """A frame of MAX_BATCH + 200 reads at D1 (within the frame limit), and a seal of D1 sent
    once the gate is deciding it: every read of the frame is accepted into the open
    shipment, the shipment counts them all, and the door is not held."""
    n = MAX_BATCH + 200
    assert n <= MAX_SCANS_PER_FRAME
    await gate.create("S1", "D1")
    docks = gate.app[app_keys.DOCKS]
    gtin = gtin_with(demo_config, "")
    reads = [
        {"scan_id": f"f{i}", "reader": "portal", "door": "D1", "code": f"]C101{gtin}21F{i}"}
        for i in range(n)
    ]
    conn = await Reader.connect(address)
    try:
        assert (await conn.auth()).get("ok")
        await conn.write({"scans": reads})
        while not docks.scan_path.turns.busy():
            await asyncio.sleep(0)  # one step of the loop: the frame is being decided
        seal = asyncio.ensure_future(docks.seal("S1", "wms"))
        answer = await conn.recv()
        await seal
    finally:
        await conn.close()
    assert {"accepted"} == {r["status"] for r in answer["results"]}
    status, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert (200, n) == (status, sum(line["quantity"] for line in doc["lines"]))
    assert gate.app[app_keys.HOLDS].held.get("D1") is None
