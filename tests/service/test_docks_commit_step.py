"""Decide, write, then publish: the one step every change of the docks takes, on the real
docks over a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gate.core.shipments import cancel, seal
from gate.errors import InvalidShipment, StaleDecision, Unavailable
from gate.service.commit_step import Change
from gate.service.docks import Docks
from gate.service.events import Event, Events
from gate.service.scan_path import ScanPath
from gate.table.native import TableSlot
from tests.service.harness import gtin_with
from tests.service.wired_docks import BODY, wired_docks


@pytest.fixture
async def docks(demo_config: Path) -> AsyncIterator[Docks]:
    async with wired_docks(demo_config) as d:
        yield d


def drain(events: Events, since: int) -> list[Event]:
    return [e for e in events.kept() if e.seq > since]


async def test_a_change_whose_write_fails_leaves_memory_and_publishes_nothing(
    docks: Docks,
) -> None:
    """A change whose SQL raises is not taken into memory, publishes no event, leaves no
    row, and the next decision builds on what the database holds."""
    before = await docks.create(dict(BODY), "wms")
    seq = docks.events._seq

    def refuse(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('probe', 'x')")
        raise InvalidShipment("refused inside the write")

    change = Change(sql=[refuse])
    change.add(before, seal(before, docks.controls(), docks.clock()).shipment)
    change.events.append(("shipment", {"id": "S1"}))
    with pytest.raises(InvalidShipment):
        await docks.committer.apply(change)
    latest = docks.state.latest("S1")
    assert ("open", "open") == (
        docks.shipment("S1").state.value,
        None if latest is None else latest.state.value,
    )
    assert [] == drain(docks.events, seq)
    assert None is await docks.store.read(
        lambda c: c.execute("SELECT value FROM meta WHERE key = 'probe'").fetchone()
    )
    assert "cleared" == (await docks.seal("S1", "wms")).state.value


async def test_a_write_decided_on_a_value_never_written_is_refused(docks: Docks) -> None:
    """A change decided from a shipment value the database does not hold (its own write
    failed) is refused on the writer thread, as a retryable 503 (StaleDecision), not a 409:
    nothing built on a lost change is stored."""
    shipment = await docks.create(dict(BODY), "wms")
    lost = seal(shipment, docks.controls(), docks.clock()).shipment
    built_on_lost = cancel(lost, docks.clock()).shipment
    change = Change()
    change.add(lost, built_on_lost)
    with pytest.raises(StaleDecision):
        await docks.committer.apply(change)
    assert "open" == docks.shipment("S1").state.value


async def test_every_shipment_event_has_one_shape(docks: Docks, demo_config: Path) -> None:
    """Create, scans and seal publish ``shipment`` events of one shape (with
    ``previous_state``), whichever path made the change."""
    seq = docks.events._seq
    await docks.create(dict(BODY), "wms")
    code = gtin_with(demo_config, "9.A.4")
    await docks.scans([{"scan_id": "a", "reader": "r", "door": "D1", "code": code}], "scanner")
    await docks.seal("S1", "wms")
    shapes = {tuple(sorted(e.data)) for e in drain(docks.events, seq) if e.kind == "shipment"}
    assert {("door", "id", "previous_state", "signal", "state")} == shapes


async def test_record_journals_an_action_through_the_commit_path(docks: Docks) -> None:
    """``Docks.record`` journals one operator action durably; once a write has failed it
    refuses (503) instead of journaling behind the latch."""
    await docks.record("operator.login", "ops", {"address": "127.0.0.1"}, "ops")

    def last(conn: sqlite3.Connection) -> tuple[str, str, str, dict[str, Any]]:
        kind, actor, subject, data = conn.execute(
            "SELECT kind, actor, subject, data FROM audit ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return kind, actor, subject, json.loads(data)

    assert ("operator.login", "ops", "ops", {"address": "127.0.0.1"}) == await docks.store.read(
        last
    )
    docks.committer.failed = "storage failed: test"
    with pytest.raises(Unavailable):
        await docks.record("operator.logout", "ops", {}, "ops")


async def test_scan_with_no_table_is_held_as_a_lookup_failure(
    docks: Docks, demo_config: Path
) -> None:
    """Fail closed, honestly: a scan decided while no table can answer is held with reason
    ``error`` and the lookup failure in its audit record, never as "not in the table"."""
    body = {
        "id": "S1",
        "door": "D1",
        "destination": "DE",
        "consignee": {"name": "Acme Precision GmbH", "country": "DE"},
    }
    await docks.create(body, "wms")
    path = ScanPath(
        docks.state, docks.committer, docks.doors, TableSlot(), docks.scan_controls, docks.clock
    )
    scan = {"scan_id": "n1", "reader": "r1", "door": "D1", "code": gtin_with(demo_config, "")}
    (outcome,) = await path.scans([scan], "scanner")
    assert ("accepted", "licence_required", ("error",)) == (
        outcome.status.value,
        outcome.decision,
        outcome.reasons,
    )

    def audit(conn: sqlite3.Connection) -> dict[str, Any]:
        (data,) = conn.execute(
            "SELECT data FROM audit WHERE kind = 'scan' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return dict(json.loads(data))

    record = await docks.store.read(audit)
    assert (["error"], "no control table is loaded") == (record["reasons"], record["lookup_error"])
    line = docks.shipment("S1").lines[0]
    assert (0, "no control table is loaded") == (line.verdict.rule, line.lookup_error)


async def test_racing_scans_and_seal_lose_nothing(docks: Docks, demo_config: Path) -> None:
    """Scans and a seal racing for one shipment each build on the one decided before: every
    accepted unit is in the sealed shipment, and memory equals the stored document."""
    await docks.create(dict(BODY), "wms")
    code = gtin_with(demo_config, "")

    async def scan(n: int) -> str:
        raw = {"scan_id": f"r{n}", "reader": "r", "door": "D1", "code": code}
        (result,) = await docks.scans([raw], "scanner")
        return str(result["status"])

    answers = await asyncio.gather(*(scan(n) for n in range(10)), docks.seal("S1", "wms"))
    accepted = [a for a in answers[:10] if a == "accepted"]
    shipment = docks.shipment("S1")
    assert "cleared" == shipment.state.value
    assert len(accepted) == sum(line.quantity for line in shipment.lines)

    def stored(conn: sqlite3.Connection) -> dict[str, Any]:
        (doc,) = conn.execute("SELECT doc FROM shipments WHERE id = 'S1'").fetchone()
        return dict(json.loads(doc))

    doc = await docks.store.read(stored)
    assert (shipment.state.value, [line.quantity for line in shipment.lines]) == (
        doc["state"],
        [line["quantity"] for line in doc["lines"]],
    )


async def test_a_retry_racing_its_first_delivery_is_counted_once(
    docks: Docks, demo_config: Path
) -> None:
    """The same scan id sent twice at once is stored and counted once; the second answer
    is a duplicate given after the first was stored."""
    await docks.create(dict(BODY), "wms")
    raw = {"scan_id": "same", "reader": "r", "door": "D1", "code": gtin_with(demo_config, "")}
    first, second = await asyncio.gather(
        docks.scans([raw], "scanner"), docks.scans([dict(raw)], "scanner")
    )
    assert ("accepted", "duplicate") == (first[0]["status"], second[0]["status"])
    assert [1] == [line.quantity for line in docks.shipment("S1").lines]


async def test_a_change_with_an_event_no_frame_carries_is_refused_before_its_write(
    docks: Docks,
) -> None:
    """A change with an event whose data has an ``at`` of its own is refused before it is
    written (review15), as a failed write is: what was staged while deciding is taken back,
    memory and the database keep the shipment as it was and nothing is published. Refused
    at publish, the change was stored and in memory while its caller got the error and none
    of its events (a door's signal) went out."""
    before = await docks.create(dict(BODY), "wms")
    seq = docks.events._seq
    sealed = seal(before, docks.controls(), docks.clock()).shipment
    docks.state.stage([sealed], {}, ())  # as a scan batch stages while it decides
    undone: list[str] = []
    change = Change(outbox=True, rolled_back=[lambda: undone.append("serials")])
    change.add(before, sealed)
    change.events.append(("alert", {"level": "info", "text": "sealed", "at": "then"}))
    change.events.append(("door", {"id": "D1", "signal": "green", "shipment": "S1"}))
    with pytest.raises(ValueError, match="'at' of its own"):
        await docks.committer.apply(change)
    latest = docks.state.latest("S1")
    assert ("open", "open", ["serials"]) == (
        docks.shipment("S1").state.value,
        None if latest is None else latest.state.value,
        undone,
    )
    assert [] == drain(docks.events, seq)
    assert "cleared" == (await docks.seal("S1", "wms")).state.value


async def test_a_stored_change_wakes_its_senders_even_if_its_events_cannot_go_out(
    docks: Docks,
) -> None:
    """A change stored whose event data JSON cannot carry (a set: a slip in a publisher)
    raises to its caller, and its licence request is sent all the same: the outbox and the
    shipment watchers are woken before the events are published."""
    before = await docks.create(dict(BODY), "wms")
    docks.committer.outbox_changed.clear()
    docks.committer.changed.clear()
    change = Change(outbox=True)
    change.add(before, seal(before, docks.controls(), docks.clock()).shipment)
    change.events.append(("shipment", {"id": "S1", "lines": {"a set"}}))
    with pytest.raises(TypeError):
        await docks.committer.apply(change)
    assert "cleared" == docks.shipment("S1").state.value
    assert (True, True) == (
        docks.committer.outbox_changed.is_set(),
        docks.committer.changed.is_set(),
    )
