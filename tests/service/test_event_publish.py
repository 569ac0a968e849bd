"""What one change publishes: its events in order, stamped with one instant."""

from __future__ import annotations

import datetime as dt

import pytest

from gate.service.events import Events

START = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


class _Ticking:
    """A clock that moves one second on each reading: a second reading shows."""

    def __init__(self) -> None:
        self.readings = 0

    def __call__(self) -> dt.datetime:
        self.readings += 1
        return START + dt.timedelta(seconds=self.readings)


async def test_a_changes_events_share_one_instant_and_keep_their_order() -> None:
    """publish_all reads the clock once for all its events, numbers them in order, and
    keeps them for replay in that order."""
    clock = _Ticking()
    events = Events(clock)
    async with events.subscribe() as sub:
        events.publish_all([("scan", {"n": 1}), ("door", {"n": 2}), ("scan", {"n": 3})])
        got = [sub.queue.get_nowait() for _ in range(3)]
    assert 1 == clock.readings
    assert [(1, "scan", 1), (2, "door", 2), (3, "scan", 3)] == [
        (e.seq, e.kind, e.data["n"]) for e in got if e is not None
    ]
    assert {(START + dt.timedelta(seconds=1)).isoformat()} == {e.at for e in got if e}


async def test_a_kind_with_a_line_break_is_refused_in_a_change_too() -> None:
    """An event kind with a line break would write a field of its own into the frame: it is
    refused, and the events before it in the change are out already."""
    events = Events(_Ticking())
    with pytest.raises(ValueError, match="one line"):
        events.publish_all([("scan", {}), ("scan\nevent: alert", {})])
    assert 2 == events.publish("scan", {}).seq
