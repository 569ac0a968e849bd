"""Properties of the decision table v2 over random shipments (hypothesis): a stopping reason is
never cleared; adding a party or an end use never turns a hold into a clear; the general
licence never applies when any of rows 2 to 8 matched or a party's country is outside its
group."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.core.classification import Classification
from gate.core.countries import CountryGroups
from gate.core.facts import ListDate
from gate.core.hits import Hit, HitAction, PartyHits
from gate.core.parties import Party
from gate.core.rules import (
    RULES,
    ControlDates,
    Decision,
    Policy,
    ShipmentContext,
    assess,
    decide,
)

NOW = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)
EU001 = frozenset({"US", "GB", "JP", "CH"})
GROUPS = CountryGroups.from_mapping(
    {
        "un_arms_embargo": {"members": ["IR", "KP"], "basis": "UNSCR"},
        "eu_dual_use_ban": {"members": ["RU", "BY"], "basis": "833/2014; 765/2006"},
        "eu001": {"members": sorted(EU001), "basis": "EU001", "excluded_controls": ["3.A.4"]},
    }
)
POLICY = Policy(
    GROUPS,
    ("un_arms_embargo", "eu_dual_use_ban"),
    ("eu001",),
    control_max_age_days=400,
)
COUNTRIES = ["US", "GB", "JP", "DE", "AE", "CN", "IR", "RU", "BY", "KP"]
END_USES = [None, "civil aviation", "military", "missile guidance", "drone racing", "research"]
STOPPING = frozenset(
    {
        "cat1_production",
        "embargo",
        "denied",
        "sanctioned_party",
        "wmd_end_use",
        "listed_party",
        "catch_all",
        "cat1",
        "cat2",
        "unclassified",
        "stale_data",
        "error",
    }
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

classifications = st.one_of(
    st.none(),
    st.builds(
        lambda category, control, production: Classification(
            "09506000134352",
            "x",
            "" if category == 0 else control,
            category,
            "",
            frozenset({"production"}) if production and category == 1 else frozenset(),
        ),
        st.sampled_from([0, 1, 2, 5]),
        st.sampled_from(["9.A.6", "3.A.4", "3.A.4.b", "2.A.1.a"]),
        st.booleans(),
    ),
)
parties = st.builds(
    Party,
    st.sampled_from(["end_user", "intermediate_consignee", "forwarder", "purchaser"]),
    st.sampled_from(["Acme Space", "Rocket Dynamics Trading", "Nordic Freight"]),
    st.sampled_from(COUNTRIES),
)
hits = st.builds(
    Hit,
    st.just("list"),
    st.sampled_from(["E-1", "E-2"]),
    st.just("v1"),
    st.just("NAME"),
    st.floats(0.0, 1.0),
    st.sampled_from([HitAction.PROHIBIT, HitAction.LICENCE]),
    st.just("hand-made hit"),
)


@st.composite
def contexts(draw: st.DrawFn) -> ShipmentContext:
    others = tuple(draw(st.lists(parties, max_size=3)))
    screened = ()
    if others and draw(st.booleans()):
        screened = (PartyHits(others[0], tuple(draw(st.lists(hits, min_size=1, max_size=2)))),)
    return ShipmentContext(
        draw(st.sampled_from(COUNTRIES)),
        draw(st.sampled_from(["Acme Avionics", "Rocket Dynamics Trading"])),
        draw(st.sampled_from(COUNTRIES)),
        tuple(draw(st.lists(st.sampled_from(COUNTRIES), max_size=2))),
        draw(st.sampled_from(END_USES)),
        parties=others,
        screening=screened,
    )


dates = st.builds(
    lambda control, listed: ControlDates(
        NOW - dt.timedelta(days=control), (ListDate("sdn", NOW - dt.timedelta(days=listed), 90),)
    ),
    st.sampled_from([10, 500]),
    st.sampled_from([5, 120]),
)


def decided(
    context: ShipmentContext, when: ControlDates, line: Classification | None, denied: bool
):  # type: ignore[no-untyped-def]
    return decide(assess(POLICY, context, when, NOW), line, denied=denied)


@SETTINGS
@given(contexts(), dates, classifications, st.booleans())
def test_a_stopping_reason_is_never_cleared(
    context: ShipmentContext, when: ControlDates, line: Classification | None, denied: bool
) -> None:
    """A line whose reasons include any stopping code is never clear, and a clear line has
    exactly one reason (general_licence or not_listed)."""
    decision = decided(context, when, line, denied)
    if STOPPING & set(decision.reasons):
        assert Decision.CLEAR != decision.decision
    if Decision.CLEAR == decision.decision:
        assert 1 == len(decision.reasons)
        assert decision.reason in ("general_licence", "not_listed")


@SETTINGS
@given(contexts(), dates, classifications, st.booleans(), parties, st.sampled_from(END_USES))
def test_adding_a_party_or_an_end_use_never_clears_a_hold(
    context: ShipmentContext,
    when: ControlDates,
    line: Classification | None,
    denied: bool,
    party: Party,
    end_use: str | None,
) -> None:
    """Adding a party, or adding words to the declared end use, never turns a held or
    prohibited line into a clear one."""
    before = decided(context, when, line, denied)
    if Decision.CLEAR == before.decision:
        return
    more_parties = dataclasses.replace(context, parties=(*context.parties, party))
    assert Decision.CLEAR != decided(more_parties, when, line, denied).decision
    words = " ".join(w for w in (context.end_use, end_use) if w) or None
    more_words = dataclasses.replace(context, end_use=words)
    assert Decision.CLEAR != decided(more_words, when, line, denied).decision


@SETTINGS
@given(contexts(), dates, classifications, st.booleans())
def test_general_licence_only_when_rows_2_to_8_are_silent_and_every_country_is_in(
    context: ShipmentContext, when: ControlDates, line: Classification | None, denied: bool
) -> None:
    """The general licence is used only for Category II, with no row 2 to 8 matching, the
    destination and every party's country in its group, and the control not excluded."""
    facts = assess(POLICY, context, when, NOW)
    decision = decide(facts, line, denied=denied)
    if decision.general_licence is None:
        return
    assert "eu001" == decision.general_licence
    assert line is not None and 2 == line.category
    assert not line.control.startswith("3.A.4")
    countries = {context.destination, context.consignee_country}
    countries |= {party.country for party in context.parties}
    assert countries <= EU001
    assert not denied
    assert not (facts.embargoed or facts.prohibit_hits or facts.licence_hits)
    assert facts.end_use.catch_all is None
    rows_2_to_8 = {rule.reason for rule in RULES if 2 <= rule.number <= 8}
    assert not rows_2_to_8 & set(decision.reasons)
