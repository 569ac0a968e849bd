"""An approval answers the request it was given: a line held since for a reason that request
did not name (a party listed after the approval) is not covered by it, and is asked again."""

from __future__ import annotations

from gate.core import shipments as sh
from gate.core.hits import Hit, HitAction, PartyHits
from gate.core.rules import Decision
from gate.core.shipment_values import evolve
from tests.core.test_shipments import CONTROLS, GYRO, LATER, NOW, approve, scan, shipment

NOTICE = Hit("notices", "N-1", "v1", "Gulf Avionics LLC", 0.97, HitAction.LICENCE, "a notice")


def test_a_reason_the_request_did_not_name_lapses_the_approval() -> None:
    """A Category II line approved as ``cat2`` is held again once its consignee is listed
    (``listed_party``): the old approval does not cover it, and a new request names both."""
    held = sh.seal(scan(shipment(), GYRO, "A"), CONTROLS, NOW).shipment
    assert sh.State.HELD == held.state
    (asked,) = held.requests[-1].lines
    cleared = approve(held).shipment
    assert sh.State.CLEARED == cleared.state
    party = cleared.consignee.party
    listed = evolve(cleared, screening=(PartyHits(party, (NOTICE,)),))
    again = sh.reevaluate(listed, CONTROLS, LATER)
    (line,) = again.shipment.lines
    assert (Decision.LICENCE_REQUIRED, None) == (line.decision, line.covered_by)
    assert "listed_party" in line.reasons
    assert "listed_party" not in asked.reasons
    assert sh.State.HELD == again.shipment.state
    (request,) = [e.request for e in again.effects if isinstance(e, sh.LicenceRequestNeeded)]
    assert {"listed_party", *asked.reasons} <= set(request.lines[0].reasons)


def test_the_reasons_the_request_named_stay_covered() -> None:
    """Re-deciding with nothing new keeps the approval's cover."""
    held = sh.seal(scan(shipment(), GYRO, "A"), CONTROLS, NOW).shipment
    cleared = approve(held).shipment
    again = sh.reevaluate(cleared, CONTROLS, LATER)
    assert sh.State.CLEARED == again.shipment.state
    assert again.shipment.lines[0].covered_by is not None
