"""Loads the policy files the config names: country groups and the denial list.

The files are read here (the core never touches a file) and turned into the core's
``Policy``. A file that is missing or wrong is a ConfigError naming the file and, for the
denial list, the line: a policy that cannot be read must stop the gate from starting, or a
reload from going through, never quietly weaken a rule.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from gate.config.settings import Config
from gate.core.countries import CountryGroups
from gate.core.parties import DenialList, DeniedParty
from gate.core.rules import Policy
from gate.errors import ConfigError, GateError

DENIALS_HEADER = ["name", "country", "reference", "date"]


@dataclass(frozen=True, slots=True)
class PolicyData:
    """The loaded policy and when the denial list last changed (its file's mtime)."""

    policy: Policy
    denials_changed_at: dt.datetime
    countries_path: Path
    denials_path: Path


def load_groups(path: Path) -> CountryGroups:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"country groups {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"country groups {path}: {exc}") from exc
    groups = data.get("groups")
    if not isinstance(groups, dict):
        raise ConfigError(f"country groups {path}: no [groups] table")
    try:
        return CountryGroups.from_mapping(groups)
    except GateError as exc:
        raise ConfigError(f"country groups {path}: {exc}") from exc


def load_denials(path: Path) -> DenialList:
    entries = []
    try:
        handle = open(path, encoding="utf-8", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ConfigError(f"denial list {path}: {exc.strerror}") from exc
    with handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
            if header is None or [h.strip() for h in header] != DENIALS_HEADER:
                raise ConfigError(
                    f"denial list {path}:1: header must be {','.join(DENIALS_HEADER)}"
                )
            for fields in reader:
                if not any(f.strip() for f in fields):
                    continue
                line = reader.line_num
                if len(fields) != 4:
                    raise ConfigError(f"denial list {path}:{line}: expected 4 fields")
                name, country, reference, date = (f.strip() for f in fields)
                try:
                    when = dt.date.fromisoformat(date) if date else None
                    entries.append(DeniedParty(name, country, reference, when))
                except (GateError, ValueError) as exc:
                    raise ConfigError(f"denial list {path}:{line}: {exc}") from exc
        except csv.Error as exc:
            raise ConfigError(f"denial list {path}:{reader.line_num}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(f"denial list {path}: not UTF-8") from exc
    return DenialList.of(entries)


def load_policy(config: Config) -> PolicyData:
    """Reads the country groups and the denial list. Raises ConfigError."""
    section = config.policy
    groups = load_groups(section.countries)
    denials = load_denials(section.denials)
    try:
        policy = Policy(
            groups=groups,
            cat2_exempt_groups=section.cat2_exempt_groups,
            denials=denials,
            catch_all_end_uses=frozenset(section.catch_all_end_uses),
            max_list_age_days=section.max_list_age_days,
            fuzzy_threshold=section.denial_match_threshold,
        )
    except GateError as exc:
        raise ConfigError(f"policy: {exc}") from exc
    changed = dt.datetime.fromtimestamp(section.denials.stat().st_mtime, dt.UTC)
    return PolicyData(policy, changed, section.countries, section.denials)
