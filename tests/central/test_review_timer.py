"""The review timer of a running gate (``gate.web.app._review``): it holds a shipment again
when its approval runs out, on time, while other doors keep changing their shipments."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from gate.web import app_keys
from tests.central.test_central_link import approval, callback, held, office_key
from tests.fake_office import Office
from tests.service.harness import Gate, gtin_with, until

#: Seconds the approval in these tests is valid for.
VALID = 3.0


async def test_the_timer_holds_a_shipment_whose_approval_ran_out_during_a_busy_dock(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """An approved shipment is held again once its approval's licence has run out, by the
    timer alone (no request names it), while scans at another door change a shipment there
    all along: the changes delay the timer's work by its pause at most, never indefinitely."""
    _, request = await held(gate, demo_config, office)
    body = approval(request["request_id"], "L-brief", seconds=VALID)
    status, answer = await callback(gate, "/api/v1/approvals", body, key=office_key(demo_config))
    assert (200, "cleared") == (status, answer["shipment"]["state"])
    ends = dt.datetime.fromisoformat(body["licence"]["valid_until"])
    await gate.create("S2", door="D2")
    bolt = gtin_with(demo_config, "")

    async def busy_dock() -> None:
        while True:
            await gate.scan(bolt, door="D2")
            await asyncio.sleep(0.005)

    async def is_held() -> bool:
        _, doc = await gate.call("GET", "/api/v1/shipments/S1")
        return bool(doc["state"] == "held")

    scanning = asyncio.create_task(busy_dock())
    try:
        await until(is_held, "the timer to hold S1 again", timeout=VALID + 10)
    finally:
        scanning.cancel()
    held_at = dt.datetime.now(dt.UTC)
    assert ends <= held_at
    docks = gate.app[app_keys.DOCKS]
    assert 1 < docks.shipments[docks.current["D2"]].lines[0].quantity
