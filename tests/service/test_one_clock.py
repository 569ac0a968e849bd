"""The gate reads the time of day through the docks' clock only: given another clock, every
stamp follows it (issue 10.3, "the current time three ways")."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate.web import app_keys
from tests.service.harness import Gate, ManualClock, gtin_with, start_gate, stop_gate

#: Years away from the real time, so a stamp read from the system clock cannot pass.
FAR = dt.datetime(2031, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


@pytest.fixture
async def gate(demo_config: Path) -> AsyncIterator[Gate]:
    g = await start_gate(demo_config, ManualClock(FAR))
    yield g
    await stop_gate(g)


async def test_events_journal_and_page_follow_the_docks_clock(
    gate: Gate, demo_config: Path
) -> None:
    """After the docks are given a clock, the events of a create and a scan, the scan's
    audit record and the status document's ``now`` all carry that clock's time."""
    events = gate.app[app_keys.EVENTS]
    async with events.subscribe() as sub:
        await gate.create()
        await gate.scan(gtin_with(demo_config, "9.A.4"))
        stamps = set()
        while not sub.queue.empty():
            event = sub.queue.get_nowait()
            assert event is not None
            stamps.add((event.kind, event.at))
    assert {"shipment", "scan", "door"} <= {kind for kind, _ in stamps}
    assert {FAR.isoformat()} == {at for _, at in stamps}
    status, doc = await gate.call("GET", "/api/v1/shipments/S1/history")
    assert 200 == status
    assert [("shipment.created", FAR), ("scan", FAR)] == [
        (r["kind"], dt.datetime.fromisoformat(r["ts"])) for r in doc["records"]
    ]
    status, doc = await gate.call("GET", "/api/v1/status")
    assert (200, FAR) == (status, dt.datetime.fromisoformat(doc["now"]))
