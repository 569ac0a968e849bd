"""A scan batch decided on a batch whose write was refused (another process held the
database) is refused too, as a retryable 503 with Retry-After, never a 409 that a scanner
would take as final; sent again, every batch is stored and counted once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from gate.core.shipment_values import Shipment
from gate.errors import StaleDecision
from gate.web import app_keys
from tests.service.harness import Gate, Gates, until
from tests.service.test_writer_process import reads, stored, writing_gate
from tests.service.test_writer_stall import post_scans
from tests.store.test_store_lock import lock_held_by_another_process


def units(g: Gate, sid: str) -> int:
    """The units of ``sid`` as the next decision sees them (pending, else committed)."""
    shipment = g.app[app_keys.DOCKS].state.latest(sid)
    assert shipment is not None
    return sum(line.quantity for line in shipment.lines)


async def test_a_batch_decided_on_a_refused_batch_is_answered_503_not_409(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batch A waits for a database another process locked; a change for the store's thread
    (a new shipment) waits for A; batch B, decided on A's units, waits for that change. A
    is refused (busy), and so is B, as a 503 with Retry-After: no scan is answered 409. Sent
    again once the lock is gone, both are stored, each unit counted once."""
    g, writer = await writing_gate(gates, monkeypatch)
    docks = g.app[app_keys.DOCKS]
    first, second = reads(demo_config, 0), reads(demo_config, 1)
    with lock_held_by_another_process(g.config.database):
        a = asyncio.create_task(post_scans(g, first))
        await until(lambda: writer.pending == 1, "batch A handed to the writer")
        body = {
            "id": "S2",
            "door": "D2",
            "destination": "DE",
            "consignee": {"name": "Acme Precision GmbH", "country": "DE"},
        }
        created = asyncio.create_task(g.call("POST", "/api/v1/shipments", body))
        await until(lambda: docks.committer.crossing == 1, "the new shipment to wait for A")
        b = asyncio.create_task(post_scans(g, second))
        await until(lambda: units(g, "S1") == 10, "batch B decided on A's units")
        status_a, problem_a, _ = await a
    status_b, problem_b, retry_b = await b
    await created
    assert (503, 503, "1") == (status_a, status_b, retry_b), (problem_a, problem_b)
    assert "send it again" in problem_b["detail"]
    assert [(0,)] == stored(g.config.database, "SELECT count(*) FROM scans")
    for batch in (first, second):
        status, answer, _ = await post_scans(g, batch)
        assert 200 == status, answer
    assert [(10,)] == stored(g.config.database, "SELECT count(*) FROM scans")
    status, doc = await g.call("GET", "/api/v1/shipments/S1")
    assert (200, [4, 6]) == (status, sorted(line["quantity"] for line in doc["lines"]))


async def test_a_refused_send_takes_its_values_back_before_its_batches_resume(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer process's refusal (the database locked elsewhere) takes back the values
    its batches were decided on in the callback that refuses them, while they are still
    pending: a batch decided on them and handed over before their tasks resume meets the
    guard (StaleDecision), never the database."""
    g, writer = await writing_gate(gates, monkeypatch)
    docks = g.app[app_keys.DOCKS]
    assert writer.on_refused is not None
    taken_back = writer.on_refused
    seen: list[tuple[int, str]] = []

    def refused(values: Sequence[Shipment]) -> None:
        taken_back(values)
        pending = docks.state.latest("S1")
        assert pending is not None
        try:
            docks.state.guard([(pending, pending)])
        except StaleDecision:
            seen.append((units(g, "S1"), "refused"))
        else:
            seen.append((units(g, "S1"), "taken"))

    writer.on_refused = refused
    with lock_held_by_another_process(g.config.database):
        status, problem, _ = await post_scans(g, reads(demo_config, 0))
    assert 503 == status, problem
    assert [(5, "refused")] == seen
