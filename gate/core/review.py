"""When a shipment is next due to be decided again with nothing else happening: a cover or a
licence starts or ends, or the control data turns stale. The shell sets a timer for it
(``gate.core.shipments`` re-exports it with the transitions), and asks again after every
change: ``Reviews`` answers for the doors' shipments from what it worked out last time for
every shipment whose value and controls are the same objects (a scan at one door changes one
shipment; working out every door's again cost about 100 µs a scan)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

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
            if licence.serves(shipment.consignee.party, shipment.destination)
        ],
    )
    stale = stale_at(controls.policy, controls.dates)
    moments = [m for m in (expiry, stale) if m is not None and m > now]
    return min(moments, default=None)


class Reviews:
    """``next_review`` of many shipments, worked out again only where something changed.

    A shipment's review moment depends on its value, on the controls' policy, dates and
    licences, and on ``now`` only through "the earliest moment after now". So while the value,
    policy and dates are the same objects, the licences equal and the moment kept is still
    ahead, that moment is still the answer (no moment can lie between the last ``now`` and
    it). Not thread-safe: one per review timer.
    """

    def __init__(self) -> None:
        self._kept: dict[
            str,
            tuple[Shipment, Policy, ControlDates, tuple[StandingLicence, ...], dt.datetime | None],
        ] = {}

    def earliest(
        self, shipments: Iterable[Shipment], controls: Controls, now: dt.datetime
    ) -> dt.datetime | None:
        """The earliest ``next_review`` of ``shipments``; None when none is due. Forgets the
        shipments not given."""
        kept = {}
        for shipment in shipments:
            was = self._kept.get(shipment.id)
            if (
                was is not None
                and was[0] is shipment
                and was[1] is controls.policy
                and was[2] is controls.dates
                and was[3] == controls.licences
                and (was[4] is None or was[4] > now)
            ):
                due = was[4]
            else:
                due = next_review(shipment, controls, now)
            kept[shipment.id] = (shipment, controls.policy, controls.dates, controls.licences, due)
        self._kept = kept
        return min((k[4] for k in kept.values() if k[4] is not None), default=None)
