"""Review22: the journal's ``door.held`` record of a window counted at a door held already.

door16 made a sensor portal's outage count a window at every door, idle or not: at a door
held for goods that passed unread, the outage's record named the hold's first reason and
reader ("goods passed without a readable tag", ``reader:north``), not the outage nor the portal
that went down; the journal had no trace that a portal was down at all (the alert said so, and
is not kept for years). Each record now names its own window (``window``: reason, reader,
time) and is the window's reader's (its actor), beside the hold as it then stood.
"""

from __future__ import annotations

import json
from typing import Any

from gate.service.door_holds import EMPTY_WINDOW, PORTAL_DOWN
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.readers.support import door_hold
from tests.service.harness import Gate, Gates, until


def held_records(gate: Gate) -> list[tuple[str, dict[str, Any]]]:
    """(actor, data) of every ``door.held`` record, oldest first."""
    db = connect_readonly(gate.config.database)
    try:
        rows = db.execute(
            "SELECT actor, data FROM audit WHERE kind = 'door.held' ORDER BY seq"
        ).fetchall()
    finally:
        db.close()
    return [(actor, json.loads(data)) for actor, data in rows]


async def _stored(gate: Gate) -> bool:
    hold = await door_hold(gate)
    return hold is not None and bool(hold["stored"])


async def test_an_outage_at_a_door_held_already_is_journaled_as_the_outage(
    gates: Gates,
) -> None:
    """Idle D1 held for an empty window at portal north; portal south of D1 goes down: the
    second record is south's and says the portal was down, the hold (its first reason and
    reader, two windows) beside it."""
    gate = await gates.start()
    holds = gate.app[app_keys.HOLDS]
    await holds.hold("D1", "north")
    await holds.portal_down("D1", "south")
    await until(lambda: _stored(gate), "both windows stored")
    records = held_records(gate)
    assert [("reader:north", EMPTY_WINDOW, "north"), ("reader:south", PORTAL_DOWN, "south")] == [
        (actor, data["window"]["reason"], data["window"]["reader"]) for actor, data in records
    ], records
    second = records[1][1]
    assert (EMPTY_WINDOW, "north", 2) == (second["reason"], second["reader"], second["windows"])
    assert second["last_at"] == second["window"]["at"]
