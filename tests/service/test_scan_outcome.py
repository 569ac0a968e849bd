"""The typed scan outcome: one value rendered to the scan answer (DESIGN.md's shape), the
audit record, the event and the stored row, which reads back to the same answer."""

from __future__ import annotations

import datetime as dt
import json

from gate.core import shipments as sh
from gate.core.classification import Classification
from gate.core.identifiers import Identifier
from gate.service.scan_outcome import ScanOutcome, ScanStatus

NOW = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)
GYRO = Classification("09506000134352", "Gyro", "9.A.3", 2, "Gyroscopes", frozenset())


def accepted() -> ScanOutcome:
    shipment = sh.new_shipment(
        shipment_id="S1",
        door="D1",
        destination="DE",
        consignee=sh.Consignee("Acme GmbH", "DE"),
        now=NOW,
    )
    line = sh.Line(GYRO.key, GYRO, unserialised=1)
    item = Identifier("gtin", GYRO.key, key=GYRO.key)
    return ScanOutcome.accepted_into(
        "s1", "r1", "D1", GYRO.key, item, GYRO, None, line, shipment, sh.Signal.AMBER, counted=1
    )


def test_accepted_answer_has_the_design_shape() -> None:
    """An accepted scan answers with exactly the fields it always had, and ``counted``."""
    wire = accepted().to_wire()
    assert {
        "scan_id",
        "status",
        "item",
        "classification",
        "description",
        "decision",
        "reasons",
        "line",
        "counted",
        "shipment",
        "door",
    } == set(wire)
    assert 1 == wire["counted"]
    assert ("accepted", {"id": "S1", "state": "open"}, {"id": "D1", "signal": "amber"}) == (
        wire["status"],
        wire["shipment"],
        wire["door"],
    )
    assert {"control": "9.A.3", "category": 2, "title": "Gyroscopes", "flags": []} == wire[
        "classification"
    ]


def test_rejected_answer_names_the_field() -> None:
    """A rejected scan answers with its error and the field that is wrong."""
    wire = ScanOutcome.rejected("s2", "unknown door 'D9'", "door").to_wire()
    assert {
        "scan_id",
        "status",
        "error",
        "field",
        "item",
        "classification",
        "decision",
        "reasons",
        "shipment",
        "door",
    } == set(wire)
    assert ("rejected", "door", []) == (wire["status"], wire["field"], wire["reasons"])


def test_duplicate_repeats_the_first_answer() -> None:
    """A retry gets the first answer again with status duplicate and the first status."""
    first = accepted()
    again = first.duplicate().to_wire()
    assert {**first.to_wire(), "status": "duplicate", "first_status": "accepted"} == again
    assert again == first.duplicate().duplicate().to_wire()


def test_stored_row_reads_back_to_the_same_answer() -> None:
    """The stored row, and an older row that held the answer itself, read back to the
    same answer for a retry."""
    first = accepted()
    record = json.loads(json.dumps(first.to_record()))
    assert first.to_wire() == ScanOutcome.from_record(record).to_wire()
    old_row = json.loads(json.dumps(first.to_wire()))
    assert first.to_wire() == ScanOutcome.from_record(old_row).to_wire()
    rejected = ScanOutcome.rejected("s2", "bad check digit", "gtin")
    assert rejected.to_wire() == ScanOutcome.from_record(rejected.to_record()).to_wire()


def test_event_and_audit_come_from_the_same_outcome() -> None:
    """The event and the audit record carry the outcome's decision and shipment, the audit
    also what came in."""
    outcome = accepted()
    event, audit = outcome.to_event(), outcome.to_audit()
    assert (outcome.decision, outcome.shipment_id) == (
        event["decision"],
        event["shipment"]["id"],
    )
    assert ("r1", "D1", GYRO.key, None, "open") == (
        audit["reader"],
        audit["door"],
        audit["code"],
        audit["lookup_error"],
        audit["state"],
    )
    assert ScanStatus.ACCEPTED == outcome.status


def test_a_row_stored_before_counted_was_kept_answers_null() -> None:
    """A stored row without ``counted`` (written before it was kept) reads back to an answer
    whose ``counted`` is null (not known), the rest as it was; a new row keeps its count."""
    first = accepted()
    record = first.to_record()
    assert 1 == ScanOutcome.from_record(record).duplicate().to_wire()["counted"]
    del record["counted"]
    again = ScanOutcome.from_record(record).to_wire()
    assert {**first.to_wire(), "counted": None} == again


def test_the_event_carries_the_count() -> None:
    """The ``scan`` event says what the read counted (null for a rejected scan)."""
    assert 1 == accepted().to_event()["counted"]
    assert None is ScanOutcome.rejected("s2", "unknown door 'D9'", "door").to_event()["counted"]
