"""The decision table of DESIGN.md section 2, one test per row, then the rows together."""

from __future__ import annotations

import datetime as dt

import pytest

from gate.core import shipments as sh
from gate.core.classification import Classification
from gate.core.countries import CountryGroups
from gate.core.identifiers import Identifier
from gate.core.licences import Approval, ApprovalDecision, StandingLicence
from gate.core.parties import DenialList, DeniedParty
from gate.core.rules import (
    RULES,
    ControlDates,
    Decision,
    Facts,
    LineDecision,
    Policy,
    ShipmentContext,
    assess,
    decide,
    decide_line,
    stale_at,
    worst,
)
from gate.errors import DispatchRefused, PolicyError

APPROVED = ApprovalDecision.APPROVED
UTC = dt.UTC
NOW = dt.datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
FRESH = ControlDates(NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=10))
OLD = ControlDates(NOW - dt.timedelta(days=3), NOW - dt.timedelta(days=120))

GROUPS = CountryGroups.from_mapping(
    {
        "embargoed": ["KP", "IR", "SY"],
        "mtcr_partners": ["DE", "FR", "GB", "US", "JP"],
        "adherents": ["IL"],
    }
)
DENIALS = DenialList.of([DeniedParty("Rocket Dynamics Trading LLC", "AE", "BIS-117")])
POLICY = Policy(GROUPS, cat2_exempt_groups=("mtcr_partners",), denials=DENIALS)


def item(
    category: int, control: str = "", *flags: str, key: str = "09506000134352"
) -> Classification:
    return Classification(
        key, f"item {control or 'unlisted'}", control, category, "", frozenset(flags)
    )


CAT1 = item(1, "2.A.1.a")
CAT1_PRODUCTION = item(1, "1.B.1", "production")
CAT2 = item(2, "9.A.3")
UNLISTED = item(0)


def ctx(
    destination: str = "DE",
    consignee: tuple[str, str] = ("Acme Avionik GmbH", "DE"),
    transit: tuple[str, ...] = (),
    end_use: str | None = None,
) -> ShipmentContext:
    return ShipmentContext(destination, consignee[0], consignee[1], transit, end_use)


def run(
    classification: Classification | None,
    context: ShipmentContext | None = None,
    *,
    denied: bool = False,
    dates: ControlDates = FRESH,
) -> LineDecision:
    return decide_line(POLICY, classification, context or ctx(), dates, NOW, denied=denied)


# --- the table itself -----------------------------------------------------------------------


def test_table_reads_like_the_design() -> None:
    """The rows are DESIGN.md's, in its order, with its decisions and reason codes."""
    assert [
        (1, "prohibited", "cat1_production"),
        (2, "prohibited", "embargo"),
        (3, "prohibited", "denied"),
        (4, "licence_required", "denied_party"),
        (5, "licence_required", "cat1"),
        (6, "licence_required", "cat2"),
        (7, "licence_required", "unclassified"),
        (8, "licence_required", "catch_all"),
        (9, "licence_required", "stale_list"),
        (10, "clear", "general_licence"),
        (11, "clear", "not_listed"),
    ] == [(rule.number, str(rule.decision), rule.reason) for rule in RULES]


# --- one test per row -----------------------------------------------------------------------


def test_rule_1_production_is_prohibited() -> None:
    """Category I production facilities or technology are prohibited, even to a partner."""
    decision = run(CAT1_PRODUCTION)
    assert (Decision.PROHIBITED, 1, "cat1_production") == (
        decision.decision,
        decision.rule,
        decision.reason,
    )


def test_rule_2_listed_item_to_embargoed_destination_is_prohibited() -> None:
    """A listed item to an embargoed destination is prohibited."""
    decision = run(CAT2, ctx("IR", ("Tehran Parts Co", "IR")))
    assert (Decision.PROHIBITED, 2, "embargo") == (
        decision.decision,
        decision.rule,
        decision.reason,
    )
    assert "IR" in decision.detail


def test_rule_3_line_denied_by_central_is_prohibited() -> None:
    """A line the central office denied is prohibited, whatever it is."""
    decision = run(UNLISTED, denied=True)
    assert (Decision.PROHIBITED, 3, ("denied",)) == (
        decision.decision,
        decision.rule,
        decision.reasons,
    )


def test_rule_4_listed_item_to_denied_party_needs_licence() -> None:
    """A listed item for a consignee on the denial list needs a licence, with the match shown."""
    decision = run(CAT2, ctx("AE", ("Rocket Dynamics Trading", "AE")))
    assert (Decision.LICENCE_REQUIRED, 4, "denied_party") == (
        decision.decision,
        decision.rule,
        decision.reason,
    )
    assert decision.party is not None
    assert "BIS-117" in decision.detail


def test_rule_5_category_1_needs_licence() -> None:
    """A Category I item needs a licence even to an MTCR partner."""
    decision = run(CAT1)
    assert (Decision.LICENCE_REQUIRED, 5, ("cat1",)) == (
        decision.decision,
        decision.rule,
        decision.reasons,
    )


def test_rule_6_category_2_to_non_exempt_destination_needs_licence() -> None:
    """A Category II item to a destination outside the exempt groups needs a licence."""
    decision = run(CAT2, ctx("AE", ("Gulf Avionics", "AE")))
    assert (Decision.LICENCE_REQUIRED, 6, ("cat2",)) == (
        decision.decision,
        decision.rule,
        decision.reasons,
    )


def test_rule_7_item_not_in_table_needs_licence() -> None:
    """An item key not in the table needs a licence (unclassified)."""
    decision = run(None)
    assert (Decision.LICENCE_REQUIRED, 7, ("unclassified",)) == (
        decision.decision,
        decision.rule,
        decision.reasons,
    )


def test_rule_7_unknown_category_is_unclassified_not_clear() -> None:
    """A category value the rules do not know is treated as not classified."""
    decision = run(item(7, "99.Z.9"))
    assert (Decision.LICENCE_REQUIRED, 7, "unclassified") == (
        decision.decision,
        decision.rule,
        decision.reason,
    )
    assert "category 7" in decision.detail


def test_rule_7_unknown_container_needs_licence() -> None:
    """A container missing from the manifest is unclassified, and says so."""
    facts = assess(POLICY, ctx(), FRESH, NOW)
    decision = decide(facts, None, container=True)
    assert (Decision.LICENCE_REQUIRED, 7) == (decision.decision, decision.rule)
    assert "manifest" in decision.detail


@pytest.mark.parametrize(
    "context",
    [
        ctx("KP", ("Pyongyang Trading", "KP")),
        ctx("DE", end_use="Military aircraft maintenance"),
        ctx("AE", ("Rocket Dynamics Trading LLC", "AE")),
    ],
    ids=["embargoed-destination", "catch-all-end-use", "denied-consignee"],
)
def test_rule_8_catch_all_holds_unlisted_items(context: ShipmentContext) -> None:
    """An unlisted item needs a licence for an embargoed route, a catch-all end use or a denied
    consignee."""
    decision = run(UNLISTED, context)
    assert (Decision.LICENCE_REQUIRED, 8, "catch_all") == (
        decision.decision,
        decision.rule,
        decision.reason,
    )


def test_rule_9_stale_control_data_holds_everything() -> None:
    """Control data older than the limit holds even an unlisted item."""
    decision = run(UNLISTED, dates=OLD)
    assert (Decision.LICENCE_REQUIRED, 9, ("stale_list",)) == (
        decision.decision,
        decision.rule,
        decision.reasons,
    )
    assert "120 days old (limit 90)" in decision.detail


def test_rule_9_unknown_data_age_counts_as_stale() -> None:
    """When the table's or the list's date is unknown, the data counts as stale."""
    decision = run(UNLISTED, dates=ControlDates(None, NOW))
    assert "stale_list" == decision.reason


def test_rule_10_category_2_to_exempt_destination_is_clear() -> None:
    """A Category II item to an exempt group member is clear under the general licence."""
    decision = run(CAT2)
    assert (Decision.CLEAR, 10, ("general_licence",)) == (
        decision.decision,
        decision.rule,
        decision.reasons,
    )


def test_rule_11_otherwise_clear() -> None:
    """An unlisted item with nothing against it is clear."""
    decision = run(UNLISTED)
    assert (Decision.CLEAR, 11, ("not_listed",)) == (
        decision.decision,
        decision.rule,
        decision.reasons,
    )


# --- rows together --------------------------------------------------------------------------


def test_embargoed_transit_country() -> None:
    """A transit country in the embargoed group prohibits a listed item to a partner, and
    holds an unlisted one under the catch-all."""
    through_iran = ctx("DE", transit=("AE", "IR"))
    listed = run(CAT2, through_iran)
    assert (Decision.PROHIBITED, "embargo") == (listed.decision, listed.reason)
    unlisted = run(UNLISTED, through_iran)
    assert (Decision.LICENCE_REQUIRED, "catch_all") == (unlisted.decision, unlisted.reason)
    assert "IR" in unlisted.detail


def test_denied_party_with_unlisted_item() -> None:
    """An unlisted item for a denied party is caught by the catch-all row, match attached."""
    decision = run(UNLISTED, ctx("AE", ("Rocket Dynamic Trading Co.", "AE")))
    assert (Decision.LICENCE_REQUIRED, 8, ("catch_all",)) == (
        decision.decision,
        decision.rule,
        decision.reasons,
    )
    assert decision.party is not None
    assert not decision.party.exact


def test_category_2_to_exempt_destination_with_stale_data() -> None:
    """Stale data comes before the general licence: the Category II line is held."""
    decision = run(CAT2, dates=OLD)
    assert (Decision.LICENCE_REQUIRED, 9, ("stale_list",)) == (
        decision.decision,
        decision.rule,
        decision.reasons,
    )


def test_further_hold_reasons_follow_the_first() -> None:
    """Every other row that would hold the line is listed after the deciding one."""
    decision = run(CAT2, ctx("AE", ("Gulf Avionics", "AE")), dates=OLD)
    assert ("cat2", "stale_list") == decision.reasons
    assert 6 == decision.rule
    worst_case = run(CAT1, ctx("IR", ("Rocket Dynamics Trading", "AE")), denied=True, dates=OLD)
    assert ("embargo", "denied", "denied_party", "cat1", "stale_list") == worst_case.reasons
    assert Decision.PROHIBITED == worst_case.decision


def test_stale_limit_is_reached_at_exactly_the_limit() -> None:
    """At max_list_age_days to the second the data is stale; a second earlier it is not."""
    dates = ControlDates(NOW - dt.timedelta(days=90), NOW)
    assert NOW == stale_at(POLICY, dates)
    assert "stale_list" == run(UNLISTED, dates=dates).reason
    earlier = ControlDates(NOW - dt.timedelta(days=90) + dt.timedelta(seconds=1), NOW)
    assert "not_listed" == run(UNLISTED, dates=earlier).reason


# --- fail closed ----------------------------------------------------------------------------


def test_unknown_country_fails_closed() -> None:
    """An unreadable destination code holds every line with reason 'error', even unlisted ones."""
    decision = run(UNLISTED, ctx("XK"))
    assert (Decision.LICENCE_REQUIRED, ("error",), 0) == (
        decision.decision,
        decision.reasons,
        decision.rule,
    )
    assert "XK" in decision.detail


def test_naive_clock_fails_closed() -> None:
    """A timezone-less 'now' cannot be compared with the data's dates: the line is held."""
    decision = decide_line(POLICY, UNLISTED, ctx(), FRESH, NOW.replace(tzinfo=None))
    assert (Decision.LICENCE_REQUIRED, ("error",)) == (decision.decision, decision.reasons)


def test_exception_inside_evaluation_fails_closed() -> None:
    """A malformed classification that makes a row raise gives licence_required, not clear."""
    broken = Classification("09506000134352", "x", "", 0, "", None)  # type: ignore[arg-type]
    decision = run(broken)
    assert (Decision.LICENCE_REQUIRED, ("error",)) == (decision.decision, decision.reasons)


def test_denied_line_stays_prohibited_when_evaluation_fails() -> None:
    """Failing closed never weakens a central denial to a licence hold."""
    decision = decide(Facts(error="boom"), UNLISTED, denied=True)
    assert (Decision.PROHIBITED, ("denied", "error")) == (decision.decision, decision.reasons)


def test_worst_orders_by_severity() -> None:
    """worst() picks prohibited over licence_required over clear."""
    assert Decision.PROHIBITED == worst([Decision.CLEAR, Decision.PROHIBITED, Decision.CLEAR])
    assert Decision.LICENCE_REQUIRED == worst([Decision.CLEAR, Decision.LICENCE_REQUIRED])
    assert Decision.CLEAR == worst([])


@pytest.mark.parametrize(
    "build",
    [
        lambda: Policy(CountryGroups.from_mapping({"embargo": ["IR"]})),
        lambda: Policy(GROUPS, cat2_exempt_groups=("partners",)),
        lambda: Policy(GROUPS, cat2_exempt_groups=("embargoed",)),
        lambda: Policy(GROUPS, max_list_age_days=0),
        lambda: Policy(GROUPS, fuzzy_threshold=1.5),
        lambda: Policy(GROUPS, catch_all_end_uses=frozenset({"  "})),
    ],
    ids=["no-embargoed", "unknown-exempt", "embargoed-exempt", "age", "threshold", "term"],
)
def test_inconsistent_policy_is_refused(build: object) -> None:
    """A policy that would silently weaken a rule is refused when built."""
    with pytest.raises(PolicyError):
        build()  # type: ignore[operator]


# --- licences meeting the rules: shipment level ---------------------------------------------

TABLE = {
    "09506000134352": item(2, "9.A.3", key="09506000134352"),
    "04012345000019": item(1, "2.A.1.a", key="04012345000019"),
}


def controls(
    dates: ControlDates = FRESH, licences: tuple[StandingLicence, ...] = ()
) -> sh.Controls:
    return sh.Controls(POLICY, TABLE.get, dates, licences)


def loaded(key: str, units: int, destination: str = "AE") -> sh.Shipment:
    shipment = sh.new_shipment(
        shipment_id="S-7",
        door="D1",
        destination=destination,
        consignee=sh.Consignee("Gulf Avionics LLC", "AE"),
        now=NOW,
    )
    for n in range(units):
        scan = Identifier("gs1", f"raw{n}", key=key, serial=f"SN{n}")
        shipment = sh.add_scan(shipment, scan, TABLE[key], controls(), NOW).shipment
    return shipment


def test_licence_expiring_between_seal_and_dispatch() -> None:
    """A shipment cleared by an approval is refused at dispatch once the licence has lapsed,
    and the next evaluation holds it with a new request."""
    held = sh.seal(loaded("09506000134352", 3), controls(), NOW)
    request = held.requests[0]
    until = NOW + dt.timedelta(hours=2)
    approval = Approval(request.request_id, "S-7", APPROVED, None, "EX-1", until)
    cleared = sh.apply_approval(held.shipment, approval, controls(), NOW).shipment
    assert sh.State.CLEARED == cleared.state
    assert until == sh.next_review(cleared, controls(), NOW)
    with pytest.raises(DispatchRefused) as refused:
        sh.dispatch(cleared, controls(), until)
    assert (("09506000134352", "licence_required", ("cat2",)),) == refused.value.blocking
    later = sh.reevaluate(cleared, controls(), until)
    assert sh.State.HELD == later.shipment.state
    assert ["S-7-r2"] == [r.request_id for r in later.requests]


def test_standing_licence_with_too_little_left() -> None:
    """A standing licence with fewer units left than the line holds does not cover it."""
    licence = StandingLicence(
        "SL-1",
        "Gulf Avionics",
        "AE",
        "AE",
        frozenset({"9.A.3"}),
        quantity=10,
        remaining=2,
        valid_from=NOW - dt.timedelta(days=1),
        valid_until=NOW + dt.timedelta(days=30),
    )
    outcome = sh.seal(loaded("09506000134352", 3), controls(licences=(licence,)), NOW)
    assert sh.State.HELD == outcome.shipment.state
    assert outcome.shipment.lines[0].covered_by is None
    assert 1 == len(outcome.requests)
    enough = sh.seal(loaded("09506000134352", 2), controls(licences=(licence,)), NOW)
    assert sh.State.CLEARED == enough.shipment.state


def test_approval_for_fewer_units_than_loaded() -> None:
    """An approval for 2 of 3 loaded units does not cover the line; the gate asks again for 3."""
    held = sh.seal(loaded("09506000134352", 3), controls(), NOW)
    request = held.requests[0]
    short = Approval(
        request.request_id,
        "S-7",
        APPROVED,
        (("09506000134352", 2),),
        "EX-2",
        NOW + dt.timedelta(days=5),
    )
    outcome = sh.apply_approval(held.shipment, short, controls(), NOW)
    assert sh.State.HELD == outcome.shipment.state
    assert outcome.shipment.lines[0].covered_by is None
    (again,) = outcome.requests
    assert 3 == again.lines[0].quantity


def test_standing_licence_does_not_release_stale_data() -> None:
    """A standing licence covers cat1/cat2 holds only: with stale data the line stays held."""
    licence = StandingLicence.issued(
        "SL-2",
        consignee_name="Gulf Avionics",
        consignee_country="AE",
        destination="AE",
        controls=["9.A.3"],
        quantity=100,
        valid_from=NOW - dt.timedelta(days=1),
        valid_until=NOW + dt.timedelta(days=30),
    )
    outcome = sh.seal(loaded("09506000134352", 3), controls(OLD, (licence,)), NOW)
    assert ("cat2", "stale_list") == outcome.shipment.lines[0].reasons
    assert sh.State.HELD == outcome.shipment.state
