"""Attack13: a restart asks the central office again for shipments it had already settled.

At start the docks decide every live shipment again before the screening lists have loaded
(they load in the background): every list "carries no date", every line is held with
``stale_data`` (row 12), and a sealed shipment whose lines the office had approved, or that
needed no licence at all, is held with a new licence request for ``[cat2, stale_data]``
(or ``[stale_data]``), delivered to the office. Seconds later the lists are loaded and the
shipment clears again, but the request stays open at the office. An office that approves it
(it approved the same line minutes before) gives the line an approval that covers
``stale_data``: when the lists really go stale later, that line clears on stale data instead
of being held (row 12 is covered "only by a specific approval", and the office never meant
one). And every restart sends one such request per settled shipment.

Holding while the lists load is the contract (README: "Nothing clears while a list is not
loaded"); asking the office about it is not. Now the docks hold without a request until the
first load has swapped the lists in (``transition_change.unasked``); the re-decision then asks
for what still needs a licence."""

from __future__ import annotations

from pathlib import Path

from tests.central.test_central_link import approval, callback, held, office_key
from tests.fake_office import Office
from tests.service.harness import Gate, Gates, gtin_with, until


async def test_a_restart_sends_no_request_for_an_approved_shipment(
    gates: Gates, gate: Gate, demo_config: Path, office: Office
) -> None:
    """S1 held, approved, cleared; the gate restarts: S1 is cleared again once the lists are
    loaded, with only its first request, and the office has received only that one."""
    _, request = await held(gate, demo_config, office)
    status, _ = await callback(
        gate,
        "/api/v1/approvals",
        approval(request["request_id"], "L-1"),
        key=office_key(demo_config),
    )
    assert 200 == status
    await gates.stop(gate)
    again = await gates.start()

    async def cleared() -> bool:
        status, doc = await again.call("GET", "/api/v1/shipments/S1")
        return bool(200 == status and "cleared" == doc["state"])

    await until(cleared, "S1 cleared again after the restart")
    _, doc = await again.call("GET", "/api/v1/shipments/S1")
    assert ["S1-r1@dock-a"] == [r["request_id"] for r in doc["requests"]]
    assert 1 == len(office.received)


async def test_a_restart_sends_no_request_for_a_shipment_that_needs_no_licence(
    gates: Gates, gate: Gate, demo_config: Path, office: Office
) -> None:
    """S1 of ordinary goods, sealed and cleared; after a restart it has no licence request."""
    await gate.create()
    await gate.scan(gtin_with(demo_config, ""))
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"])
    await gates.stop(gate)
    again = await gates.start()
    _, doc = await again.call("GET", "/api/v1/shipments/S1")
    assert [] == doc["requests"]
