"""Attack13: a re-decision of every live shipment rewrote a shipment that had just left.

``Docks.reevaluate_all`` walks the doors' shipments as committed and decides each at its
latest value. A shipment whose dispatch (or cancellation) was being written was still at its
door, and its latest value final: the core returns a final shipment unchanged, but it was
handed the shipment screened on the new lists, so the dispatched shipment was saved again
with hits it was never decided with, under a ``shipment.reevaluated`` record after its
``shipment.dispatched`` (the attack's fuzz: the consignee listed by a reload racing
dispatches; "previous_state": "dispatched"). A closed shipment is history: nothing decides it
again."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from gate.core.shipment_values import State
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.attack.acme_noticed import cleared_then_noticed, swapped_in_undecided
from tests.service.harness import Gate


async def test_a_shipment_closing_while_all_are_decided_again_is_not_rewritten(
    gate: Gate, demo_config: Path
) -> None:
    """S1 (ordinary goods for Acme) sealed and cleared; the notices list now names Acme;
    S1 is cancelled, and while that is being written every live shipment is decided again
    on the new list. S1's journal ends with its cancellation and its stored screening has no
    hit; it was closed before the list named its consignee."""
    docks = gate.app[app_keys.DOCKS]
    await cleared_then_noticed(gate, demo_config)
    await swapped_in_undecided(gate)
    cancel = asyncio.create_task(docks.cancel("S1", "wms"))
    for _ in range(1000):  # turns of the loop, not time: the write must still be going on
        latest = docks.state.latest("S1")
        if latest is not None and latest.state is State.CANCELLED:
            break
        await asyncio.sleep(0)
    assert "S1" in docks.state.current.values()  # still at its door: being written
    await docks.reevaluate_all("lists changed: test")
    await cancel
    conn = connect_readonly(gate.config.database)
    try:
        kinds = [
            k for (k,) in conn.execute("SELECT kind FROM audit WHERE subject = 'S1' ORDER BY seq")
        ]
        (stored,) = conn.execute("SELECT doc FROM shipments WHERE id = 'S1'").fetchone()
    finally:
        conn.close()
    assert "shipment.cancelled" == kinds[-1], kinds
    assert all(not party["hits"] for party in json.loads(stored)["screening"])
