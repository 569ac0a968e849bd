"""The portal window, reader health and backoff (pure values, clocks passed in)."""

from __future__ import annotations

import datetime as dt
import random

from gate.ingest.readers.dedupe import PortalDedupe, scan_id
from gate.ingest.readers.health import Backoff, RateMeter, ReaderHealth

EPC = "3074257BF7194E4000001A85"
WALL = 1_700_000_000.0


def test_repeated_reads_in_the_window_count_once() -> None:
    """A tag read continuously is one scan, however long it stays in the field."""
    dedupe = PortalDedupe(window=2.0)
    first = dedupe.admit(EPC, now=0.0, wall=WALL)
    assert f"{EPC}.{int(WALL // 2)}" == first
    assert [None] * 100 == [dedupe.admit(EPC, 0.05 * i, WALL + 0.05 * i) for i in range(1, 101)]
    assert 100 == dedupe.suppressed


def test_tag_back_after_the_window_is_a_new_scan_under_a_new_id() -> None:
    """A tag unseen for a whole window and read again is a new scan with a different id."""
    dedupe = PortalDedupe(window=2.0)
    first = dedupe.admit(EPC, 0.0, WALL)
    assert dedupe.admit(EPC, 1.9, WALL + 1.9) is None
    second = dedupe.admit(EPC, 3.9, WALL + 3.9)
    assert second is not None
    assert first != second


def test_ids_are_derived_so_a_restart_repeats_them() -> None:
    """Two dedupers (a gate before and after a restart) give a tag in the same window the
    same id, so the gate answers the second one as a duplicate."""
    assert PortalDedupe(2.0).admit(EPC, 5.0, WALL) == PortalDedupe(2.0).admit(EPC, 99.0, WALL + 1)


def test_door_refusal_allows_a_retry_under_a_fresh_id() -> None:
    """A scan the door refused (no open shipment) is sent again once rejected_retry has
    passed while the tag stays, under a new id; a code refusal is not retried."""
    dedupe = PortalDedupe(window=2.0, rejected_retry=0.5)
    first = dedupe.admit(EPC, 0.0, WALL)
    assert first is not None
    dedupe.refused(EPC, first, now=0.1)
    assert dedupe.admit(EPC, 0.3, WALL + 0.3) is None
    retry = dedupe.admit(EPC, 0.7, WALL + 0.7)
    assert retry is not None
    assert first != retry
    assert dedupe.admit(EPC, 0.9, WALL + 0.9) is None


def test_window_memory_is_bounded_by_the_tags_in_the_field() -> None:
    """Tags not read for a window are forgotten."""
    dedupe = PortalDedupe(window=1.0)
    for i in range(1000):
        dedupe.admit(f"{i:024X}", now=i * 0.01, wall=WALL)
    assert len(dedupe) <= 101


def test_long_tags_are_hashed_into_short_ids() -> None:
    """An id stays short and free of '|' whatever the tag."""
    sid = scan_id("A" * 200, 7)
    assert sid.endswith(".7")
    assert len(sid) < 64


def test_rate_meter_averages_the_last_ten_seconds() -> None:
    """The rate counts events of the last ten seconds only."""
    meter = RateMeter(10)
    for second in range(20):
        meter.add(5, second + 0.5)
    assert 5.0 == meter.rate(19.9)
    assert 0.0 == meter.rate(40.0)


def test_backoff_doubles_with_jitter_up_to_the_maximum() -> None:
    """Waits double from the initial one, stay within [w/2, w] and stop growing at the max."""
    backoff = Backoff(1.0, 8.0, random.Random(3))
    waits = [backoff.next() for _ in range(6)]
    for wait, ceiling in zip(waits, [1, 2, 4, 8, 8, 8], strict=True):
        assert ceiling / 2 <= wait <= ceiling
    backoff.reset()
    assert backoff.next() <= 1.0


def test_health_tracks_state_and_failures() -> None:
    """Failures count up with the reason until a connect clears them."""
    now = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)
    health = ReaderHealth("r", "llrp", "D1", "10.0.0.5")
    health.failed("refused", now, 2.0)
    health.failed("refused again", now, 4.0)
    assert ("disconnected", 2, "refused again") == (
        health.state,
        health.failures,
        health.last_error,
    )
    health.set_state("connected", now)
    doc = health.doc(0.0)
    assert (True, 0, None, 1) == tuple(
        doc[k] for k in ("connected", "failures", "last_error", "connects")
    )
