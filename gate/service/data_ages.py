"""What ``GET /api/v1/lists`` says about each data source: its date (from inside the data,
DESIGN.md 2.3), its age, its limit, fresh or stale, as the core's row 12 judges it
(``gate.core.facts.source_ages``).

Today the sources are the control list (its Annex edition and date from ``[table]``) and the
gate's own denial list (its newest entry's date). The screening lists join ``lists`` when the
screening engine is merged; the shape is DESIGN.md's (``name``, ``format``, ``action``,
``entries``, ``names``, ``published``, ``age_hours``, ``max_age_hours``, ``fresh``, and
``control_list`` with ``annex``, ``annex_date``, ``fresh``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gate.config.settings import Config
from gate.core.facts import ControlDates, source_ages
from gate.service.policy_files import PolicyData


def lists_doc(
    config: Config, policy: PolicyData, dates: ControlDates, now: dt.datetime
) -> dict[str, Any]:
    """The ``GET /lists`` answer at ``now`` (an aware datetime) for the data ``dates``."""
    control, denials = source_ages(policy.policy, dates, now)
    hours = 3600.0
    annex_date = config.table.annex_date
    return {
        "lists": [
            {
                "name": "denials",
                "format": "gate-csv",
                "action": "licence",
                "entries": len(policy.policy.denials),
                "names": len(policy.policy.denials),
                "published": None if denials.dated is None else denials.dated.isoformat(),
                "age_hours": None
                if denials.age is None
                else round(denials.age.total_seconds() / hours, 1),
                "max_age_hours": denials.max_age.total_seconds() / hours,
                "fresh": denials.fresh,
            }
        ],
        "control_list": {
            "annex": config.table.annex,
            "annex_date": None if annex_date is None else annex_date.isoformat(),
            "age_days": None if control.age is None else control.age.days,
            "max_age_days": control.max_age.days,
            "fresh": control.fresh,
        },
    }
