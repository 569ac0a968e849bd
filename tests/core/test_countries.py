"""Country codes and country groups: unknown codes are errors, never "not in the group"."""

from __future__ import annotations

import pytest

from gate.core.countries import ISO_3166_ALPHA2, CountryGroups, parse_country
from gate.errors import InvalidCountry, PolicyError

GROUPS = {"embargoed": ["KP", "IR", "SY"], "mtcr_partners": ["DE", "FR", "GB", "US"]}


def test_code_set_is_the_249_assigned_codes() -> None:
    """The set holds the 249 officially assigned codes, each two uppercase ASCII letters."""
    assert 249 == len(ISO_3166_ALPHA2)
    assert all(len(c) == 2 and c.isascii() and c.isalpha() and c.isupper() for c in ISO_3166_ALPHA2)


@pytest.mark.parametrize("code", ["DE", "SS", "BQ", "CW", "SX", "AX", "EH", "PS", "TW", "GB"])
def test_assigned_codes_parse(code: str) -> None:
    """Assigned codes, including the recent ones (SS, BQ, CW, SX), parse to themselves."""
    assert code == parse_country(code)


@pytest.mark.parametrize("code", ["XK", "UK", "EU", "AN", "YU", "ZZ", "de", " DE", "DEU", "", "D"])
def test_unassigned_or_malformed_codes_are_refused(code: str) -> None:
    """User-assigned, withdrawn, reserved, lowercase or padded codes raise, never guessed."""
    with pytest.raises(InvalidCountry) as caught:
        parse_country(code)
    assert code == caught.value.code
    assert repr(code) in str(caught.value)


def test_non_string_code_is_refused() -> None:
    """A number or None where a code belongs raises InvalidCountry."""
    with pytest.raises(InvalidCountry):
        parse_country(276)
    with pytest.raises(InvalidCountry):
        parse_country(None)


def test_group_with_unknown_code_names_group_and_code() -> None:
    """A configuration typo is reported with the group it sits in and the code."""
    with pytest.raises(InvalidCountry) as caught:
        CountryGroups.from_mapping({"embargoed": ["KP", "XX"]})
    assert "XX" == caught.value.code
    assert "country group 'embargoed'" == caught.value.where
    assert "'XX' in country group 'embargoed'" in str(caught.value)


def test_group_given_as_a_string_is_refused() -> None:
    """``embargoed = "IR"`` would read as the letters I and R: it is refused."""
    with pytest.raises(PolicyError):
        CountryGroups.from_mapping({"embargoed": "IR"})


def test_membership() -> None:
    """Members are in their groups and not in others."""
    groups = CountryGroups.from_mapping(GROUPS)
    assert groups.contains("embargoed", "IR")
    assert not groups.contains("embargoed", "DE")
    assert groups.contains("mtcr_partners", "DE")
    assert frozenset({"KP", "IR", "SY"}) == groups.members("embargoed")
    assert frozenset({"embargoed", "mtcr_partners"}) == groups.names
    assert frozenset({"mtcr_partners"}) == groups.groups_of("FR")
    assert frozenset() == groups.groups_of("BR")


def test_membership_of_unknown_code_is_an_error_not_false() -> None:
    """Asking whether an unknown code is embargoed raises instead of answering no."""
    groups = CountryGroups.from_mapping(GROUPS)
    with pytest.raises(InvalidCountry):
        groups.contains("embargoed", "XK")
    with pytest.raises(InvalidCountry):
        groups.groups_of("ir")


def test_unknown_group_is_an_error() -> None:
    """A query naming a group that does not exist raises PolicyError."""
    groups = CountryGroups.from_mapping(GROUPS)
    with pytest.raises(PolicyError):
        groups.contains("embargo", "IR")


def test_any_in_checks_every_code() -> None:
    """any_in lists the members in order, once each, and still refuses a bad code after a hit."""
    groups = CountryGroups.from_mapping(GROUPS)
    assert ("IR", "SY") == groups.any_in("embargoed", ["DE", "IR", "AE", "SY", "IR"])
    assert () == groups.any_in("embargoed", ["DE", "AE"])
    with pytest.raises(InvalidCountry):
        groups.any_in("embargoed", ["IR", "Iran"])


def test_groups_are_values() -> None:
    """Groups built from equal mappings are equal and hashable, whatever the order."""
    one = CountryGroups.from_mapping(GROUPS)
    two = CountryGroups.from_mapping(dict(reversed(list(GROUPS.items()))))
    assert one == two
    assert hash(one) == hash(two)
