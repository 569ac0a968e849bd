"""Attack13: the journal records a list change before it takes effect.

``ScreeningState.reload`` journals ``lists.changed`` (its own write), then waits for the scan
batches being decided in slices, then swaps the new lists in. A change decided meanwhile is
decided on the old lists and journaled after the record of the new ones: the journal shows
the notices list naming Acme, then a shipment to Acme dispatched with no hit (the attack's
fuzz: a reload toggling the consignee's notice racing dispatches of ordinary goods; 3 of 445
dispatches so). The dispatch itself was right (decided before the swap): what was wrong is the
order an auditor reads. Fixed: the record is handed to the writers, in the order changes are
decided, in the step that swaps the lists (``ScreeningState._swap``)."""

from __future__ import annotations

from pathlib import Path

from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.attack.acme_noticed import cleared_then_noticed
from tests.service.harness import Gate


async def test_no_dispatch_decided_on_old_lists_is_journaled_after_the_new_ones(
    gate: Gate, demo_config: Path
) -> None:
    """S1 (ordinary goods for Acme) cleared; a reload adds Acme to the notices list, and S1
    is dispatched while the reload waits for the scan batches, on the old lists: so the
    dispatch is journaled before ``lists.changed``."""
    screening = gate.app[app_keys.SCREENING]
    await cleared_then_noticed(gate, demo_config)
    settled = screening.settled
    assert settled is not None
    dispatched: list[int] = []

    async def dispatch_meanwhile() -> None:
        # What a WMS does while a portal's batch is being decided, as the reload waits for it.
        status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
        dispatched.append(status)
        await settled()

    screening.settled = dispatch_meanwhile
    assert await screening.reload("test")
    screening.settled = settled
    conn = connect_readonly(gate.config.database)
    try:
        rows = conn.execute(
            "SELECT kind, data FROM audit WHERE kind IN ('lists.changed', 'shipment.dispatched')"
            " ORDER BY seq"
        ).fetchall()
    finally:
        conn.close()
    kinds = [kind for kind, _ in rows]
    # Dispatched (on the old lists): its record must come before the new lists' record.
    assert [200] == dispatched
    assert ["shipment.dispatched", "lists.changed"] == kinds
