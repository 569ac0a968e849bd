"""Audit14: a signed bundle's ``reference.applied`` in the order of effect, as attack13 put
``lists.changed``.

The swap journaled ``reference.applied`` (its own write), then waited for the scan batches
being decided in slices, then swapped the bundle's table, policy and lists in. A change
decided meanwhile was decided on the old bundle and journaled after the record of the new
one: the journal showed bundle v2 (whose notices name the consignee) applied, then a shipment
to that consignee dispatched with no hit."""

from __future__ import annotations

from pathlib import Path

from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.reference.test_bundles import NOW, Office, gate_at_v1
from tests.service.harness import Gate, Gates, fail_the_next_write, gtin_with

CONSIGNEE = {"name": "Vantorel Dynamics SA", "country": "CH"}


async def cleared_then_noticed(gates: Gates, demo_config: Path, office: Office) -> Gate:
    """A gate at bundle v1 with S1 (ordinary goods for Vantorel) cleared; bundle v2, whose
    notices name Vantorel, published (not yet polled)."""
    gate = await gate_at_v1(gates, demo_config, office)
    await gate.create(destination="CH", consignee=CONSIGNEE)
    await gate.scan(gtin_with(demo_config, ""))
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, sealed["state"])
    notices = office.data / "lists" / "notices.csv"
    notices.write_text(
        notices.read_text() + "Vantorel Dynamics SA,,CH,DEMO-DN-2026-950,2026-11-02\n"
    )
    assert 2 == office.make(published=NOW)
    office.publish()
    return gate


def audit_rows(gate: Gate, *kinds: str) -> list[tuple[str, str | None]]:
    """Each record of ``kinds`` in the journal's order: its kind and bundle version."""
    conn = connect_readonly(gate.config.database)
    try:
        marks = ", ".join("?" for _ in kinds)
        rows = conn.execute(
            f"SELECT kind, json_extract(data, '$.version') FROM audit WHERE kind IN ({marks})"
            " ORDER BY seq",
            kinds,
        )
        return [(kind, None if v is None else str(v)) for kind, v in rows]
    finally:
        conn.close()


async def test_no_dispatch_decided_on_the_old_bundle_is_journaled_after_the_new_one(
    gates: Gates, demo_config: Path, office_repo: Office
) -> None:
    """S1 for Vantorel cleared; bundle v2 names Vantorel, and S1 is dispatched while the swap
    waits for the scan batches, on v1: so the dispatch is journaled before v2's
    ``reference.applied``."""
    gate = await cleared_then_noticed(gates, demo_config, office_repo)
    turns = gate.app[app_keys.DOCKS].scan_path.turns
    settled = turns.settled
    dispatched: list[int] = []

    async def dispatch_meanwhile() -> None:
        del turns.settled  # once: the dispatch waits for the turns too
        status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
        dispatched.append(status)
        await settled()

    turns.settled = dispatch_meanwhile  # type: ignore[method-assign]
    assert await gate.app[app_keys.REFERENCE_POLLER].poll()
    assert [200] == dispatched
    assert [
        ("reference.applied", "1"),
        ("shipment.dispatched", None),
        ("reference.applied", "2"),
    ] == audit_rows(gate, "reference.applied", "shipment.dispatched")


async def test_a_bundle_record_that_fails_keeps_the_old_bundle(
    gates: Gates, demo_config: Path, office_repo: Office
) -> None:
    """S1 for Vantorel cleared; bundle v2 names Vantorel but its journal write fails (the
    database busy): v1's table, policy, config and lists stay in use, the bundle is refused
    (journaled), nothing of v2 nor a re-decision on it is journaled, and S1 is still
    dispatched."""
    gate = await cleared_then_noticed(gates, demo_config, office_repo)
    docks = gate.app[app_keys.DOCKS]
    screening = gate.app[app_keys.SCREENING]
    kept = (docks.table.current(), docks.policy, docks.config, screening.snapshot)
    fail_the_next_write(docks.committer)
    assert False is await gate.app[app_keys.REFERENCE_POLLER].poll()
    assert kept == (docks.table.current(), docks.policy, docks.config, screening.snapshot)
    swap = gate.app[app_keys.REFERENCE]
    assert (1, "load") == (swap.applied and swap.applied.version, swap.refused and swap.refused[0])
    assert "cleared" == docks.shipment("S1").state.value
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 200 == status
    kinds = ("reference.applied", "reference.refused", "shipment.reevaluated")
    assert [
        ("reference.applied", "1"),
        ("reference.refused", "2"),
        ("shipment.dispatched", None),
    ] == audit_rows(gate, *kinds, "shipment.dispatched")
