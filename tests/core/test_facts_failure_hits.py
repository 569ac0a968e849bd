"""A decision whose facts could not be established holds every line (fail closed), and must
not lose what the shell screened: the parties' hits stay on the shipment, so the next
decision (and the journal's record of this one) still sees a sanctioned party."""

from __future__ import annotations

import datetime as dt

from gate.core import shipments as sh
from gate.core.classification import Classification
from gate.core.countries import CountryGroups
from gate.core.hits import Hit, HitAction, PartyHits
from gate.core.identifiers import Identifier
from gate.core.rules import ControlDates, Decision, Policy
from gate.core.shipment_values import evolve
from tests import serial_books

NOW = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)
GROUPS = CountryGroups.from_mapping({"embargoed": ["IR"], "partners": ["DE"]})
GOOD = Policy(GROUPS, embargo_groups=("embargoed",), general_licences=("partners",))
# A policy the config would now refuse ([table] max_age_days is at most 3660): a value this
# large makes the facts' date arithmetic overflow, so every assessment fails.
OVERFLOWING = Policy(GROUPS, embargo_groups=("embargoed",), control_max_age_days=4_000_000)
DATES = ControlDates(NOW - dt.timedelta(days=3))
KEY = "04012345000009"
PLAIN = Classification(KEY, "ball bearing", "", 0, "", frozenset())
FROZEN = Hit("asset-freeze", "F-1", "v1", "Acme", 1.0, HitAction.PROHIBIT, "asset freeze")


def test_a_failed_assessment_keeps_the_parties_hits() -> None:
    """A sanctioned consignee's hits survive an assessment that failed, and once the facts
    can be established again the line is prohibited, never cleared."""
    consignee = sh.Consignee("Acme", "DE")
    shipment = sh.new_shipment(
        shipment_id="S1", door="D1", destination="DE", consignee=consignee, now=NOW
    )
    shipment = evolve(shipment, screening=(PartyHits(consignee.party, (FROZEN,)),))
    good = sh.Controls(GOOD, {KEY: PLAIN}.get, DATES)
    scanned = serial_books.add_scan(shipment, Identifier("gtin", KEY, key=KEY), PLAIN, good, NOW)
    assert Decision.PROHIBITED is scanned.shipment.lines[0].decision

    broken = sh.Controls(OVERFLOWING, {KEY: PLAIN}.get, DATES)
    failed = sh.reevaluate(scanned.shipment, broken, NOW)
    assert failed.shipment.facts is not None and failed.shipment.facts.error is not None
    assert scanned.shipment.screening == failed.shipment.screening

    again = sh.seal(failed.shipment, good, NOW)
    assert Decision.PROHIBITED is again.shipment.lines[0].decision
    assert sh.State.BLOCKED is again.shipment.state
