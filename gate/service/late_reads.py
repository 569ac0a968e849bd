"""Goods read at a door after its shipment was sealed: the door held until an operator has
checked them, red when they are prohibited.

A sealed shipment takes no more scans: what was sealed is what was decided. Goods read at its
door afterwards that would add to it are going onto a truck that was cleared without them,
so the scan is rejected and the door held (``DoorHolds.hold_in``, written with the batch):
amber, "held", like goods that passed without a readable tag. Unless the rules would prohibit
those goods in that shipment (``gate.core.late_reads``): then the hold is a prohibited one,
the door red at once (DESIGN 2: "a prohibited item turns the door red at once"), its reason
names the item, the rule and why, and a prohibited alert goes out with the change, as for a
prohibited scan into an open shipment. A read that adds nothing (a portal re-reading the
loaded truck) holds nothing.

Controlled goods read where no shipment counts them (no shipment open at the door, or the
read names another shipment) hold the door the same way (``read_uncounted``): they may be on
the truck all the same, and the next shipment there must not dispatch with them unseen.

So do the goods of a shipment cancelled while they were loaded (``cancelled_loaded``): a
cancel (the WMS may cancel) is not an unloading. Without the hold a door turned red by a
prohibited item went idle at the cancel, and the next shipment there dispatched with the item
still on the truck; now an operator confirms on the page that it was unloaded first.

And so do the goods an amendment eases (``amended_loaded``): the WMS may change a shipment's
parties, end use or transit before it is sealed, and the rules read what it declares. A red
door turned back by removing the party that was listed, or a licence hold turned clear by a
new end use, is the shipper's word against the first declaration: an operator checks before
that door is released (attack16), and a door that was red stays red until then.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Protocol

from gate.core.classification import Classification
from gate.core.identifiers import Identifier
from gate.core.late_reads import late_lines, prohibitions
from gate.core.line_counting import counted_already
from gate.core.rules import SEVERITY
from gate.core.shipment_values import Controls, SerialBook, Shipment
from gate.service.commit_step import Change
from gate.service.event_shapes import prohibited_alert

log = logging.getLogger("gate.service.late_reads")

#: The most characters of the rules' reasons a prohibited hold keeps (its reason is stored,
#: journaled, shown on the page and alerted).
MAX_WHY = 500


class LateRead(Protocol):
    """Holds a door for goods read after its shipment was sealed, the hold written with the
    change (``DoorHolds.hold_in``); ``prohibited``: those goods are prohibited there."""

    def __call__(
        self, change: Change, door: str, reader: str, reason: str, *, prohibited: bool = ...
    ) -> object: ...


def read_after_seal(
    late_read: LateRead,
    at: tuple[str, str, str],
    item: Identifier,
    shipment: Shipment,
    change: Change,
    looked_up: tuple[Classification | None, str | None],
    decided: tuple[Controls, dt.datetime],
    book: SerialBook,
) -> str:
    """Holds the door (``at``: door, reader, the code read) for ``item`` read after
    ``shipment`` was sealed, unless the read adds nothing to it; a prohibited hold and a
    prohibited alert when the rules prohibit the item there (``looked_up``: the table's
    answer for its key and the lookup's failure; ``decided``: the controls and the time the
    batch is decided with).
    Returns what the rejection adds to its error. Raises what ``late_read`` raises."""
    door, reader, code = at
    what = item.key or item.sscc or code
    reason = f"{what} read after {shipment.id} was sealed"
    try:
        if counted_already(shipment, item, book):
            return ""
        classification, lookup_error = looked_up
        controls, now = decided
        lines = late_lines(
            shipment, item, classification, controls, now, book=book, lookup_error=lookup_error
        )
        why = "; ".join(
            f"{key}: rule {verdict.rule}, {', '.join(verdict.reasons)} ({verdict.detail})"
            for key, verdict in prohibitions(lines)
        )[:MAX_WHY]
    except Exception as exc:  # fail closed: goods nobody could decide still hold the door
        log.exception("deciding a read after the seal of %s failed", shipment.id)
        late_read(change, door, reader, f"{reason} (not decided: {type(exc).__name__})")
        return f"; door {door} is held until an operator has checked the goods"
    if not why:
        late_read(change, door, reader, reason)
        return f"; door {door} is held until an operator has checked the goods"
    late_read(change, door, reader, f"prohibited item {reason}: {why}", prohibited=True)
    change.events.append(("alert", prohibited_alert(door, what, shipment.id)))
    return (
        f"; the item is prohibited ({why}): door {door} is held until an operator has checked"
        " the goods"
    )


def read_uncounted(
    late_read: LateRead | None,
    at: tuple[str, str, str],
    item: Identifier,
    change: Change,
    looked_up: tuple[Classification | None, str | None],
    how: str,
) -> str:
    """Holds the door (``at``: door, reader, the code read) for a controlled item (listed, or
    its lookup failed: ``looked_up``) read where no shipment counts it, ``how`` saying where
    ("with no shipment open", "naming S-2"). The goods may be on the truck all the same, so
    the next dispatch there waits for an operator, as after a read past the seal. Ordinary
    goods hold nothing: a portal at an idle door reads passing traffic. Returns what the
    rejection adds to its error. Raises what ``late_read`` raises."""
    if late_read is None:
        return ""
    classification, failure = looked_up
    if failure is None and (classification is None or classification.category == 0):
        return ""
    door, reader, code = at
    what = item.key or item.sscc or code
    late_read(change, door, reader, f"controlled item {what} read {how}")
    return f"; door {door} is held until an operator has checked the goods"


def cancelled_loaded(
    late_read: LateRead | None, change: Change, shipment: Shipment, actor: str
) -> None:
    """Holds the door of ``shipment``, being cancelled by ``actor`` in ``change``, while goods
    that are not plainly clear are loaded in it (active lines that are listed, held or
    prohibited: a prohibited one makes the hold prohibited, red). Ordinary clear goods hold
    nothing. Raises what ``late_read`` raises."""
    if late_read is None:
        return
    loaded = [
        x
        for x in shipment.lines
        if not x.removed and x.quantity > 0 and (x.decision != "clear" or x.category)
    ]
    if not loaded:
        return
    keys = ", ".join(f"{x.key} ×{x.quantity}" for x in loaded[:5])
    more = f" and {len(loaded) - 5} more" if len(loaded) > 5 else ""
    reason = (
        f"shipment {shipment.id} cancelled with controlled goods loaded ({keys}{more}):"
        " unload them before another shipment leaves"
    )
    prohibited = any(x.decision == "prohibited" for x in loaded)
    late_read(change, shipment.door, f"cancel by {actor}", reason[:MAX_WHY], prohibited=prohibited)


def amended_loaded(
    late_read: LateRead | None, change: Change, before: Shipment, after: Shipment, actor: str
) -> None:
    """Holds the door of a shipment whose amendment by ``actor`` in ``change`` eased the
    decision of goods loaded in it: ``before`` is the shipment decided again without the
    amendment (on the same controls, at the same instant), ``after`` with it. A line that was
    prohibited and is not any more makes the hold prohibited (red). Raises what ``late_read``
    raises."""
    if late_read is None:
        return
    now = {x.key: x for x in after.lines}
    eased = [
        (x, now[x.key])
        for x in before.lines
        if not x.removed
        and x.quantity > 0
        and x.key in now
        and SEVERITY[now[x.key].decision] < SEVERITY[x.decision]
    ]
    if not eased:
        return
    what = ", ".join(f"{x.key} ×{x.quantity} {x.decision} -> {y.decision}" for x, y in eased[:5])
    more = f" and {len(eased) - 5} more" if len(eased) > 5 else ""
    reason = (
        f"shipment {after.id} amended with goods loaded, its decisions eased ({what}{more}):"
        " an operator checks the declaration before the door is released"
    )
    prohibited = any(x.decision == "prohibited" for x, _ in eased)
    late_read(change, after.door, f"amendment by {actor}", reason[:MAX_WHY], prohibited=prohibited)
