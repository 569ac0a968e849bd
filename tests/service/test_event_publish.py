"""What one change publishes: its events in order, stamped with one instant."""

from __future__ import annotations

import datetime as dt
import gc

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


async def test_a_replayed_event_is_the_published_one_as_its_frame_has_it() -> None:
    """A subscriber in the process that replays from the buffer gets each event's id, kind,
    stamp and data back from the kept frame (non-ASCII text and nesting included), with the
    frame the streams were given."""
    events = Events(_Ticking())
    data = {"door": "D1", "name": "Ümit Çelik 北京", "hold": {"at": "x", "n": [1, 2.5, None]}}
    published = events.publish("door", data)
    async with events.subscribe(last_id=0) as sub:
        replayed = sub.queue.get_nowait()
    assert replayed is not None
    assert (published.seq, "door", published.at, data) == (
        replayed.seq,
        replayed.kind,
        replayed.at,
        replayed.data,
    )
    assert published.frame() == replayed.frame()


def test_the_kept_events_cost_the_collector_nothing_once_it_has_seen_them() -> None:
    """The replay buffer keeps frames, not the published dicts: after a collection nothing
    it holds is tracked, however nested the events were (kept as events, the 2,000 with
    their dicts and lists were a third of a busy gate's young generation)."""
    events = Events(_Ticking())
    for n in range(50):
        events.publish("scan", {"scan_id": str(n), "item": {"key": "k"}, "reasons": ["cat2"]})
    gc.collect()
    assert 50 == len(events.kept())
    assert [] == [kept for kept in events._recent if gc.is_tracked(kept)]


def test_data_with_an_at_of_its_own_is_refused() -> None:
    """The frame's ``at`` is the event's stamp: data with an ``at`` of its own would lose it."""
    events = Events(_Ticking())
    with pytest.raises(ValueError, match="'at' of its own"):
        events.publish("door", {"door": "D1", "at": "then"})
    assert [] == events.kept()


async def test_a_stream_replays_frames_without_decoding_them() -> None:
    """A stream only writes frames: its replay carries each kept frame as published, and no
    data is decoded for it (a subscriber in the process gets the data back)."""
    events = Events(_Ticking())
    published = [events.publish("scan", {"n": n}) for n in range(3)]
    async with events.subscribe(last_id=0, frames_only=True) as sub:
        replayed = [sub.queue.get_nowait() for _ in published]
    assert [e.frame() for e in published] == [e.frame() for e in replayed if e]
    assert [{}, {}, {}] == [e.data for e in replayed if e]
