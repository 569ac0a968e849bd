"""Loads the policy files the config names: the country groups.

``countries.toml`` holds one table per group: ``members`` (ISO codes), ``basis`` (the legal
reference) and, for a general licence, ``excluded_controls``. The old layout (one ``[groups]``
table of bare lists) is refused with a message saying what to write instead.

The files are read here (the core never touches a file) and turned into the core's
``Policy``. A file that is missing or wrong is a ConfigError naming the file: a policy that
cannot be read must stop the gate from starting, or a reload from going through, never quietly
weaken a rule.

Empty is wrong too, unless the config says otherwise. An embargo group emptied by a bad export
is well-formed and switches a rule off: so every group the policy relies on (the embargo groups
and the general licences) must have members, unless ``policy.allow_empty`` names it.

What a reload takes away is shown. ``PolicyChange`` compares the policy in use with the one
just loaded; the reloader journals it and, when a group lost members, raises an alert naming
them, because a shrinking group is exactly what a mistake (or an attacker) would look like.

Partners' denial notices are no longer a policy file: they are the ``notices`` screening list
(``[[lists]]``, format ``gate-csv``; ``gate.service.screening``).
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.config.settings import Config
from gate.core.countries import CountryGroups
from gate.core.rules import Policy
from gate.errors import ConfigError, GateError


@dataclass(frozen=True, slots=True)
class PolicyData:
    """The loaded policy and the file it came from."""

    policy: Policy
    countries_path: Path


def load_groups(path: Path) -> CountryGroups:
    """Reads ``countries.toml``: one table per group with ``members``, ``basis`` and optional
    ``excluded_controls``. Raises ConfigError naming the file, also for the old ``[groups]``
    layout and for a group without its legal basis."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"country groups {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"country groups {path}: {exc}") from exc
    old = data.get("groups")
    if isinstance(old, dict) and any(not isinstance(v, dict) for v in old.values()):
        raise ConfigError(
            f"country groups {path}: [groups] of bare lists is the old layout; write one table"
            ' per group, [NAME] with members = [...] and basis = "legal reference"'
        )
    for name, group in data.items():
        if not isinstance(group, dict):
            raise ConfigError(f"country groups {path}: {name} must be a table [{name}]")
        basis = group.get("basis")
        if not isinstance(basis, str) or not basis.strip():
            raise ConfigError(f"country groups {path}: group {name!r} needs its basis")
        if "members" not in group:
            raise ConfigError(f"country groups {path}: group {name!r} needs its members")
    try:
        return CountryGroups.from_mapping(data)
    except GateError as exc:
        raise ConfigError(f"country groups {path}: {exc}") from exc


def relied_on(config: Config) -> tuple[str, ...]:
    """The groups the policy's rules read: the embargo groups and the general licences."""
    return (*config.policy.embargo_groups, *config.policy.general_licences)


def check_not_empty(config: Config, groups: CountryGroups) -> None:
    """Refuses an empty relied-on group that ``policy.allow_empty`` does not name, and an
    ``allow_empty`` entry that names nothing. Raises ConfigError."""
    section = config.policy
    names = relied_on(config)
    for allowed in section.allow_empty:
        if allowed not in names:
            close = difflib.get_close_matches(allowed, names, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else f" (one of: {', '.join(names)})"
            raise ConfigError(
                f"policy.allow_empty: {allowed!r} is not a group the policy uses{hint}"
            )
    for name in relied_on(config):
        if name in groups and not groups.members(name) and name not in section.allow_empty:
            raise ConfigError(
                f"country groups {section.countries}: group {name!r} has no members: refused,"
                f" the policy relies on it (if it is empty on purpose, add {name!r} to"
                " policy.allow_empty)"
            )


def load_policy(config: Config) -> PolicyData:
    """Reads the country groups. Raises ConfigError, also for an empty relied-on group that
    ``policy.allow_empty`` does not name."""
    section = config.policy
    groups = load_groups(section.countries)
    check_not_empty(config, groups)
    try:
        policy = Policy(
            groups=groups,
            embargo_groups=section.embargo_groups,
            general_licences=section.general_licences,
            catch_all_end_uses=frozenset(section.catch_all_end_uses),
            control_max_age_days=config.table.max_age_days,
        )
    except GateError as exc:
        raise ConfigError(f"policy: {exc}") from exc
    return PolicyData(policy, section.countries)


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """What a reload changes in the country groups.

    ``lost`` maps each group that lost members to them, ``gained`` each group that gained
    members. ``widened`` maps each general licence that now reaches more countries
    to them, and ``unexcluded`` each general licence to the controls it no longer excludes:
    both relax a rule, like a shrinking embargo, and are alerted the same way.
    """

    lost: dict[str, frozenset[str]]
    gained: dict[str, frozenset[str]]
    embargoes: frozenset[str] = frozenset()
    widened: dict[str, frozenset[str]] = field(default_factory=dict)
    unexcluded: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def between(cls, before: Policy, after: Policy) -> PolicyChange:
        gained = before.groups.lost_since(after.groups)
        unexcluded: dict[str, frozenset[str]] = {}
        for name in after.general_licences:
            if name in before.groups:
                was = before.groups.info_of(name).excluded_controls
                gone = was - after.groups.info_of(name).excluded_controls
                if gone:
                    unexcluded[name] = gone
        return cls(
            lost=after.groups.lost_since(before.groups),
            gained=gained,
            embargoes=frozenset(before.embargo_groups),
            widened={n: c for n, c in gained.items() if n in after.general_licences},
            unexcluded=unexcluded,
        )

    @property
    def embargo_lost(self) -> bool:
        """Whether a group the policy used as an embargo lost members: a critical alert."""
        return any(name in self.embargoes for name in self.lost)

    def __bool__(self) -> bool:
        return bool(self.lost or self.gained or self.unexcluded)

    @property
    def removes(self) -> bool:
        """Whether a group lost members or a general licence was widened: worth an alert."""
        return bool(self.lost or self.widened or self.unexcluded)

    def summary(self) -> str:
        """One line for an operator naming what was taken away or opened up."""
        parts = [
            f"group {name!r} lost {', '.join(sorted(codes))}" for name, codes in self.lost.items()
        ]
        parts += [
            f"general licence {name!r} now reaches {', '.join(sorted(codes))}"
            for name, codes in self.widened.items()
        ]
        parts += [
            f"general licence {name!r} no longer excludes {', '.join(sorted(codes))}"
            for name, codes in self.unexcluded.items()
        ]
        return "; ".join(parts) if parts else "nothing removed"

    def audit_doc(self) -> dict[str, Any]:
        """The change as the journal records it."""
        return {
            "groups_lost": {name: sorted(codes) for name, codes in self.lost.items()},
            "groups_gained": {name: sorted(codes) for name, codes in self.gained.items()},
            "licences_unexcluded": {name: sorted(codes) for name, codes in self.unexcluded.items()},
        }
