"""The docks' data dates follow the clock although they are kept between scans.

``Docks.data_dates`` keeps its last answer while its inputs are the same objects (every scan
batch asks). A list dated more than a day ahead of the clock counts as undated (stale, rule
2.3); the kept answer must turn when the clock comes within a day of that date, and a clock
set back must be asked again rather than given the later answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate.web import app_keys
from tests.service.harness import Gate, ManualClock, start_gate, stop_gate, until

#: configs/gate.toml dates the OFAC SDN sample 2026-11-28T06:00Z (the CSV carries no date).
SDN_PUBLISHED = dt.datetime(2026, 11, 28, 6, tzinfo=dt.UTC)
START = SDN_PUBLISHED - dt.timedelta(days=3)


@pytest.fixture
async def gate(demo_config: Path) -> AsyncIterator[Gate]:
    g = await start_gate(demo_config, ManualClock(START))
    yield g
    await stop_gate(g)


def _sdn_date(gate: Gate) -> dt.datetime | None:
    dates = gate.app[app_keys.DOCKS].data_dates()
    return next(d.dated for d in dates.lists if d.name == "ofac-sdn")


async def test_a_list_dated_ahead_turns_good_when_the_clock_comes_within_a_day(
    gate: Gate,
) -> None:
    docks = gate.app[app_keys.DOCKS]
    clock = gate.clock
    assert clock is not None
    await until(
        lambda: docks.screening is not None and docks.screening.snapshot is not None,
        "the screening lists loaded",
    )
    assert None is _sdn_date(gate), "three days ahead: a wrong date, stale"
    assert docks.data_dates() is docks.data_dates(), "kept while nothing changed"
    clock.advance(dt.timedelta(days=2, hours=-1).total_seconds())  # 25 hours ahead
    assert None is _sdn_date(gate)
    clock.advance(2 * 3600)  # 23 hours ahead
    assert SDN_PUBLISHED == _sdn_date(gate)
    clock.advance(-dt.timedelta(days=2).total_seconds())  # set back: asked again
    assert None is _sdn_date(gate)
