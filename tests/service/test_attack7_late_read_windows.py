"""Storing a truck's reads after its seal costs work in proportion to the reads.

Each read after the seal is a window of the door's hold, written with its scan batch; each
window stored took itself out of lists of every window still in flight, so a portal's reads
after a seal cost the loop in the square of their number: 4,000 of them (four portals' batches
of 1,000) held the loop for seconds and a single scan at another door waited 5 to 8 s
(attack7). The work is counted as Python calls made in gate/service/door_holds.py (every
comprehension and generator is one), not timed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

from gate.service import door_holds
from tests.conftest import SCANNER_TOKEN
from tests.service.harness import Gate, gtin_with

READS = 1000  # the most one request carries


async def test_a_batch_of_reads_after_the_seal_stores_its_windows_in_linear_work(
    gate: Gate, demo_config: Path
) -> None:
    """A sealed shipment, then one batch of READS new units at its door: every read is a
    window of the door's hold, and door_holds makes fewer than 40 calls a window to hold and
    store them all (about 10 now; 2,000 a window before)."""
    await gate.create()
    status, body = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert 200 == status, body
    gtin = gtin_with(demo_config, "")
    scans = [
        {"scan_id": f"late{i}", "reader": "portal", "door": "D1", "code": f"(01){gtin}(21)L{i}"}
        for i in range(READS)
    ]
    calls = 0
    here = door_holds.__file__

    def count(frame: FrameType, event: str, _: Any) -> None:
        nonlocal calls
        if event == "call" and frame.f_code.co_filename == here:
            calls += 1

    sys.setprofile(count)
    try:
        status, body = await gate.call(
            "POST", "/api/v1/scans", {"scans": scans}, token=SCANNER_TOKEN
        )
    finally:
        sys.setprofile(None)
    assert 200 == status, body
    assert {"rejected"} == {r["status"] for r in body["results"]}
    status, door = await gate.call("GET", "/api/v1/doors/D1")
    assert READS == door["hold"]["windows"]
    assert calls < 40 * READS, f"{calls} calls in door_holds for {READS} windows"
