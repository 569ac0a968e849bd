"""Audit14: a reload's ``policy.changed`` in the order of effect, as attack13 put
``lists.changed``.

The Reloader journaled ``policy.changed`` (its own write), then waited for the scan batches
being decided in slices, then swapped the new table and policy in. A change decided meanwhile
was decided on the old policy and journaled after the record of the new one: the journal
showed PK embargoed, then a shipment to PK dispatched. The dispatch itself was right (decided
before the swap): what was wrong is the order an auditor reads."""

from __future__ import annotations

from pathlib import Path

from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.service.harness import Gate, fail_the_next_write
from tests.service.test_reload_window import cleared_then_embargoed


def audit_kinds(gate: Gate, *kinds: str) -> list[str]:
    conn = connect_readonly(gate.config.database)
    try:
        marks = ", ".join("?" for _ in kinds)
        rows = conn.execute(f"SELECT kind FROM audit WHERE kind IN ({marks}) ORDER BY seq", kinds)
        return [kind for (kind,) in rows]
    finally:
        conn.close()


async def test_no_dispatch_decided_on_the_old_policy_is_journaled_after_the_new_one(
    gate: Gate, demo_config: Path
) -> None:
    """S1 to PK cleared; a reload embargoes PK, and S1 is dispatched while the reload waits
    for the scan batches, on the old policy: so the dispatch is journaled before
    ``policy.changed``."""
    await cleared_then_embargoed(gate, demo_config)
    turns = gate.app[app_keys.DOCKS].scan_path.turns
    settled = turns.settled
    dispatched: list[int] = []

    async def dispatch_meanwhile() -> None:
        # Once (the dispatch waits for the turns too): what a WMS does while a portal's
        # batch is being decided, as the reload waits for it.
        del turns.settled
        status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
        dispatched.append(status)
        await settled()

    turns.settled = dispatch_meanwhile  # type: ignore[method-assign]
    assert await gate.app[app_keys.RELOADER].reload("test")
    assert [200] == dispatched
    assert ["shipment.dispatched", "policy.changed"] == audit_kinds(
        gate, "policy.changed", "shipment.dispatched"
    )


async def test_a_policy_record_that_fails_keeps_the_old_table_and_policy(
    gate: Gate, demo_config: Path
) -> None:
    """S1 to PK cleared; a reload embargoes PK but its journal write fails (the database
    busy): the old table and policy stay in use, the reload is refused, neither
    ``policy.changed`` nor a re-decision on the new policy is journaled, and S1 is still
    dispatched."""
    await cleared_then_embargoed(gate, demo_config)
    docks = gate.app[app_keys.DOCKS]
    table, policy = docks.table.current(), docks.policy
    fail_the_next_write(docks.committer)
    assert False is await gate.app[app_keys.RELOADER].reload("test")
    assert (table, policy) == (docks.table.current(), docks.policy)
    assert "cleared" == docks.shipment("S1").state.value
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 200 == status
    assert ["shipment.dispatched"] == audit_kinds(
        gate, "policy.changed", "shipment.reevaluated", "shipment.dispatched"
    )
