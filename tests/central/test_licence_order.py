"""A standing licence push signed before the one in use (an office's retry delivered late,
or a replay inside the 5 minutes a signature is good for) is refused, 409, and changes
nothing: it would bring back the quantity the newer push took away (attack F5). A newer
push, or the same one again, replaces it as before."""

from __future__ import annotations

import time
from pathlib import Path

from tests.central.test_central_link import callback, licence_body, office_key
from tests.service.harness import Gate, Gates


async def test_an_older_push_does_not_replace_a_newer_one(gate: Gate, demo_config: Path) -> None:
    """Pushed at T with 0 units, then a push of the same licence signed at T-60 with 100:
    refused, the licence keeps 0; a push signed at T+1 with 5 replaces it."""
    key = office_key(demo_config)
    now = int(time.time())
    answers = [
        await callback(gate, "/api/v1/licences", licence_body(q), key=key, msg_id=m, ts=t)
        for q, m, t in ((0, "m2", now), (100, "m1", now - 60), (5, "m3", now + 1))
    ]
    _, listed = await gate.call("GET", "/api/v1/licences")
    assert [200, 409, 200] == [status for status, _ in answers], answers
    assert (5, 5) == (listed["licences"][0]["quantity"], listed["licences"][0]["remaining"])


async def test_the_older_push_is_refused_after_a_restart_too(
    gates: Gates, demo_config: Path
) -> None:
    """The time a push was signed is stored with the licence."""
    key = office_key(demo_config)
    now = int(time.time())
    gate = await gates.start()
    status, _ = await callback(gate, "/api/v1/licences", licence_body(0), key=key, ts=now)
    assert 200 == status
    await gates.stop(gate)
    gate = await gates.start()
    late = await callback(
        gate, "/api/v1/licences", licence_body(100), key=key, msg_id="m0", ts=now - 60
    )
    _, listed = await gate.call("GET", "/api/v1/licences")
    assert (409, 0) == (late[0], listed["licences"][0]["quantity"])
