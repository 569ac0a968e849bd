"""``GET /shipments`` by state, door and date range, closed shipments included: those older
than memory's window come from the database (a real gate restarted over the same file)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tests.service.harness import Gate, Gates, ManualClock, gtin_with


def ids(doc: dict[str, Any]) -> list[str]:
    return [s["id"] for s in doc["shipments"]]


async def test_filters_by_state_door_and_range(gate: Gate, demo_config: Path) -> None:
    await gate.create("A", "D1")
    await gate.create("B", "D2")
    await gate.scan(gtin_with(demo_config, ""), "D2")
    assert 200 == (await gate.call("POST", "/api/v1/shipments/B/seal"))[0]
    assert 200 == (await gate.call("POST", "/api/v1/shipments/B/dispatch"))[0]
    await gate.create("C", "D2")
    assert 200 == (await gate.call("POST", "/api/v1/shipments/C/cancel"))[0]
    today = dt.datetime.now(dt.UTC).date()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()

    cases = {
        "": ["A", "B", "C"],
        "?state=dispatched": ["B"],
        "?state=cancelled&door=D2": ["C"],
        "?state=open": ["A"],
        f"?from={today.isoformat()}&to={tomorrow}": ["A", "B", "C"],
        f"?to={today.isoformat()}": [],  # created after the range ends
        f"?from={tomorrow}&state=open": ["A"],  # still at the dock then
        f"?from={tomorrow}&state=dispatched": [],  # it left before the range
        "?from=1900-01-01&to=9999-12-31": ["A", "B", "C"],  # past what the gate holds: cut
        "?from=1900-01-01&to=1950-01-01": [],  # wholly before it: nothing
    }
    for query, expected in cases.items():
        status, doc = await gate.call("GET", "/api/v1/shipments" + query)
        assert (200, expected) == (status, ids(doc)), query

    for query in (
        "?from=yesterday",
        "?to=2024-13-01",
        "?state=gone",
        "?from=2024-05-02&to=2024-05-01",
        "?from=0001-01-01T00:00:00%2B01:00",  # no instant in UTC (was a 500)
        "?to=9999-12-31T23:59:59-05:00",
    ):
        status, problem = await gate.call("GET", "/api/v1/shipments" + query)
        assert 400 == status, query
        assert "bad-request" in problem["type"]


async def test_closed_shipments_older_than_memory_come_from_the_database(
    gates: Gates, demo_config: Path
) -> None:
    """A shipment closed ten days ago is not in memory after a restart; a range that reaches
    back to it finds it in the database, with its state and lines."""
    ten_days_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    first = await gates.start(clock=ManualClock(ten_days_ago))
    await first.create("OLD", "D1")
    await first.scan(gtin_with(demo_config, ""))
    assert 200 == (await first.call("POST", "/api/v1/shipments/OLD/cancel"))[0]
    await gates.stop(first)

    g = await gates.start()
    await g.create("NEW", "D1")
    status, doc = await g.call("GET", "/api/v1/shipments")
    assert (200, ["NEW"]) == (status, ids(doc))
    day = ten_days_ago.date().isoformat()
    status, doc = await g.call("GET", f"/api/v1/shipments?from={day}&state=cancelled")
    assert (200, ["OLD"]) == (status, ids(doc))
    (old,) = doc["shipments"]
    assert ("cancelled", 1) == (old["state"], len(old["lines"]))
    status, doc = await g.call("GET", f"/api/v1/shipments?from={day}")
    assert (200, ["OLD", "NEW"]) == (status, ids(doc))
    week_later = (ten_days_ago + dt.timedelta(days=7)).date().isoformat()
    status, doc = await g.call("GET", f"/api/v1/shipments?from={week_later}")
    assert (200, ["NEW"]) == (status, ids(doc))
