"""The demo's EU001 group excludes what its own basis says EU001 never covers: Annex IV's
Category II missile items (9A104 sounding rockets = 19.A.1, 9A119 rocket stages = 20.A.1.a)
and, failing closed until a compliance officer confirms them, the rest of item 19's complete
systems and of 20.A.1. An attack found EU001 clearing rocket stages and 300 km UAVs to the US."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.service.policy_files import load_policy


@pytest.mark.parametrize(
    "control",
    ["19.A.1", "19.A.2", "20.A.1", "20.A.1.a", "20.A.1.b", "20.A.1.b.1", "20.A.1.b.2"],
)
def test_eu001_excludes_annex_iv_missile_systems_and_stages(
    demo_config: Path, control: str
) -> None:
    """Each of these controls lies under an EU001 exclusion of the demo data."""
    groups = load_policy(load_config(demo_config)).policy.groups
    assert True is groups.info_of("eu001").excludes(control)


@pytest.mark.parametrize("control", ["3.A.7", "9.A.4", "12.A.6", "19.A.3"])
def test_eu001_still_covers_other_category_ii_items(demo_config: Path, control: str) -> None:
    """The exclusions stay narrow: bearings, gyros, thermal batteries, aerosol UAVs of item
    19.A.3 (which the basis does not name) are still for EU001 to cover."""
    groups = load_policy(load_config(demo_config)).policy.groups
    assert False is groups.info_of("eu001").excludes(control)
