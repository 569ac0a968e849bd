"""What ``GET /api/v1/lists`` says about each data source: its date (from inside the data,
DESIGN.md 2.3), its age, its limit, fresh or stale.

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
from gate.service.policy_files import PolicyData


def _age(dated: dt.datetime | None, limit: dt.timedelta, now: dt.datetime) -> dict[str, Any]:
    """Age in hours and freshness; a source without a date is stale (its age unknown)."""
    if dated is None:
        return {"age_hours": None, "fresh": False}
    age = now - dated
    return {"age_hours": round(age.total_seconds() / 3600, 1), "fresh": age < limit}


def lists_doc(config: Config, policy: PolicyData, now: dt.datetime) -> dict[str, Any]:
    """The ``GET /lists`` answer at ``now`` (an aware datetime)."""
    denials = policy.policy.denials
    denial_limit = dt.timedelta(days=config.policy.denials_max_age_days)
    annex_date = config.table.annex_date
    annex_at = None if annex_date is None else dt.datetime.combine(annex_date, dt.time(), dt.UTC)
    control_limit = dt.timedelta(days=config.table.max_age_days)
    control = _age(annex_at, control_limit, now)
    return {
        "lists": [
            {
                "name": "denials",
                "format": "gate-csv",
                "action": "licence",
                "entries": len(denials),
                "names": len(denials),
                "published": None
                if policy.denials_dated is None
                else policy.denials_dated.isoformat(),
                "max_age_hours": denial_limit.total_seconds() / 3600,
                **_age(policy.denials_dated, denial_limit, now),
            }
        ],
        "control_list": {
            "annex": config.table.annex,
            "annex_date": None if annex_date is None else annex_date.isoformat(),
            "age_days": None if annex_at is None else (now - annex_at).days,
            "max_age_days": config.table.max_age_days,
            "fresh": control["fresh"],
        },
    }
