"""Refused requests in the journal: a known client's refusals are journaled one by one within
its own budget, whatever anyone else floods; requests without an accepted credential share a
small budget, and the rest are counted on /metrics and summed up in one
``request.rejected_summary`` record a period (and when the gate stops).

An attack sent requests with no token as fast as it could: each 401 was journaled within one
budget of 50 a second shared with every client (about 1.4 GB of journal a day from anyone on
the network), and a scanner's 403 sent meanwhile was not journaled at all.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from gate.service.refusals import (
    CLIENT_PER_SECOND,
    SUMMARY_KIND,
    UNAUTHENTICATED_PER_MINUTE,
)
from gate.storage import journal
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.conftest import SCANNER_TOKEN
from tests.service.harness import OPERATOR, Gate, Gates, until


def records(gate: Gate, kind: str) -> list[tuple[str, dict[str, Any]]]:
    """The journal's records of ``kind``: actor and data, in order."""
    conn = connect_readonly(gate.config.database)
    try:
        sql = "SELECT actor, data FROM audit WHERE kind = ? ORDER BY seq"
        return [(actor, json.loads(data)) for actor, data in conn.execute(sql, (kind,))]
    finally:
        conn.close()


def freeze_windows(gate: Gate) -> None:
    """The budgets' windows stand still: every refusal of the test falls in one window, however
    slowly the machine answers."""
    gate.app[app_keys.DOCKS].refusals.monotonic = lambda: 1000.0


async def anonymous(gate: Gate, n: int) -> None:
    """``n`` requests with no token (each answered 401), eight at a time."""

    async def one() -> None:
        status, _ = await gate.call("POST", "/api/v1/shipments/X/dispatch", token=None)
        assert 401 == status

    for start in range(0, n, 8):
        await asyncio.gather(*(one() for _ in range(min(8, n - start))))


async def test_unauthenticated_refusals_get_a_small_budget_and_a_summary(gate: Gate) -> None:
    """Thirty more requests without a token than the unauthenticated budget: the budget's
    worth are journaled one by one, the thirty are on /metrics at once and in one summary
    record at the end of the period (how many, status, address, a sentence saying so)."""
    freeze_windows(gate)
    gate.app[app_keys.DOCKS].refusals.period = 0.2
    await anonymous(gate, UNAUTHENTICATED_PER_MINUTE + 30)
    rejected = records(gate, "request.rejected")
    assert UNAUTHENTICATED_PER_MINUTE == len(rejected)
    assert {("anonymous", 401)} == {(actor, data["status"]) for actor, data in rejected}
    status, text = await gate.call("GET", "/metrics")
    assert 200 == status
    assert 'gate_refusals_not_journaled_total{who="unauthenticated"} 30.0' in text
    await until(lambda: bool(records(gate, SUMMARY_KIND)), "the summary record")
    [(actor, summary)] = records(gate, SUMMARY_KIND)
    assert ("gate", 30, 30, {}, {"401": 30}, {"127.0.0.1": 30}) == (
        actor,
        summary["not_journaled"],
        summary["unauthenticated"],
        summary["clients"],
        summary["statuses"],
        summary["remotes"],
    )
    assert "30 unauthenticated requests refused, not journaled one by one" == summary["detail"]


async def test_a_clients_refusal_is_journaled_in_an_unauthenticated_flood(gate: Gate) -> None:
    """After twice the unauthenticated budget of requests without a token, a scanner trying
    to dispatch (403, wrong role) and an operator naming an unknown door are journaled one by
    one under their own names."""
    freeze_windows(gate)
    await anonymous(gate, 2 * UNAUTHENTICATED_PER_MINUTE)
    status, _ = await gate.call("POST", "/api/v1/shipments/X/dispatch", token=SCANNER_TOKEN)
    assert 403 == status
    status, _ = await gate.call("GET", "/api/v1/doors/D9", auth=OPERATOR)
    assert 404 == status
    known = [
        (actor, data["status"], data["path"])
        for actor, data in records(gate, "request.rejected")
        if actor != "anonymous"
    ]
    assert [
        ("scanner-door-1", 403, "/api/v1/shipments/X/dispatch"),
        ("ops", 404, "/api/v1/doors/D9"),
    ] == known


async def test_a_client_over_its_own_budget_is_counted_under_its_name(gate: Gate) -> None:
    """A scanner refused more often than its budget within one window: the budget's worth
    are journaled, the rest counted under its name; an unauthenticated request is still
    journaled (the scanner used up its budget only)."""
    freeze_windows(gate)
    docks = gate.app[app_keys.DOCKS]
    info = {"method": "POST", "path": "/api/v1/x", "status": 403, "remote": "10.0.0.7"}
    for _ in range(CLIENT_PER_SECOND + 5):
        await docks.record_rejection({**info, "actor": "scanner-door-1"})
    await docks.record_rejection({**info, "status": 401, "actor": None})
    actors = [actor for actor, _ in records(gate, "request.rejected")]
    assert (CLIENT_PER_SECOND, 1) == (actors.count("scanner-door-1"), actors.count("anonymous"))
    assert {"unauthenticated": 0, "client": 5} == docks.refusals.not_journaled
    await docks.refusals.close()
    [(_, summary)] = records(gate, SUMMARY_KIND)
    assert ({"scanner-door-1": 5}, 0, {"10.0.0.7": 5}) == (
        summary["clients"],
        summary["unauthenticated"],
        summary["remotes"],
    )


async def test_the_summary_is_written_when_the_gate_stops(gates: Gates) -> None:
    """Refusals counted and not yet summed up when the gate stops are summed up as it stops:
    the journal misses none of them, and its chain still verifies."""
    gate = await gates.start()
    freeze_windows(gate)
    await anonymous(gate, UNAUTHENTICATED_PER_MINUTE + 3)
    assert [] == records(gate, SUMMARY_KIND), "the period (a minute) has not ended"
    await gates.stop(gate)
    [(_, summary)] = records(gate, SUMMARY_KIND)
    assert (3, {"401": 3}) == (summary["unauthenticated"], summary["statuses"])
    conn = connect_readonly(gate.config.database)
    try:
        assert journal.verify(conn).ok
    finally:
        conn.close()
