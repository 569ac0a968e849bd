"""What the core decides and the shell must not decide again: a failed lookup, a dispatch's
drawdown and its refusal, an unknown request, the instants the gate can hold."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from gate.core import shipments as sh
from gate.core.licences import Approval, StandingLicence
from gate.core.rules import ERROR, Decision
from gate.core.shipment_values import State
from gate.errors import InvalidApproval, LicenceError, NotFound, Overdraw
from tests import serial_books
from tests.core.test_shipments import (
    CONTROLS,
    GYRO,
    LATER,
    MOTOR,
    NOW,
    TABLE,
    item,
    scan,
    shipment,
)


def licence(quantity: int = 3, **changes: object) -> StandingLicence:
    made = StandingLicence.issued(
        "SL-4",
        consignee_name="GULF AVIONICS L.L.C.",
        consignee_country="AE",
        destination="AE",
        controls=["9.A.3", "2.A.1.a"],
        quantity=quantity,
        valid_from=NOW - dt.timedelta(days=1),
        valid_until=NOW + dt.timedelta(days=1),
        category_1=True,  # it names 2.A.1.a, a Category I code
    )
    return dataclasses.replace(made, **changes) if changes else made


def test_failed_lookup_holds_the_line_as_a_lookup_failure() -> None:
    """A scan whose table lookup failed is held with reason ``error`` (rule 0) and the
    failure in its detail: never the unclassified row's "not in the table"."""
    outcome = serial_books.add_scan(
        shipment(), item(GYRO, "A"), None, CONTROLS, NOW, lookup_error="TableCorrupt: bad entry"
    )
    (line,) = outcome.lines
    assert (Decision.LICENCE_REQUIRED, (ERROR,), 0) == (
        line.decision,
        line.reasons,
        line.verdict.rule,
    )
    assert "TableCorrupt: bad entry" in line.verdict.detail
    assert "TableCorrupt: bad entry" == line.lookup_error


def test_dispatch_returns_the_licences_drawn_down() -> None:
    """A dispatch's transition carries every standing licence with its drawdown taken, as
    ``draw_down`` computes it: the shell stores that and computes nothing."""
    controls = dataclasses.replace(CONTROLS, licences=(licence(),))
    cleared = sh.seal(scan(scan(shipment(), GYRO, "A"), MOTOR, "M"), controls, NOW).shipment
    outcome = sh.dispatch(cleared, controls, LATER)
    assert [("SL-4", 1)] == [(x.number, x.remaining) for x in outcome.licences or ()]


def test_overdraw_refusal_names_each_line_with_its_own_reasons() -> None:
    """A drawdown the stored count cannot afford is refused naming the lines drawing on
    that licence, a Category I line with ``cat1`` (not an invented ``cat2``)."""
    controls = dataclasses.replace(CONTROLS, licences=(licence(),))
    cleared = sh.seal(scan(scan(shipment(), GYRO, "A"), MOTOR, "M"), controls, NOW).shipment
    taken = sh.dispatch(cleared, controls, LATER).drawdowns
    refusal = sh.overdraw_refusal(cleared, taken, Overdraw("SL-4", 0, 2))
    assert {(GYRO, "licence_required", ("cat2",)), (MOTOR, "licence_required", ("cat1",))} == set(
        refusal.blocking
    )


def test_approval_for_an_unknown_request_is_not_found() -> None:
    """An approval answering a request the shipment does not have is a NotFound (one
    answer, 404, wherever it is checked), and still an InvalidApproval."""
    held = sh.seal(scan(shipment(), GYRO, "A"), CONTROLS, NOW).shipment
    assert State.HELD == held.state
    answer = Approval(
        request_id="S-1-r9",
        shipment_id=held.id,
        decision="approved",  # type: ignore[arg-type]
        licence_number="L-1",
        valid_until=LATER,
    )
    with pytest.raises(NotFound):
        sh.apply_approval(held, answer, CONTROLS, NOW)
    with pytest.raises(InvalidApproval):
        sh.apply_approval(held, answer, CONTROLS, NOW)


def test_approval_naming_lines_not_requested_is_refused() -> None:
    """An approval naming a line its request did not ask for is refused by the core."""
    held = sh.seal(scan(shipment(), GYRO, "A"), CONTROLS, NOW).shipment
    answer = Approval(
        request_id=held.requests[0].request_id,
        shipment_id=held.id,
        decision="approved",  # type: ignore[arg-type]
        lines=(("09506000000000", 1),),
        licence_number="L-1",
        valid_until=LATER,
    )
    with pytest.raises(InvalidApproval, match="not in request"):
        sh.apply_approval(held, answer, CONTROLS, NOW)


@pytest.mark.parametrize(
    "text", ["9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+05:00"]
)
def test_instants_the_gate_cannot_hold_are_refused(text: str) -> None:
    """An approval or a standing licence dated beyond what storage and date arithmetic can
    hold is refused as malformed (the web face answers 400)."""
    moment = dt.datetime.fromisoformat(text)
    with pytest.raises(InvalidApproval, match="valid_until"):
        Approval("S-1-r1", "S-1", "approved", licence_number="L", valid_until=moment)  # type: ignore[arg-type]
    with pytest.raises(LicenceError):
        licence(valid_until=moment) if moment > NOW else licence(valid_from=moment)


def test_table_used_by_the_tests_knows_the_motor() -> None:
    """The fixtures above rest on MOTOR being Category I (so its line reads ``cat1``)."""
    assert 1 == TABLE[MOTOR].category
