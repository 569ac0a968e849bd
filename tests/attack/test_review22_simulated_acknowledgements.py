"""Review22: what the journal says of ``gate simulate --sensor``'s acknowledgements.

door16 gave the simulator one more: the portal-down hold of each door before a run (``back``),
a hold whose point is that a person checks the trailer by hand. The simulator acknowledges
as the config's first operator, and like its other acknowledgements (an empty window, an
unloading) it sent no note: the journal's ``door.hold_acknowledged`` records said that
operator checked the goods, with nothing to tell a program did (LOW: an audit record that
names a person for what no person did). Each now carries a note that says so.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from gate.cli.simulate import Options, simulate
from tests.test_simulate_sensor import journal_of, served_here  # noqa: F401 (a fixture)


@pytest.mark.usefixtures("served_here")
async def test_every_simulated_acknowledgement_says_it_was_the_simulator(demo_config: Path) -> None:
    """A run at D1 (its portal's outage before it acknowledged, a pallet with no readable
    tag, an unloading): every acknowledgement's note names ``gate simulate``."""
    options = Options(
        demo_config, ("D1",), shipments=2, rate=500.0, seed=7, sensor=True, close_all=True
    )
    await simulate(options, io.StringIO())
    acks = [d for k, d in journal_of(demo_config, "ops") if k == "door.hold_acknowledged"]
    assert len(acks) >= 3, acks
    assert [True] * len(acks) == [
        str(d.get("note", "")).startswith("gate simulate:")  # type: ignore[attr-defined]
        for d in acks
    ], acks
