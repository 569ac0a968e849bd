"""A control list dated ahead of the gate's clock is stale, as a screening list so dated is.

An attack set ``[table] annex_date = "2099-10-01"``: the screening lists dated 2099 counted as
stale, but the control list's age came out negative and stayed under its limit, so it would
have counted as fresh for 70 years. A date more than a day ahead (``FUTURE_SLACK``: a clock a
little behind the publisher's) is a wrong date: every line holds (``stale_data``) until the
clock comes within a day of it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gate.core.facts import FUTURE_SLACK, ControlDates, source_ages, stale_at
from gate.core.rules import assess
from gate.web import app_keys
from tests.core.test_rules import POLICY, ctx
from tests.service.harness import Gates, ManualClock, gtin_with

#: The demo's lists are dated 2026-11-20 to 2026-11-28: all fresh at this instant.
NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


def annex_date(config: Path, date: str) -> None:
    text = config.read_text()
    assert 'annex_date = "2024-10-01"' in text
    config.write_text(text.replace('annex_date = "2024-10-01"', f'annex_date = "{date}"'))


async def test_a_control_list_dated_2099_holds_every_line(demo_config: Path, gates: Gates) -> None:
    """``annex_date`` 2099: GET /lists says the control list is not fresh, and an ordinary
    item scanned and sealed holds for stale data, the reason naming the date ahead."""
    annex_date(demo_config, "2099-10-01")
    gate = await gates.start(clock=ManualClock(NOW))
    status, lists = await gate.call("GET", "/api/v1/lists")
    assert 200 == status
    assert (False, True) == (
        lists["control_list"]["fresh"],
        all(item["fresh"] for item in lists["lists"]),
    )
    await gate.create()
    result = await gate.scan(gtin_with(demo_config, ""))
    assert (True, True) == ("stale_data" in result["reasons"], "clear" != result["decision"])
    _, doc = await gate.call("GET", "/api/v1/shipments/S1/history")
    assert "days ahead of the gate's clock" in str(doc)


async def test_a_control_list_dated_within_a_day_ahead_is_fresh(
    demo_config: Path, gates: Gates
) -> None:
    """``annex_date`` the next day, 12 hours ahead of the clock (a clock a little behind):
    fresh, and an ordinary item clears."""
    annex_date(demo_config, "2026-11-30")
    gate = await gates.start(clock=ManualClock(NOW))
    _, lists = await gate.call("GET", "/api/v1/lists")
    assert True is lists["control_list"]["fresh"]
    await gate.create()
    result = await gate.scan(gtin_with(demo_config, ""))
    assert [] == [r for r in result["reasons"] if r == "stale_data"]
    assert gate.app[app_keys.DOCKS].data_dates().control_list is not None


def test_a_date_ahead_turns_fresh_when_the_clock_comes_within_the_slack() -> None:
    """In the core: dated two days ahead, stale (no stale_at instant: it already holds), the
    facts held until the date is a day ahead; from then on fresh, stale at its limit."""
    dated = NOW + dt.timedelta(days=2)
    dates = ControlDates(dated)
    [control] = source_ages(POLICY, dates, NOW)
    facts = assess(POLICY, ctx(), dates, NOW)
    assert (False, None, [("control list", -2, POLICY.control_max_age_days)]) == (
        control.fresh,
        stale_at(POLICY, dates, NOW),
        list(facts.stale),
    )
    assert facts.basis is not None and dated - FUTURE_SLACK == facts.basis.until
    later = dated - FUTURE_SLACK
    [control] = source_ages(POLICY, dates, later)
    assert (True, dated + dt.timedelta(days=POLICY.control_max_age_days), ()) == (
        control.fresh,
        stale_at(POLICY, dates, later),
        assess(POLICY, ctx(), dates, later).stale,
    )
