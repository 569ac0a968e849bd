"""Review22: the ``door_hold`` events say what the door's API says.

door16 made the window's first event the API's hold document (``readers_down``, ``stored``):
the page and every event stream say at once whether the acknowledgement is taken. The event
that says the window is stored (the write's) still carried the bare hold, with neither
field: a stream client following ``hold.stored`` never saw it turn true, and after a portal's
outage the last word it had lost the reader that was down (LOW). The write's event is the
API's document now, taken once the window is stored; so is a late read's (the scan path's).
"""

from __future__ import annotations

from typing import Any

from gate.web import app_keys
from tests.readers.support import door_hold
from tests.service.harness import Gate, Gates, until


async def _stored(gate: Gate) -> dict[str, Any] | None:
    hold = await door_hold(gate)
    return hold if hold is not None and hold["stored"] else None


async def test_the_last_hold_event_is_the_doors_api_document(gates: Gates) -> None:
    """Idle D1's portal goes down: once the window is stored, the last ``door_hold`` event's
    hold is D1's ``hold`` as ``GET /api/v1/doors/D1`` shows it (stored, the reader down)."""
    gate: Gate = await gates.start()
    docks = gate.app[app_keys.DOCKS]
    before = len(docks.events.kept())
    await gate.app[app_keys.HOLDS].portal_down("D1", "north")
    api = await until(lambda: _stored(gate), "the hold stored")
    seen = [e.data["hold"] for e in docks.events.kept()[before:] if e.kind == "door_hold"]
    assert api == seen[-1], seen
