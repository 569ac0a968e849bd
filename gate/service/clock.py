"""The wall clock: the one place the running gate reads the time of day.

Everything that stamps or ages something (decisions, audit records, events, the status
page, the central link's health) reads the time through a clock it was given, normally the
docks' ``clock``; this function is that clock's production default. A test gives the gate
another one (``tests.service.harness.ManualClock``) and every stamp follows it. Timers for
rates and timeouts use ``time.monotonic`` instead: they measure elapsed time, not the time
of day, and must not jump when the wall clock does.
"""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    """The current wall time, timezone-aware (UTC)."""
    return dt.datetime.now(dt.UTC)
