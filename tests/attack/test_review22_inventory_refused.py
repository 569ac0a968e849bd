"""Review22: a portal that follows its sensor but whose inventory the reader refuses.

MEDIUM, found by review22 and fixed after it: review20 made a portal up again only once its
session follows its sensor, so that a reader refusing its sensor is one outage. A reader that
takes the sensor but refuses the inventory (START_ROSPEC refused: another client's ROSpec
running, a power or antenna setting it will not take) followed its sensor for a moment at every
attempt: up, then down a moment later, a new outage each time, at every door since door16 (a
window, a ``door.held`` record and a critical alert per attempt, for good). llrpkit's stream says
the inventory runs only with its first tag (and a GET_ROSPECS probe breaks its emulator), so the
portal counts as up once its inventory read a tag or ran ``INVENTORY_SETTLE`` seconds without an
error (gate.ingest.readers.llrp).
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
