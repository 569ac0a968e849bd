"""What ``GET /api/v1/lists`` says about the control list: its Annex edition and date (from
``[table]``, DESIGN.md 2.3), its age, its limit, fresh or stale, as the core's row 12 judges it
(``gate.core.facts.source_ages``). The screening lists, the partners' denial notices among
them, are described by ``ScreeningState.status_docs`` beside it.

When the data came in a signed bundle from the office (gate/service/reference_swap.py), the
bundle's ``published`` time is the control list's age (2.3: the signed manifest it arrived
in), and the answer names the bundle (``bundle``: version and published) so an integrator
sees which bundle each gate runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gate.config.settings import Config
from gate.core.facts import ControlDates, source_ages
from gate.service.policy_files import PolicyData


def control_dated(config: Config) -> dt.datetime | None:
    """The control list's date (its age, 2.3): its signed bundle's ``published``, else the
    Annex date of ``[table]`` (midnight UTC), else None (stale)."""
    if config.bundle is not None:
        return config.bundle.published
    annex = config.table.annex_date
    return None if annex is None else dt.datetime.combine(annex, dt.time(), dt.UTC)


def bundle_doc(config: Config) -> dict[str, Any] | None:
    """The signed bundle the data comes from (version, published), or None."""
    bundle = config.bundle
    if bundle is None:
        return None
    return {"version": bundle.version, "published": bundle.published.isoformat()}


def lists_doc(
    config: Config, policy: PolicyData, dates: ControlDates, now: dt.datetime
) -> dict[str, Any]:
    """The control list's part of the ``GET /lists`` answer at ``now`` (an aware datetime):
    ``lists`` (empty: the screening lists come from the screening state), ``control_list``
    and ``bundle`` (None when the data comes from local files)."""
    control = source_ages(policy.policy, dates, now)[0]
    annex_date = config.table.annex_date
    published = control_dated(config)
    return {
        "lists": [],
        "control_list": {
            "annex": config.table.annex,
            "annex_date": None if annex_date is None else annex_date.isoformat(),
            "published": None if published is None else published.isoformat(),
            "age_days": None if control.age is None else control.age.days,
            "max_age_days": control.max_age.days,
            "fresh": control.fresh,
        },
        "bundle": bundle_doc(config),
    }
