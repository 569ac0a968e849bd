"""Review14: ``reevaluate_all`` passes over a shipment whose closing write (dispatch or
cancellation) is under way (attack13). When that write then fails (the database busy, a
writer failure), the shipment is back at its door as it was, decided on the lists it was
decided on before the change: a cleared shipment whose consignee the new list names stayed
cleared, its door green, until something else decided it again."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gate.core.shipment_values import State
from gate.errors import Unavailable
from gate.service.commit_step import Change
from gate.web import app_keys
from tests.attack.acme_noticed import cleared_then_noticed, swapped_in_undecided
from tests.service.harness import Gate


async def test_a_shipment_whose_cancellation_fails_is_decided_on_the_new_lists(
    gate: Gate, demo_config: Path
) -> None:
    """S1 cleared; the notices list now names Acme; every live shipment is decided again while
    S1's cancellation is being written, and that write then fails: S1 is live again and is
    decided on the list that names its consignee, never left cleared."""
    docks = gate.app[app_keys.DOCKS]
    await cleared_then_noticed(gate, demo_config)
    await swapped_in_undecided(gate)
    release = threading.Event()

    def failing(conn: sqlite3.Connection) -> None:
        release.wait(10)
        raise Unavailable("database is busy")

    change_of: Callable[..., Change] = docks._change

    def change(*args: Any, **kwargs: Any) -> Change:
        made = change_of(*args, **kwargs)
        if kwargs.get("kind") == "shipment.cancelled":
            made.sql.append(failing)
        return made

    docks._change = change  # type: ignore[method-assign]
    cancel = asyncio.create_task(docks.cancel("S1", "wms"))
    for _ in range(1000):  # turns of the loop: the write must still be going on
        latest = docks.state.latest("S1")
        if latest is not None and latest.state is State.CANCELLED:
            break
        await asyncio.sleep(0)
    again = asyncio.create_task(docks.reevaluate_all("lists changed: test"))
    for _ in range(50):
        await asyncio.sleep(0)
    release.set()
    with pytest.raises(Unavailable):
        await cancel
    await again
    for _ in range(50):
        await asyncio.sleep(0)
    docks._change = change_of  # type: ignore[method-assign]
    shipment = docks.shipment("S1")
    assert State.CLEARED is not shipment.state, shipment.state
    assert any(party.hits for party in shipment.screening)
