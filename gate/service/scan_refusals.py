"""Scans refused before anything is decided: a different scan under a used id, and a scan
for a door its client is not bound to (``gate.service.scan_path``). Each is answered,
journaled and published with the batch; nothing is stored under its id."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from gate.core.shipment_values import Signal
from gate.service.commit_step import Change
from gate.service.event_shapes import scan_id_reused_alert
from gate.service.input_checks import ScanInput
from gate.service.scan_outcome import FirstUse, ScanOutcome

log = logging.getLogger("gate.service.scan_path")

Audits = list[tuple[str, str, str | None, dict[str, Any]]]


def reused(
    scan: ScanInput,
    actor: str,
    first: FirstUse,
    differs: list[str],
    batch: tuple[Change, Audits],
    at_door: tuple[tuple[str, Signal | None], str | None] | None,
) -> ScanOutcome:
    """A different scan under a used id: rejected naming the first use, journaled and
    alerted; nothing decided, nothing stored under the id (a retry of it is refused again).
    ``at_door``: the door's signal and the shipment there now (the one the item was meant
    for), None for a door the gate does not have."""
    change, audits = batch
    error = first.reuse_error(scan.scan_id, scan.reader, differs)
    outcome = ScanOutcome.rejected(
        scan.scan_id,
        error,
        "scan_id",
        reader=scan.reader,
        door=scan.door,
        code=scan.code,
        door_signal=None if at_door is None else at_door[0],
    )
    subject = None if at_door is None else at_door[1]
    data = {
        **outcome.to_audit(),
        "kind": scan.kind,
        "shipment": scan.shipment,
        "differs": differs,
        "first": first.to_audit(),
    }
    audits.append(("scan.id_reused", actor, subject, data))
    change.events.append(("scan", outcome.to_event()))
    if at_door is not None:
        change.events.append(("alert", scan_id_reused_alert(scan.door, error, subject)))
    log.warning("client %s reused scan id %r of reader %r", actor, scan.scan_id, scan.reader)
    return outcome


def door_refused(
    scan: ScanInput, actor: str, doors: Collection[str], change: Change, audits: Audits
) -> ScanOutcome:
    """A scan for a door its client is not bound to: rejected naming the door, journaled;
    nothing decided or stored, and nothing said about that door."""
    error = (
        f"client {actor} may scan at door(s) {', '.join(sorted(doors))} only, not at door"
        f" {scan.door!r}"
    )
    outcome = ScanOutcome.rejected(
        scan.scan_id, error, "door", reader=scan.reader, door=scan.door, code=scan.code
    )
    data = {**outcome.to_audit(), "doors": sorted(doors)}
    audits.append(("scan.door_refused", actor, None, data))
    change.events.append(("scan", outcome.to_event()))
    return outcome
