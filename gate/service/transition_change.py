"""A shipment transition as a ``Change``: what every operation of the docks writes and
publishes besides its own steps.

The shipment is saved (by the commit step) with its audit record; licence requests the
transition raised are queued for the central office, each with its serials read in the same
transaction, and journaled; requests not yet delivered are taken back once moot (the truck
left, or the request was answered); and the shipment, door and request events are announced
once the change committed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from gate.core.shipment_values import FINAL, LicenceRequestNeeded, Shipment, Transition, evolve
from gate.service.audit_records import stopping_record
from gate.service.commit_step import Change
from gate.service.event_shapes import door_event, request_event, shipment_event
from gate.service.party_screening import hits_record
from gate.storage import journal, outbox_rows
from gate.storage.shipment_codec import encode_request


def change_of(
    before: Shipment | None,
    transition: Transition,
    *,
    actor: str,
    kind: str,
    data: Mapping[str, Any],
    gate_id: str,
    at: dt.datetime,
    read: Callable[[sqlite3.Connection], Mapping[str, Any]] | None = None,
) -> Change:
    """A transition as a change: the shipment saved with its audit record, licence
    requests queued, undelivered requests taken back when moot, and its events. ``read``
    adds to the record what must be read in the change's own transaction."""
    after = transition.shipment
    previous = None if before is None else before.state.value
    requests = transition.requests
    answered = [a for a in after.approvals if before is None or a not in before.approvals]
    # New hits are journaled with it, and so are the lines that hold or block it.
    record = {**data, **hits_record(before, after), **stopping_record(after)}

    def write(conn: sqlite3.Connection) -> None:
        for request in requests:
            outbox_rows.queue(
                conn,
                request.request_id,
                after.id,
                outbox_rows.request_body(conn, gate_id, after, request),
                request.created_at,
            )
        if after.state in FINAL:
            # A request not yet delivered is moot once the truck left or was cancelled.
            outbox_rows.stop_sending(conn, "shipment_id", after.id, f"shipment {after.state}")
        for approval in answered:
            outbox_rows.stop_sending(conn, "request_id", approval.request_id, "answered")
        journal.append(
            conn,
            kind=kind,
            actor=actor,
            subject=after.id,
            data={
                **record,
                **({} if read is None else read(conn)),
                "state": after.state.value,
                "previous_state": previous,
            },
            ts=at,
        )
        for request in requests:
            journal.append(
                conn,
                kind="licence_request.queued",
                actor="gate",
                subject=after.id,
                data=encode_request(request),
                ts=at,
            )

    change = Change(sql=[write], outbox=bool(requests))
    change.add(before, after)
    if after.state in FINAL:
        change.doors[after.door] = None
    elif before is None:
        change.doors[after.door] = after.id
    if before is None or (before.state, before.signal) != (after.state, after.signal):
        change.events.append(("shipment", shipment_event(before, after, after.signal)))
        final = after.state in FINAL  # the goods left or stay: the door is free again
        signal = None if final else after.signal
        change.events.append(("door", door_event(after.door, signal, after.id)))
    elif before is not after:
        change.events.append(("shipment", shipment_event(before, after, after.signal)))
    for request in requests:
        change.events.append(("request", request_event(after.id, request.request_id)))
    return change


def unasked(before: Shipment | None, transition: Transition) -> Transition:
    """``transition`` without the licence requests it raised: the shipment keeps the requests
    it had before, still held. For the docks' decisions while the screening lists have not
    loaded yet since the start (every line then holds as ``stale_data``): the lists are
    loading, not stale, so there is nothing to ask the office. Asking made every restart send
    a request for each sealed shipment, ordinary goods too, and an office that approved one
    gave its line cover for stale data later (attack13). The re-decision once the lists have
    loaded asks for what still needs a licence."""
    if not transition.requests:
        return transition
    kept = () if before is None else before.requests
    return dataclasses.replace(
        transition,
        shipment=evolve(transition.shipment, requests=kept),
        effects=tuple(e for e in transition.effects if not isinstance(e, LicenceRequestNeeded)),
    )
