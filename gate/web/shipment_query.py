"""The query of ``GET /shipments``: ``state``, ``door``, and a range ``from``/``to`` (ISO
8601 dates or date-times, UTC unless an offset is given; ``to`` is exclusive, and a bare date
as ``to`` is the start of that day). A bad value is a 400 problem naming it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from gate.core.facts import EARLIEST, LATEST
from gate.core.shipments import State
from gate.service.shipment_search import Query
from gate.web.problems import Problem


def instant(name: str, text: str | None) -> dt.datetime | None:
    """A query's date or date-time (UTC unless it has an offset). Raises Problem (400)."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Problem(
            400,
            "bad-request",
            "Bad request",
            f"{name}: {text[:40]!r} is not an ISO 8601 date or date-time (2024-05-01)",
        ) from None
    value = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    try:
        # Year 1 with a positive offset, or year 9999 with a negative one, is no instant in
        # UTC (comparing or storing it would fail later, as a 500).
        value = value.astimezone(dt.UTC)
    except OverflowError:
        raise Problem(
            400, "bad-request", "Bad request", f"{name}: {text[:40]!r} is no instant in UTC"
        ) from None
    return value


def shipment_query(params: Mapping[str, str]) -> Query:
    """The checked query. Raises Problem (400) for an unknown state, a bad date or an empty
    range."""
    state = params.get("state")
    states = {s.value: s for s in State}
    if state is not None and state not in states:
        raise Problem(400, "bad-request", "Bad request", f"unknown state {state[:40]!r}")
    start = instant("from", params.get("from"))
    end = instant("to", params.get("to"))
    if start is not None and end is not None and start >= end:
        raise Problem(400, "bad-request", "Bad request", "from must be before to")
    # A range reaching past the times the gate holds ("to=9999-12-31" for "no end") is cut to
    # them (nothing outside them is stored); one wholly outside them finds nothing.
    start = None if start is None else min(max(start, EARLIEST), LATEST)
    end = None if end is None else min(max(end, EARLIEST), LATEST)
    return Query(
        state=None if state is None else states[state],
        door=params.get("door"),
        start=start,
        end=end,
    )
