"""The decision table of DESIGN.md section 2 (version 2): one test per row, the four probes of
issue 12, then the rows together and failing closed."""

from __future__ import annotations

import datetime as dt

import pytest

from gate.core import shipments as sh
from gate.core.classification import Classification
from gate.core.countries import CountryGroups
from gate.core.facts import ListDate
from gate.core.hits import Hit, HitAction, PartyHits
from gate.core.identifiers import Identifier
from gate.core.licences import Approval, ApprovalDecision
from gate.core.parties import Party
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
from tests import serial_books

APPROVED = ApprovalDecision.APPROVED
UTC = dt.UTC
NOW = dt.datetime(2025, 6, 2, 9, 30, tzinfo=UTC)


def dated(list_days: float | None, control_days: float = 30) -> ControlDates:
    """The control list ``control_days`` old and one screening list (limit 90 days)
    ``list_days`` old (``None``: not loaded)."""
    when = None if list_days is None else NOW - dt.timedelta(days=list_days)
    return ControlDates(NOW - dt.timedelta(days=control_days), (ListDate("sdn", when, 90),))


FRESH = dated(10)
OLD_LIST = dated(120)

EU001 = ["AU", "CA", "GB", "IS", "JP", "LI", "NO", "NZ", "CH", "US"]
GROUPS = CountryGroups.from_mapping(
    {
        "un_arms_embargo": {"members": ["KP", "IR"], "basis": "UNSCR 1718; UNSCR 1737"},
        "eu_dual_use_ban": {"members": ["RU", "BY"], "basis": "833/2014 Art 2; 765/2006"},
        "eu001": {
            "members": EU001,
            "basis": "Regulation (EU) 2021/821 Annex II Section A",
            "excluded_controls": ["3.A.4", "6.A.2"],
        },
        "mtcr_partners": ["DE", "FR", "GB", "US", "JP", "IN"],
    }
)
POLICY = Policy(
    GROUPS,
    embargo_groups=("un_arms_embargo", "eu_dual_use_ban"),
    general_licences=("eu001",),
    control_max_age_days=400,
)


def item(
    category: int, control: str = "", *flags: str, key: str = "09506000134352"
) -> Classification:
    return Classification(
        key, f"item {control or 'unlisted'}", control, category, "", frozenset(flags)
    )


CAT1 = item(1, "2.A.1.a")
CAT1_PRODUCTION = item(1, "1.B.1", "production")
IMU = item(2, "9.A.6")
UNLISTED = item(0)

FORWARDER = Party("forwarder", "Oceanic Freight Ltd", "AE")
SDN_HIT = Hit(
    "ofac-sdn", "36123", "2025-04-30", "OCEANIC FREIGHT", 0.97, HitAction.PROHIBIT, "SDN 36123"
)
ENTITY_HIT = Hit(
    "bis-entity", "EL-88", "2025-03-01", "OCEANIC FREIGHT", 0.93, HitAction.LICENCE, "EL-88"
)


def ctx(
    destination: str = "US",
    consignee: tuple[str, str] = ("Acme Avionics Inc", "US"),
    transit: tuple[str, ...] = (),
    end_use: str | None = None,
    parties: tuple[Party, ...] = (),
    hits: tuple[Hit, ...] = (),
    codes: tuple[str, ...] = (),
) -> ShipmentContext:
    """A shipment context; ``hits`` are hand-made screening hits of the forwarder."""
    screening = (PartyHits(FORWARDER, hits),) if hits else ()
    if hits and FORWARDER not in parties:
        parties = (*parties, FORWARDER)
    return ShipmentContext(
        destination,
        consignee[0],
        consignee[1],
        transit,
        end_use,
        parties=parties,
        end_use_codes=codes,
        screening=screening,
    )


def run(
    classification: Classification | None,
    context: ShipmentContext | None = None,
    *,
    denied: bool = False,
    dates: ControlDates = FRESH,
    policy: Policy = POLICY,
) -> LineDecision:
    return decide_line(policy, classification, context or ctx(), dates, NOW, denied=denied)


def answer(decision: LineDecision) -> tuple[Decision, int, tuple[str, ...]]:
    return (decision.decision, decision.rule, decision.reasons)


P, L, C = Decision.PROHIBITED, Decision.LICENCE_REQUIRED, Decision.CLEAR


# --- the table itself -----------------------------------------------------------------------


def test_table_reads_like_the_design() -> None:
    """The rows are DESIGN.md's 14, in its order, with its decisions and reason codes."""
    assert [
        (1, "prohibited", "cat1_production"),
        (2, "prohibited", "embargo"),
        (3, "prohibited", "denied"),
        (4, "prohibited", "sanctioned_party"),
        (5, "prohibited", "wmd_end_use"),
        (6, "licence_required", "listed_party"),
        (7, "licence_required", "catch_all"),
        (8, "licence_required", "catch_all"),
        (9, "licence_required", "cat1"),
        (10, "licence_required", "cat2"),
        (11, "licence_required", "unclassified"),
        (12, "licence_required", "stale_data"),
        (13, "clear", "general_licence"),
        (14, "clear", "not_listed"),
    ] == [(rule.number, str(rule.decision), rule.reason) for rule in RULES]


# --- the four probes of issue 12 ------------------------------------------------------------


def test_probe_category_2_imu_to_the_us_for_missile_guidance_is_held() -> None:
    """A Category II IMU to the US declared for "missile guidance" is held (catch_all): the
    general licence never wins over a WMD or missile end use."""
    decision = run(IMU, ctx("US", end_use="missile guidance"))
    assert (L, 7, ("catch_all", "cat2")) == answer(decision)
    assert None is decision.general_licence


def test_probe_consignee_in_iran_with_destination_elsewhere_is_prohibited() -> None:
    """A listed item whose consignee sits in Iran is prohibited though the goods go to the
    UAE: every party's country counts for the embargo."""
    decision = run(IMU, ctx("AE", consignee=("Parsian Avionics", "IR")))
    assert (P, 2, "embargo") == (decision.decision, decision.rule, decision.reason)
    assert "IR (un_arms_embargo)" in decision.detail


@pytest.mark.parametrize("end_use", ["ballistic rocket programme", "unmanned aerial vehicle"])
def test_probe_unlisted_item_to_china_for_a_missile_end_use_is_held(end_use: str) -> None:
    """An unlisted item to China for a "ballistic rocket programme" or an "unmanned aerial
    vehicle" needs a licence (catch_all), though nothing else about it is listed."""
    decision = run(UNLISTED, ctx("CN", consignee=("Harbin Precision", "CN"), end_use=end_use))
    assert (L, 7, ("catch_all",)) == answer(decision)


@pytest.mark.parametrize("destination", ["BY", "RU"])
@pytest.mark.parametrize("listed", [CAT1, IMU], ids=["cat1", "cat2"])
def test_probe_any_listed_item_to_belarus_or_russia_is_prohibited(
    destination: str, listed: Classification
) -> None:
    """Any listed item to Belarus or Russia is prohibited (the EU's dual-use ban, an embargo
    group), even though Russia is an MTCR partner."""
    decision = run(listed, ctx(destination, consignee=("Any Buyer", destination)))
    assert (P, 2, "embargo") == (decision.decision, decision.rule, decision.reason)
    assert f"{destination} (eu_dual_use_ban)" in decision.detail


# --- one test per row -----------------------------------------------------------------------


def test_row_1_production_is_prohibited() -> None:
    """Category I production facilities or technology are prohibited, even to the US."""
    assert (P, 1, ("cat1_production", "cat1")) == answer(run(CAT1_PRODUCTION))


@pytest.mark.parametrize(
    "context",
    [
        ctx("IR", consignee=("Tehran Trading", "IR")),
        ctx("AE", consignee=("Gulf Avionics", "AE"), transit=("KP",)),
        ctx("AE", consignee=("Gulf Avionics", "AE"), parties=(Party("end_user", "X", "RU"),)),
        ctx("AE", consignee=("Gulf Avionics", "AE"), parties=(Party("purchaser", "Y", "BY"),)),
    ],
    ids=["destination", "transit", "end-user", "purchaser"],
)
def test_row_2_listed_item_touching_an_embargo_is_prohibited(context: ShipmentContext) -> None:
    """A listed item is prohibited when the destination, a transit country or any party's
    country is in an embargo group."""
    decision = run(IMU, context)
    assert (P, 2, "embargo") == (decision.decision, decision.rule, decision.reason)


def test_row_3_line_denied_by_the_office_is_prohibited() -> None:
    """A line the central office denied is prohibited, whatever else holds."""
    assert (P, 3, ("denied",)) == answer(run(UNLISTED, denied=True))


@pytest.mark.parametrize("classification", [UNLISTED, IMU, None], ids=["unlisted", "cat2", "none"])
def test_row_4_party_on_a_prohibit_list_is_prohibited(
    classification: Classification | None,
) -> None:
    """Any party matching an entry of a ``prohibit`` list prohibits the line, listed or not."""
    decision = run(classification, ctx(hits=(SDN_HIT,)))
    assert (P, 4, "sanctioned_party") == (decision.decision, decision.rule, decision.reason)
    assert "forwarder 'Oceanic Freight Ltd': SDN 36123" in decision.detail


def test_row_5_category_1_for_a_missile_end_use_is_prohibited() -> None:
    """A Category I item declared for a missile end use is prohibited."""
    decision = run(CAT1, ctx(end_use="Missiles (guidance)"))
    assert (P, 5, ("wmd_end_use", "catch_all", "cat1")) == answer(decision)


def test_row_5_military_alone_is_not_a_wmd_end_use() -> None:
    """ "Military" alone triggers row 7 only: a Category I item stays licence_required."""
    assert (L, 7, ("catch_all", "cat1")) == answer(run(CAT1, ctx(end_use="military aircraft")))


@pytest.mark.parametrize("classification", [UNLISTED, IMU], ids=["unlisted", "cat2"])
def test_row_6_party_on_a_licence_list_needs_a_licence(
    classification: Classification,
) -> None:
    """Any party matching an entry of a ``licence`` list holds the line, listed or not, and
    keeps the general licence from applying."""
    decision = run(classification, ctx(hits=(ENTITY_HIT,)))
    assert (L, 6, "listed_party") == (decision.decision, decision.rule, decision.reason)
    assert None is decision.general_licence


@pytest.mark.parametrize(
    ("end_use", "codes"),
    [("WMD programme", ()), ("military", ()), (None, ("missile",)), (None, ("military",))],
    ids=["wmd-text", "military-text", "wmd-code", "military-code"],
)
def test_row_7_catch_all_end_use_holds_unlisted_items(
    end_use: str | None, codes: tuple[str, ...]
) -> None:
    """A WMD, missile or military end use, in text or as a code, holds an unlisted item."""
    assert (L, 7, ("catch_all",)) == answer(run(UNLISTED, ctx(end_use=end_use, codes=codes)))


def test_row_8_unlisted_item_touching_an_embargo_needs_a_licence() -> None:
    """An unlisted item to, via or for a party in an embargoed country needs a licence."""
    assert (L, 8, ("catch_all",)) == answer(run(UNLISTED, ctx("IR", ("Tehran Trading", "IR"))))
    via = run(UNLISTED, ctx("AE", ("Gulf Avionics", "AE"), parties=(Party("end_user", "Z", "KP"),)))
    assert (L, 8, ("catch_all",)) == answer(via)


def test_row_9_category_1_needs_a_licence() -> None:
    """Category I needs a licence even to a general-licence country."""
    assert (L, 9, ("cat1",)) == answer(run(CAT1))


@pytest.mark.parametrize(
    "context",
    [
        ctx("AE", ("Gulf Avionics", "AE")),
        ctx("US", ("Acme Avionik GmbH", "DE")),
        ctx("US", parties=(Party("end_user", "Acme", "IN"),)),
    ],
    ids=["destination-outside", "consignee-outside", "end-user-outside"],
)
def test_row_10_category_2_without_a_general_licence_needs_a_licence(
    context: ShipmentContext,
) -> None:
    """Category II needs a licence unless the destination and every party's country are in
    the general licence's group."""
    assert (L, 10, ("cat2",)) == answer(run(IMU, context))


@pytest.mark.parametrize("control", ["3.A.4", "6.A.2.a"])
def test_row_10_excluded_control_gets_no_general_licence(control: str) -> None:
    """A control the general licence excludes (or a sub-item of one) needs a licence."""
    assert (L, 10, ("cat2",)) == answer(run(item(2, control)))


def test_row_11_item_not_in_the_table_needs_a_licence() -> None:
    """A key not in the table is unclassified: licence_required, never 'not listed'."""
    assert (L, 11, ("unclassified",)) == answer(run(None))


def test_row_11_unknown_category_is_unclassified_not_clear() -> None:
    """A category the rules do not know is held as unclassified."""
    decision = run(item(7, "99.Z.9"))
    assert (L, 11, ("unclassified",)) == answer(decision)
    assert "category 7" in decision.detail


def test_row_11_unknown_container_needs_a_licence() -> None:
    """A scanned SSCC missing from the manifest is unclassified."""
    decision = decide(assess(POLICY, ctx(), FRESH, NOW), None, container=True)
    assert (L, 11, ("unclassified",)) == answer(decision)
    assert "container" in decision.detail


@pytest.mark.parametrize(
    ("dates", "why"),
    [
        (OLD_LIST, "the list sdn is 120 days old (limit 90)"),
        (dated(None), "the list sdn carries no date"),
        (dated(10, control_days=500), "the control list is 500 days old"),
        (ControlDates(None), "the control list carries no date"),
    ],
    ids=["list-old", "list-not-loaded", "control-list-old", "undated"],
)
def test_row_12_stale_data_holds_everything(dates: ControlDates, why: str) -> None:
    """Any data source past its maximum age, or without a date, holds even unlisted items."""
    decision = run(UNLISTED, dates=dates)
    assert (L, 12, ("stale_data",)) == answer(decision)
    assert why in decision.detail


def test_row_13_category_2_under_a_general_licence_is_clear_and_named() -> None:
    """Category II to the US, every party in the US, is clear under EU001, which the line's
    decision names for the exporter's records."""
    decision = run(IMU, ctx(parties=(Party("end_user", "Acme Space", "US"),)))
    assert (C, 13, ("general_licence",)) == answer(decision)
    assert "eu001" == decision.general_licence


def test_row_14_otherwise_clear() -> None:
    """An unlisted item on a clean shipment is clear, not listed."""
    decision = run(UNLISTED)
    assert (C, 14, ("not_listed",)) == answer(decision)
    assert None is decision.general_licence


# --- the rows together ----------------------------------------------------------------------


def test_every_matching_reason_is_kept_in_table_order() -> None:
    """The first row decides; every other holding row follows, in table order, once each."""
    context = ctx("IR", ("Tehran Trading", "IR"), end_use="ballistic missile", hits=(SDN_HIT,))
    decision = run(CAT1, context, dates=OLD_LIST)
    assert (P, 2) == (decision.decision, decision.rule)
    assert (
        "embargo",
        "sanctioned_party",
        "wmd_end_use",
        "catch_all",
        "cat1",
        "stale_data",
    ) == decision.reasons
    assert 6 == len(decision.detail.split("; "))


def test_stale_limit_is_reached_at_exactly_the_limit() -> None:
    """At the maximum age to the second the data is stale; a second earlier it is not."""
    dates = dated(90, control_days=10)
    assert NOW == stale_at(POLICY, dates, NOW)
    assert "stale_data" == run(UNLISTED, dates=dates).reason
    earlier = dated(90 - 1 / 86400, control_days=10)
    assert "not_listed" == run(UNLISTED, dates=earlier).reason


def test_the_first_general_licence_that_fits_is_named() -> None:
    """With two general licences, the line names the first in the configured order whose
    group holds every country and which does not exclude the control."""
    groups = CountryGroups.from_mapping(
        {
            "un_arms_embargo": {"members": ["IR"], "basis": "UNSCR 1737"},
            "eu001": {"members": EU001, "basis": "EU001", "excluded_controls": ["9.A.6"]},
            "national": {"members": ["US", "DE"], "basis": "a national general licence"},
        }
    )
    policy = Policy(groups, ("un_arms_embargo",), ("eu001", "national"))
    assert "national" == run(IMU, policy=policy).general_licence
    assert "eu001" == run(item(2, "9.A.4"), policy=policy).general_licence


# --- fail closed ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "context",
    [
        ctx("XK"),
        ctx(parties=(Party("end_user", "Acme", "US"),), codes=("space_tourism",)),
    ],
    ids=["unknown-country", "unknown-end-use-code"],
)
def test_unreadable_facts_fail_closed(context: ShipmentContext) -> None:
    """A destination or an end-use code the gate cannot read holds every line ('error')."""
    decision = run(UNLISTED, context)
    assert (L, 0, ("error",)) == answer(decision)


def test_naive_clock_fails_closed() -> None:
    """A timezone-less 'now' cannot be compared with the data's dates: the line is held."""
    decision = decide_line(POLICY, UNLISTED, ctx(), FRESH, NOW.replace(tzinfo=None))
    assert (L, ("error",)) == (decision.decision, decision.reasons)


def test_exception_inside_evaluation_fails_closed() -> None:
    """A malformed classification that makes a row raise gives licence_required, not clear."""
    broken = Classification("09506000134352", "x", "", 0, "", None)  # type: ignore[arg-type]
    assert (L, ("error",)) == (run(broken).decision, run(broken).reasons)


def test_denied_line_stays_prohibited_when_evaluation_fails() -> None:
    """Failing closed never weakens a central denial to a licence hold."""
    decision = decide(Facts(error="boom"), UNLISTED, denied=True)
    assert (P, ("denied", "error")) == (decision.decision, decision.reasons)


def test_worst_orders_by_severity() -> None:
    """worst() picks prohibited over licence_required over clear."""
    assert P == worst([C, P, C])
    assert L == worst([C, L])
    assert C == worst([])


@pytest.mark.parametrize(
    "build",
    [
        lambda: Policy(GROUPS),
        lambda: Policy(GROUPS, ("embargoed",)),
        lambda: Policy(GROUPS, ("un_arms_embargo",), ("partners",)),
        lambda: Policy(GROUPS, ("eu001",), ("eu001",)),
        lambda: Policy(GROUPS, ("un_arms_embargo",), control_max_age_days=0),
        lambda: Policy(GROUPS, ("un_arms_embargo",), catch_all_end_uses=frozenset({"  "})),
    ],
    ids=["no-embargo", "unknown-embargo", "unknown-licence", "both", "age", "term"],
)
def test_inconsistent_policy_is_refused(build: object) -> None:
    """A policy that would silently weaken a rule is refused when built."""
    with pytest.raises(PolicyError):
        build()  # type: ignore[operator]


# --- licences meeting the rules: shipment level ---------------------------------------------

TABLE = {
    "09506000134352": item(2, "9.A.6", key="09506000134352"),
    "04012345000019": item(1, "2.A.1.a", key="04012345000019"),
}


def controls(dates: ControlDates = FRESH) -> sh.Controls:
    return sh.Controls(POLICY, TABLE.get, dates)


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
        shipment = serial_books.add_scan(shipment, scan, TABLE[key], controls(), NOW).shipment
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
