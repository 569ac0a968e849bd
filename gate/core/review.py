"""When a shipment is next due to be decided again with nothing else happening: a cover or a
licence starts or ends, or the control data turns stale. The shell sets a timer for it
(``gate.core.shipments`` re-exports it with the transitions), and asks again after every
change: ``Reviews`` answers for the doors' shipments from what it worked out last time for
every shipment whose value and controls are the same objects (a scan at one door changes one
shipment; working out every door's again cost about 100 µs a scan)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from gate.core.licences import StandingLicence, next_expiry
from gate.core.rules import ControlDates, Policy, stale_at
from gate.core.shipment_values import FINAL, Controls, Shipment


def next_review(shipment: Shipment, controls: Controls, now: dt.datetime) -> dt.datetime | None:
    """When the shell should re-evaluate this shipment next even if nothing else happens.

    The earliest of: a cover or licence starting or ending, and the control data turning
    stale. ``None`` for a final shipment or when nothing is due.
    """
    if shipment.state in FINAL:
        return None
    expiry = next_expiry(
        now,
        coverages=(line.covered_by for line in shipment.active_lines),
        approvals=shipment.approvals,
        licences=[
            licence
            for licence in controls.licences
            if licence.serves(shipment.consignee.party, shipment.destination, shipment.parties)
        ],
    )
    stale = stale_at(controls.policy, controls.dates, now)
    moments = [m for m in (expiry, stale) if m is not None and m > now]
    return min(moments, default=None)


@dataclass(frozen=True, slots=True)
class _Kept:
    shipment: Shipment
    policy: Policy
    dates: ControlDates
    licences: tuple[StandingLicence, ...]
    since: dt.datetime  # the instant the shipment was last decided (or reviewed) at
    due: dt.datetime | None  # its first review moment after ``since``
    current: bool = True  # False: ``since`` moved, ``due`` is to be worked out again


class Reviews:
    """When the doors' shipments are next due to be decided again, worked out again only
    where something changed.

    A shipment is due at the first moment (``next_review``) after the instant it was last
    decided: its value's ``updated_at``, or the last re-evaluation of every shipment
    (``reviewed``). Counting from then, not from the time of asking, a moment that passed
    before anyone asked (the clock moved on while changes were gathering) is due at once,
    not skipped. While the value, policy and dates are the same objects and the licences
    equal, the moment kept is still the answer. Not thread-safe: one per review timer.
    """

    def __init__(self) -> None:
        self._kept: dict[str, _Kept] = {}

    def earliest(
        self, shipments: Iterable[Shipment], controls: Controls, now: dt.datetime
    ) -> dt.datetime | None:
        """The earliest moment at which one of ``shipments`` is due to be decided again (at
        or before ``now``: due already); None when none is. Forgets the shipments not given."""
        kept = {}
        for shipment in shipments:
            was = self._kept.get(shipment.id)
            if was is not None and was.shipment is shipment:
                since = was.since
                if (
                    was.current
                    and was.policy is controls.policy
                    and was.dates is controls.dates
                    and was.licences == controls.licences
                ):
                    kept[shipment.id] = was
                    continue
            else:
                since = min(shipment.updated_at, now)
            due = next_review(shipment, controls, since)
            kept[shipment.id] = _Kept(
                shipment, controls.policy, controls.dates, controls.licences, since, due
            )
        self._kept = kept
        return min((k.due for k in kept.values() if k.due is not None), default=None)

    def reviewed(self, at: dt.datetime) -> None:
        """Every shipment was decided again at ``at``: only moments after it count now."""
        self._kept = {sid: replace(k, since=at, current=False) for sid, k in self._kept.items()}
