"""Data that would switch a safety rule off is refused, and what a reload takes away is shown
(issue 11, item 8): an empty relied-on group stops the start or the reload unless
``policy.allow_empty`` names it; a reload that removes members is journaled and alerted. (The
partners' denial notices are a screening list now: tests/screening.)"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gate.config.settings import load_config
from gate.core.countries import CountryGroups
from gate.core.rules import Policy
from gate.errors import ConfigError
from gate.service.events import Events
from gate.service.policy_files import PolicyChange, load_policy
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.service.harness import Gate, start_gate, stop_gate


def set_group(config: Path, group: str, members: list[str]) -> None:
    path = config.parent / "countries.toml"
    listed = json.dumps(members)
    text, count = re.subn(
        rf"^(\[{group}\]\n(?:.*\n)*?)members = \[[^\]]*\]",
        lambda m: f"{m.group(1)}members = {listed}",
        path.read_text(),
        count=1,
        flags=re.M,
    )
    assert 1 == count
    path.write_text(text)


def allow_empty(config: Path, names: list[str]) -> None:
    config.write_text(
        config.read_text().replace("allow_empty = []", f"allow_empty = {json.dumps(names)}", 1)
    )


def refused(config: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_policy(load_config(config))
    return str(caught.value)


# --- empty data at start -------------------------------------------------------------------


def test_emptied_embargo_group_is_refused(demo_config: Path) -> None:
    """An embargo group with no members is refused: rows 2 and 8 would never match it."""
    set_group(demo_config, "un_arms_embargo", [])
    assert "group 'un_arms_embargo' has no members" in refused(demo_config)


def test_emptied_exempt_group_is_refused(demo_config: Path) -> None:
    """A general licence the policy names must have members too."""
    set_group(demo_config, "eu001", [])
    assert "group 'eu001' has no members" in refused(demo_config)


def test_empty_is_accepted_when_the_config_says_so(demo_config: Path) -> None:
    """``policy.allow_empty`` naming the group lets it be empty on purpose."""
    set_group(demo_config, "un_arms_embargo", [])
    allow_empty(demo_config, ["un_arms_embargo"])
    data = load_policy(load_config(demo_config))
    assert frozenset() == data.policy.groups.members("un_arms_embargo")


def test_allow_empty_must_name_a_group_in_use(demo_config: Path) -> None:
    """A misspelt ``allow_empty`` entry is refused, naming the closest name it could mean."""
    allow_empty(demo_config, ["un_arms_embargoes"])
    assert (
        "policy.allow_empty: 'un_arms_embargoes' is not a group the policy uses; did you mean"
        " un_arms_embargo?" == refused(demo_config)
    )


def test_policy_change_lists_what_was_removed_and_added() -> None:
    """PolicyChange names the members each group lost and gained."""
    before = Policy(
        CountryGroups.from_mapping({"embargoed": ["IR", "KP", "SY"], "x": ["DE"]}),
        embargo_groups=("embargoed",),
    )
    after = Policy(
        CountryGroups.from_mapping({"embargoed": ["KP", "SY", "BY"], "x": ["DE"]}),
        embargo_groups=("embargoed",),
    )
    change = PolicyChange.between(before, after)
    assert {"embargoed": frozenset({"IR"})} == change.lost
    assert {"embargoed": frozenset({"BY"})} == change.gained
    assert "group 'embargoed' lost IR" == change.summary()
    assert not PolicyChange.between(before, before)


# --- reloads of a running gate -------------------------------------------------------------


@pytest.fixture
async def gate(demo_config: Path) -> AsyncIterator[Gate]:
    g = await start_gate(demo_config)
    yield g
    await stop_gate(g)


async def alerts(events: Events) -> list[dict[str, Any]]:
    """Every alert published so far (replayed from the recent events)."""
    found = []
    async with events.subscribe(last_id=0) as sub:
        while not sub.queue.empty():
            event = sub.queue.get_nowait()
            if event is not None and event.kind == "alert":
                found.append(event.data)
    return found


def policy_records(gate: Gate) -> list[dict[str, Any]]:
    conn = connect_readonly(gate.config.database)
    try:
        rows = conn.execute(
            "SELECT data FROM audit WHERE kind = 'policy.changed' ORDER BY seq"
        ).fetchall()
    finally:
        conn.close()
    return [json.loads(r[0]) for r in rows]


async def test_reload_that_removes_members_is_journaled_and_alerted(
    gate: Gate, demo_config: Path
) -> None:
    """A reload that takes IR out of the embargo group goes through, but is journaled with
    what it removed and raises a critical alert naming it."""
    set_group(demo_config, "un_arms_embargo", ["KP"])

    assert True is await gate.app[app_keys.RELOADER].reload("test")

    records = policy_records(gate)
    assert 1 == len(records)
    assert {"un_arms_embargo": ["IR"]} == records[0]["groups_lost"]
    assert "test" == records[0]["why"]
    reduced = [a for a in await alerts(gate.app[app_keys.EVENTS]) if a["kind"] == "policy_reduced"]
    assert 1 == len(reduced)
    assert "critical" == reduced[0]["level"]
    assert "group 'un_arms_embargo' lost IR" in reduced[0]["text"]


async def test_reload_that_only_adds_is_journaled_without_an_alert(
    gate: Gate, demo_config: Path
) -> None:
    """Adding a country to the embargo group is journaled; nothing was removed, no alert."""
    set_group(demo_config, "un_arms_embargo", ["KP", "IR", "SY"])
    assert True is await gate.app[app_keys.RELOADER].reload("test")
    assert [{"un_arms_embargo": ["SY"]}] == [r["groups_gained"] for r in policy_records(gate)]
    assert [] == [
        a for a in await alerts(gate.app[app_keys.EVENTS]) if a.get("kind") == "policy_reduced"
    ]
