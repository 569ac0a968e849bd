"""Attack13: a standing licence pushed again with a smaller quantity forgot what the gate had
drawn on it, on a real gate over HTTP.

A replacement keeps what the gate drew (remaining = the new quantity less the units drawn),
but the units drawn were worked out from the licence in use (its quantity less its
remaining): a push of fewer units than were drawn left ``remaining`` at 0 and the drawn count
at that smaller quantity, so the next push of the full quantity counted the units drawn
before as never shipped. Licence SL-1 for 5 gyros: 5 dispatched, a push of 2 (the office
correcting it down), a push of 5 again: the gate dispatched 3 more, 8 gyros on a licence of 5.
Random pushes racing dispatches (the attack's fuzz) drew one licence to 134 units of at most
11."""

from __future__ import annotations

import time
from pathlib import Path

from gate.storage.store import connect_readonly
from tests.central.test_central_link import callback, licence_body, office_key
from tests.service.harness import Gate, Gates, gtin_with


async def dispatch_gyros(gate: Gate, demo_config: Path, sid: str, units: int) -> int:
    """Ships ``units`` gyros to the licence's consignee as shipment ``sid`` at D1; returns
    the dispatch's status (200 when the licence covered them, 409 when not)."""
    gyro = gtin_with(demo_config, "9.A.4")
    await gate.create(sid)
    for _ in range(units):
        await gate.scan(gyro)
    status, doc = await gate.call("POST", f"/api/v1/shipments/{sid}/seal")
    assert 200 == status, doc
    status, doc = await gate.call("POST", f"/api/v1/shipments/{sid}/dispatch")
    if status != 200:
        await gate.call("POST", f"/api/v1/shipments/{sid}/cancel")
    return status


async def push(gate: Gate, demo_config: Path, quantity: int, n: int) -> None:
    body = licence_body(quantity)
    # Each push signed after the one before (an older one is refused).
    status, doc = await callback(
        gate,
        "/api/v1/licences",
        body,
        key=office_key(demo_config),
        msg_id=f"push-{n}",
        ts=int(time.time()) - 100 + n,
    )
    assert 200 == status, doc


async def remaining(gate: Gate) -> int:
    status, doc = await gate.call("GET", "/api/v1/licences")
    assert 200 == status, doc
    return int(doc["licences"][0]["remaining"])


async def test_a_push_below_what_was_drawn_keeps_the_units_drawn(
    gate: Gate, demo_config: Path
) -> None:
    """5 drawn of 5; pushes of 2 and then 5 again leave nothing to draw, and a shipment of 3
    more is refused."""
    await push(gate, demo_config, 5, 1)
    assert 200 == await dispatch_gyros(gate, demo_config, "S1", 5)
    await push(gate, demo_config, 2, 2)
    await push(gate, demo_config, 5, 3)
    assert 0 == await remaining(gate)
    assert 409 == await dispatch_gyros(gate, demo_config, "S2", 3)
    await push(gate, demo_config, 7, 4)
    assert 2 == await remaining(gate)


async def test_the_units_drawn_survive_a_restart(
    gates: Gates, gate: Gate, demo_config: Path
) -> None:
    """The same after a restart between the pushes: the units drawn are read back from the
    database, not worked out from the licence's last quantity."""
    await push(gate, demo_config, 5, 1)
    assert 200 == await dispatch_gyros(gate, demo_config, "S1", 4)
    await push(gate, demo_config, 3, 2)  # 4 drawn of 3: nothing left
    await gates.stop(gate)
    again = await gates.start()
    await push(again, demo_config, 5, 3)
    assert 1 == await remaining(again)
    await gates.stop(again)
    third = await gates.start()
    assert 1 == await remaining(third)
    conn = connect_readonly(third.config.database)
    try:
        assert 1 == conn.execute("SELECT remaining FROM licences").fetchone()[0]
    finally:
        conn.close()
