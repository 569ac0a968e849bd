"""The rules-v2 configuration (DESIGN.md section 4): ``[policy] embargo_groups`` and
``general_licences``, ``[table] annex``, ``annex_date``, ``max_age_days``, countries.toml groups
with members, basis and excluded controls. Old keys and the old layout are refused naming what
replaced them; the data's age comes from the data, never from a file's modification time."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.core.countries import CountryGroups
from gate.core.rules import Policy
from gate.errors import ConfigError
from gate.service.policy_files import PolicyChange, load_policy
from tests.config.test_settings_validation import edit


def refused(config: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_policy(load_config(config))
    return str(caught.value)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('cat2_exempt_groups = ["eu001"]', "use policy.general_licences"),
        ("max_list_age_days = 90", "use table.max_age_days for the control list"),
        ('denials = "denials.csv"', 'use a [[lists]] entry with format = "gate-csv"'),
        ("denials_max_age_days = 730", "use max_age_hours of the [[lists]] entry"),
    ],
)
def test_old_policy_keys_are_refused_naming_the_new_key(
    demo_config: Path, old: str, new: str
) -> None:
    """A config of rules version 1 stops the gate, naming the key that replaced the old one."""
    edit(demo_config, r"^allow_empty = \[\]", f"allow_empty = []\n{old}")
    message = refused(demo_config)
    assert f"policy.{old.split(' ')[0]}: no longer read; {new}" in message


def test_old_countries_layout_is_refused(demo_config: Path) -> None:
    """``[groups]`` of bare lists is refused with a message saying how to write a group."""
    countries = demo_config.parent / "countries.toml"
    countries.write_text('[groups]\nembargoed = ["IR", "KP"]\n')
    message = refused(demo_config)
    assert "old layout" in message and "members = [...]" in message and "basis" in message


def test_a_group_without_its_basis_is_refused(demo_config: Path) -> None:
    """Every group states its legal basis."""
    countries = demo_config.parent / "countries.toml"
    text = countries.read_text()
    start = text.index("[un_arms_embargo]\nbasis = ")
    end = text.index('members = ["KP", "IR"]')
    countries.write_text(text[: start + len("[un_arms_embargo]\n")] + text[end:])
    assert "group 'un_arms_embargo' needs its basis" in refused(demo_config)


def test_an_unknown_key_in_a_group_is_refused(demo_config: Path) -> None:
    """``excluded_control`` for ``excluded_controls`` would open the general licence wide."""
    countries = demo_config.parent / "countries.toml"
    countries.write_text(
        countries.read_text().replace("excluded_controls = ", "excluded_control = ")
    )
    assert "unknown key 'excluded_control'" in refused(demo_config)


def test_an_embargo_group_that_does_not_exist_is_refused(demo_config: Path) -> None:
    """A misspelt embargo group would switch rows 2 and 8 off for it: refused."""
    edit(demo_config, r"^embargo_groups = .*$", 'embargo_groups = ["un_arms_embargoes"]')
    assert "un_arms_embargoes" in refused(demo_config)


def test_annex_date_is_required_and_must_be_a_date(demo_config: Path) -> None:
    """The control list's age comes from its Annex date: missing or unreadable stops the gate."""
    edit(demo_config, r"^annex_date = .*$", 'annex_date = "October 2024"')
    assert "table.annex_date: expected a date" in refused(demo_config)
    edit(demo_config, r"^annex_date = .*$", "")
    assert "table.annex_date: missing" in refused(demo_config)


def test_the_demo_groups_load_with_their_exclusions(demo_config: Path) -> None:
    """The demo's groups: 35 partners with India, RU and BY under the EU's dual-use ban, EU001
    excluding staging mechanisms (9A117 = 3.A.4) and Category I."""
    policy = load_policy(load_config(demo_config)).policy
    assert 35 == len(policy.groups.members("mtcr_partners"))
    assert "IN" in policy.groups.members("mtcr_partners")
    assert frozenset({"RU", "BY"}) == policy.groups.members("eu_dual_use_ban")
    eu001 = policy.groups.info_of("eu001")
    assert (True, True, False) == (
        eu001.excludes("3.A.4"),
        eu001.excludes("2.A.1.d"),
        eu001.excludes("9.A.4"),
    )


def test_touching_the_files_does_not_make_old_data_fresh(demo_config: Path) -> None:
    """The control list's date comes from the config's Annex date: setting the control list's
    modification time to now does not change it."""
    config = load_config(demo_config)
    os.utime(config.table.control_list, None)
    again = load_config(demo_config)
    assert dt.date(2024, 10, 1) == again.table.annex_date == config.table.annex_date


def test_a_wider_general_licence_is_a_change_worth_an_alert() -> None:
    """A general licence gaining a country or losing an excluded control relaxes a rule: the
    change says so and asks for the alert, like an embargo losing a member."""
    before = Policy(
        CountryGroups.from_mapping(
            {
                "embargo": {"members": ["IR"], "basis": "b"},
                "eu001": {"members": ["US"], "basis": "b", "excluded_controls": ["3.A.4"]},
            }
        ),
        ("embargo",),
        ("eu001",),
    )
    after = Policy(
        CountryGroups.from_mapping(
            {"embargo": {"members": ["IR"], "basis": "b"}, "eu001": {"members": ["US", "IN"]}}
        ),
        ("embargo",),
        ("eu001",),
    )
    change = PolicyChange.between(before, after)
    assert (True, False) == (change.removes, change.embargo_lost)
    assert (
        "general licence 'eu001' now reaches IN; general licence 'eu001' no longer excludes 3.A.4"
        == change.summary()
    )
    assert not PolicyChange.between(after, after).removes
