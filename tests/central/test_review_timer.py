"""The review timer of a running gate (``gate.web.app._review``): it holds a shipment again
when its approval runs out, on time, while other doors keep changing their shipments."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from gate.web import app_keys
from tests.central.test_central_link import approval, callback, held, office_key
from tests.fake_office import Office
from tests.service.harness import Gate, Gates, ManualClock, gtin_with, until

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
        while True:  # one scan after another: each awaits its answer
            await gate.scan(bolt, door="D2")

    async def is_held() -> bool:
        _, doc = await gate.call("GET", "/api/v1/shipments/S1")
        return bool(doc["state"] == "held")

    scanning = asyncio.create_task(busy_dock())
    try:
        await until(is_held, "the timer to hold S1 again", timeout=VALID + 10)
    finally:
        scanning.cancel()
    held_at = gate.app[app_keys.DOCKS].clock()
    assert ends <= held_at
    docks = gate.app[app_keys.DOCKS]
    assert 1 < docks.shipments[docks.current["D2"]].lines[0].quantity


async def test_a_moment_that_passed_while_changes_gathered_is_not_skipped(
    gates: Gates, demo_config: Path, office: Office
) -> None:
    """When the clock is already past an approval's end by the time the timer looks again
    (here: moved past it, with a change at another door to wake the timer), the timer
    decides again at once: a moment is not lost because the next one is worked out from a
    later ``now``."""
    clock = ManualClock()
    gate = await gates.start(clock=clock)
    _, request = await held(gate, demo_config, office)
    body = approval(request["request_id"], "L-hour", seconds=3600, now=clock.now())
    status, answer = await callback(gate, "/api/v1/approvals", body, key=office_key(demo_config))
    assert (200, "cleared") == (status, answer["shipment"]["state"])
    await gate.create("S2", door="D2")
    clock.advance(3700)  # past the end
    await gate.scan(gtin_with(demo_config, ""), door="D2")

    async def is_held() -> bool:
        _, doc = await gate.call("GET", "/api/v1/shipments/S1")
        return bool(doc["state"] == "held")

    await until(is_held, "the timer to hold S1 once its approval has run out")
