"""What ``GET /api/v1/lists`` says about the control list: its Annex edition and date (from
``[table]``, DESIGN.md 2.3), its age, its limit, fresh or stale, as the core's row 12 judges it
(``gate.core.facts.source_ages``). The screening lists, the partners' denial notices among
them, are described by ``ScreeningState.status_docs`` beside it.

When the data came in a signed bundle from the office (gate/service/reference_swap.py), each
source is as old as the older of its own date, where it carries one (the control list's Annex
date in the manifest, a list's date inside its data), and the bundle's ``published`` time (2.3:
"touching or recompiling old data does not make it fresh"; audit14: the bundle's time alone
made old lists re-published in a new bundle fresh on every gate). A date later than
``published`` is not taken: data cannot be younger than the manifest that signed it. The answer
names the bundle (``bundle``: version and published) so an integrator sees which bundle each
gate runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gate.config.settings import Config
from gate.core.facts import ControlDates, source_ages
from gate.service.policy_files import PolicyData


def bundled_age(own: dt.datetime | None, published: dt.datetime) -> dt.datetime:
    """The date a source from a signed bundle is as old as: the older of its own date
    (None: it carries none) and the bundle's ``published``."""
    return published if own is None else min(own, published)


def control_dated(config: Config) -> dt.datetime | None:
    """The control list's date (its age, 2.3): the Annex date (midnight UTC), from a signed
    bundle's manifest or else ``[table]``; from a bundle, no later than its ``published``
    (``bundled_age``). None (stale) when there is neither."""
    bundle = config.bundle
    annex = config.table.annex_date if bundle is None else bundle.annex_date
    own = None if annex is None else dt.datetime.combine(annex, dt.time(), dt.UTC)
    return own if bundle is None else bundled_age(own, bundle.published)


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
