"""Review14: attack13 holds without a licence request while the screening lists load at the
start (``transition_change.unasked``). A shipment sealed in that time must still be asked of
the office once the lists are in, by the re-decision the first load ends with; and a first
load that fails must not leave the docks never asking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate.errors import Unavailable
from gate.service import screening as screening_module
from gate.service.docks import Docks
from tests.service.harness import gtin_with
from tests.service.wired_docks import BODY, wired_docks


@pytest.fixture
async def docks(demo_config: Path) -> AsyncIterator[Docks]:
    """The docks as the app wires them, the lists not loaded yet."""
    async with wired_docks(demo_config, lists_loaded=False) as d:
        yield d


async def test_a_shipment_sealed_while_the_lists_load_is_asked_once_they_are_in(
    docks: Docks, demo_config: Path
) -> None:
    """A gyro's shipment sealed before the first load: held without a request; once the
    lists are in, held with one request for the gyro."""
    await docks.create(dict(BODY), "wms")
    code = gtin_with(demo_config, "9.A.4")
    await docks.scans([{"scan_id": "a", "reader": "r", "door": "D1", "code": code}], "scanner")
    sealed = await docks.seal("S1", "wms")
    assert ("held", ()) == (sealed.state.value, sealed.requests)  # the answer is as stored
    assert () == docks.shipment("S1").requests
    assert docks.screening is not None
    await docks.screening.first_load()
    after = docks.shipment("S1")
    assert ("held", 1) == (after.state.value, len(after.requests)), after.requests


async def test_after_a_failed_first_load_a_held_shipment_is_asked(
    docks: Docks, demo_config: Path
) -> None:
    """The first load fails: the docks stop holding back requests (``starting`` is over),
    and a shipment sealed then is asked of the office."""
    assert docks.screening is not None
    docks.screening.sources = (None,)  # type: ignore[assignment]
    await docks.screening.first_load()
    assert not docks.screening.starting
    await docks.create(dict(BODY), "wms")
    code = gtin_with(demo_config, "9.A.4")
    await docks.scans([{"scan_id": "a", "reader": "r", "door": "D1", "code": code}], "scanner")
    sealed = await docks.seal("S1", "wms")
    assert ("held", 1) == (sealed.state.value, len(sealed.requests))


async def test_a_failed_re_decision_after_the_first_load_is_tried_again(
    docks: Docks, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The re-decision after the first load fails once (the database busy): it is tried again,
    and the shipment sealed while the lists loaded gets its request, where one failed try
    left it held without one for good."""
    monkeypatch.setattr(screening_module, "REDECIDE_RETRY_SECONDS", (0.01,))
    await docks.create(dict(BODY), "wms")
    code = gtin_with(demo_config, "9.A.4")
    await docks.scans([{"scan_id": "a", "reader": "r", "door": "D1", "code": code}], "scanner")
    await docks.seal("S1", "wms")
    assert docks.screening is not None
    tries: list[str] = []

    async def busy_once(why: str) -> int:
        tries.append(why)
        if len(tries) == 1:
            raise Unavailable("database is busy")
        return await docks.reevaluate_all(why)

    docks.screening.on_change = busy_once
    await docks.screening.first_load()
    assert ["lists loaded", "lists loaded"] == tries
    after = docks.shipment("S1")
    assert ("held", 1) == (after.state.value, len(after.requests)), after.requests
    assert docks.screening.loaded.is_set()
