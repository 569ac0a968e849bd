"""Review22: a portal that follows its sensor but whose inventory the reader refuses.

MEDIUM, left open (a strict xfail): review20 made a portal up again only once its session
follows its sensor, so that a reader refusing its sensor is one outage. A reader that takes the
sensor but refuses the inventory (START_ROSPEC refused: another client's ROSpec running, a
power or antenna setting it will not take) follows its sensor for a moment at every attempt:
up, then down a moment later, a new outage each time. Since door16 that is every door, idle or
not: a window, a ``door.held`` record and a critical alert per attempt (every ``retry_max``,
for good), the count climbing so that an acknowledgement names a stale count, and one taken in
the moment between (the door held again at once). Not fail open (the door is held again), but
the review20 flood back by another way. The fix needs the adapter to know its inventory
started: llrpkit's stream says so only with its first tag, and a GET_ROSPECS probe (tried:
up once the ROSpec is Active) breaks llrpkit's emulator, whose answer names a state LLRP does
not have ("Enabled") and drops the connection; so it is the lead's to decide.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from llrpkit.emulator import LLRPEmulator
from llrpkit.protocol import enums

from gate.service.door_holds import PORTAL_DOWN
from tests.readers.support import door_hold, north
from tests.readers.test_cross_reads import portal
from tests.service.harness import Gates, until


@pytest.mark.xfail(strict=True, reason="review22: a refused inventory is an outage per attempt")
async def test_a_portal_whose_inventory_is_refused_is_one_outage(
    demo_config: Path, emu: LLRPEmulator, gates: Gates, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader answers, takes its sensor and refuses to start the inventory at every
    attempt: idle D1 is held once, one window, however many attempts connect and fail."""
    real = emu._set_rospec_state

    def refusing(rospec: int, before: str, after: str) -> object:
        if after == "Active":  # START_ROSPEC
            return emu._status_error(
                enums.StatusCode.R_DeviceError, "a ROSpec of another client runs"
            )
        return real(rospec, before, after)

    monkeypatch.setattr(emu, "_set_rospec_state", refusing)
    gate = await gates.start(readers=portal("north", "D1", emu.port, gpi_port=1))

    async def connects(n: int) -> bool:
        return int(await north(gate, "connects")) >= n

    await until(lambda: connects(6), "six attempts connected and failed")
    hold = await door_hold(gate)
    assert hold is not None and (PORTAL_DOWN, 1) == (hold["reason"], hold["windows"]), hold
