"""When a shipment is next due to be decided again with nothing else happening: a cover or a
licence starts or ends, or the control data turns stale. The shell sets a timer for it
(``gate.core.shipments`` re-exports it with the transitions)."""

from __future__ import annotations

import datetime as dt

from gate.core.licences import next_expiry
from gate.core.rules import stale_at
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
