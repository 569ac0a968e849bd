"""Review22: an acknowledgement racing a new outage (door16 made every outage a window).

What held: the door stays held (the window counted while the acknowledgement was being
written keeps it: ``_release`` takes only the hold acknowledged), its dispatch refused, the
acknowledgement journaled for the count the operator saw, the new window stored after it.

What did not (LOW): the acknowledgement's change announced the door released all the same
(``door_hold`` with no hold), after the window's alert went out. The page's alerts take a
release as the end of every ``door_held`` alert of the door, so the alert of the outage that
keeps the door held left the page, and the event stream said "released" for a held door. The
change now announces the door as it is once the acknowledgement is stored.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gate.service.commit_step import Change
from gate.service.door_holds import PORTAL_DOWN
from gate.web import app_keys
from tests.readers.support import acknowledge, door_hold
from tests.service.harness import Gate, Gates, until


async def _stored(gate: Gate) -> bool:
    hold = await door_hold(gate)
    return hold is not None and bool(hold["stored"])


async def _door_alerts(gate: Gate, door: str = "D1") -> list[dict[str, Any]]:
    status, doc = await gate.call("GET", "/api/v1/status")
    assert 200 == status, doc
    return [a for a in doc["alerts"] if a.get("kind") == "door_held" and a.get("door") == door]


async def test_an_outage_while_the_acknowledgement_is_written_keeps_its_alert(
    gates: Gates,
) -> None:
    """D1 held for an empty window and acknowledged; portal south of D1 goes down while the
    acknowledgement is being written: D1 stays held (two windows), the outage's alert stays on
    the page, and no event says D1 was released."""
    gate = await gates.start()
    holds = gate.app[app_keys.HOLDS]
    docks = gate.app[app_keys.DOCKS]
    await holds.hold("D1", "north")
    await until(lambda: _stored(gate), "the hold stored")
    await until(lambda: _door_alerts(gate), "the hold's alert on the page")
    committer = docks.committer
    write = committer.apply
    outages: list[asyncio.Task[None]] = []

    async def racing(change: Change) -> None:
        if any(kind == "door_hold" and not data["held"] for kind, data in change.events):
            # The portal drops as the acknowledgement goes to the disk.
            outages.append(asyncio.create_task(holds.portal_down("D1", "south")))
            await asyncio.sleep(0)
        await write(change)

    committer.apply = racing  # type: ignore[method-assign]
    before = len(docks.events.kept())
    status, doc = await acknowledge(gate, 1)
    assert 200 == status, doc
    await asyncio.gather(*outages)
    await until(lambda: _stored(gate), "the outage's window stored")
    hold = await door_hold(gate)
    assert hold is not None and (2, ["south"]) == (hold["windows"], hold["readers_down"]), hold
    assert holds.is_held("D1")
    released = [
        e.data for e in docks.events.kept()[before:] if e.kind == "door_hold" and not e.data["held"]
    ]
    assert [] == released
    # The page's follower takes events in order: once D2's alert is there, it took them all.
    await holds.hold("D2", "west")
    await until(lambda: _door_alerts(gate, "D2"), "D2's alert on the page")
    alerts = await _door_alerts(gate)
    assert [2] == [a["windows"] for a in alerts if PORTAL_DOWN in a["text"]], alerts
