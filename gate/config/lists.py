"""The ``[[lists]]`` tables of gate.toml: the screening lists the gate loads (DESIGN 2.1, 2.3).

Each list names its ``format`` as DESIGN writes it (``un-xml``, ``ofac-sdn-csv``, ``csl-csv``,
``csl-json``, ``bis-dpl``, ``eu-fsf-xml``, ``gate-csv``), mapped here to the screening engine's
own format names. For ``ofac-sdn-csv`` the ``path`` names ``sdn.csv``; ``alt.csv`` and
``add.csv`` beside it are read too and must be there (an SDN list without its aliases would
miss names without a word). ``published`` is accepted only for a format that carries no date
of its own: the date inside the data is the one that counts (2.3), and a second date beside it
could only disagree.

This module is loaded by gate.config.settings; it imports nothing beyond the standard library,
so reading a config never loads the name-matching libraries.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from gate.errors import ConfigError

#: DESIGN's format names -> the engine's (``gate.core.screening``); a test pins the right-hand
#: side to the engine's FORMATS.
FORMATS: Final[Mapping[str, str]] = {
    "un-xml": "un-xml",
    "ofac-sdn-csv": "sdn-csv",
    "csl-csv": "csl-csv",
    "csl-json": "csl-json",
    "bis-dpl": "dpl-tsv",
    "eu-fsf-xml": "eu-fsf-xml",
    "gate-csv": "gate-csv",
}
#: The formats whose files carry their own publication date (UN ``dateGenerated``, EU
#: ``generationDate``).
DATED_FORMATS: Final = frozenset({"un-xml", "eu-fsf-xml"})
ACTIONS: Final = ("prohibit", "licence")
#: A list's name is a hit's ``list`` and a clearance's; kept plain for URLs, logs, metrics.
NAME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
DEFAULT_THRESHOLD: Final = 0.88


class ListSection(Protocol):
    """What gate.config.settings hands over for one ``[[lists]]`` table (its ``_Reader``)."""

    data: Mapping[str, Any]
    prefix: str
    base: Path

    def get(self, key: str, kind: type, default: Any = ...) -> Any: ...

    def text(self, key: str, default: Any = ...) -> str: ...

    def input_file(self, key: str) -> Path: ...


@dataclass(frozen=True, slots=True)
class ListConfig:
    """One configured screening list.

    ``paths`` is one file, or for ``ofac-sdn-csv`` sdn.csv, alt.csv and add.csv in that order.
    ``published`` is the configured publication time (UTC), only for undated formats.
    """

    name: str
    format: str
    paths: tuple[Path, ...]
    action: str
    threshold: float
    max_age_hours: float
    published: dt.datetime | None = None
    #: Arrived in a signed bundle: ``published`` is the bundle's, and the list is as old as
    #: the older of it and the date the data carries (DESIGN 2.3; ``ScreeningState.published``).
    bundled: bool = False

    @property
    def engine_format(self) -> str:
        """The screening engine's name for this list's format."""
        return FORMATS[self.format]


def parse_lists(sections: Sequence[ListSection]) -> tuple[ListConfig, ...]:
    """The ``[[lists]]`` entries. Raises ConfigError naming the key that is wrong."""
    lists = tuple(parse_list_section(section) for section in sections)
    names = [item.name for item in lists]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ConfigError(f"lists[{i}].name: {name!r} is used by another list")
    return lists


def parse_list_section(src: ListSection) -> ListConfig:
    """One ``[[lists]]`` table. Raises ConfigError naming the key that is wrong."""
    name = src.text("name")
    if not NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"{src.prefix}name: {name!r} must be 1-32 lower-case letters, digits, _ and -"
        )
    fmt = src.text("format")
    if fmt not in FORMATS:
        raise ConfigError(f"{src.prefix}format: {fmt!r} is not one of {', '.join(FORMATS)}")
    path = src.input_file("path")
    paths: tuple[Path, ...] = (path,)
    if fmt == "ofac-sdn-csv":
        beside = (path.with_name("alt.csv"), path.with_name("add.csv"))
        for extra in beside:
            if not extra.is_file():
                raise ConfigError(
                    f"{src.prefix}path: {extra.name} is missing beside {path} "
                    "(an SDN list is read with its aliases and addresses)"
                )
        paths = (path, *beside)
    action = src.text("action")
    if action not in ACTIONS:
        raise ConfigError(f"{src.prefix}action: {action!r} is not prohibit or licence")
    threshold = src.get("threshold", float, DEFAULT_THRESHOLD)
    if not 0.5 <= threshold <= 1.0:
        raise ConfigError(f"{src.prefix}threshold: must be between 0.5 and 1.0")
    max_age = src.get("max_age_hours", float)
    if not 0 < max_age <= 24 * 366 * 5:
        raise ConfigError(f"{src.prefix}max_age_hours: must be above 0 and at most 5 years")
    return ListConfig(
        name=name,
        format=fmt,
        paths=paths,
        action=action,
        threshold=threshold,
        max_age_hours=max_age,
        published=_published(src, fmt),
    )


def _published(src: ListSection, fmt: str) -> dt.datetime | None:
    """The ``published`` time in UTC, or None; refused for a format dated inside its data."""
    value = src.get("published", object, None)
    if value is None:
        return None
    if fmt in DATED_FORMATS:
        raise ConfigError(
            f"{src.prefix}published: {fmt} carries its own date inside the data, "
            "which is the one that counts (remove published)"
        )
    moment: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise ConfigError(
            f"{src.prefix}published: expected an RFC 3339 time with an offset "
            "(such as 2026-11-28T06:00:00Z)"
        )
    return moment.astimezone(dt.UTC)
