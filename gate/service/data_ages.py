"""What ``GET /api/v1/lists`` says about the control list: its Annex edition and date (from
``[table]``, DESIGN.md 2.3), its age, its limit, fresh or stale, as the core's row 12 judges it
(``gate.core.facts.source_ages``). The screening lists, the partners' denial notices among
them, are described by ``ScreeningState.status_docs`` beside it.
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
    """The control list's part of the ``GET /lists`` answer at ``now`` (an aware datetime):
    ``lists`` (empty: the screening lists come from the screening state) and
    ``control_list``."""
    control = source_ages(policy.policy, dates, now)[0]
    annex_date = config.table.annex_date
    return {
        "lists": [],
        "control_list": {
            "annex": config.table.annex,
            "annex_date": None if annex_date is None else annex_date.isoformat(),
            "age_days": None if control.age is None else control.age.days,
            "max_age_days": control.max_age.days,
            "fresh": control.fresh,
        },
    }
