"""The ``[[lists]]`` tables of gate.toml: parsed into ListConfig, every mistake refused with
the key named (gate.config.lists)."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from gate.config.lists import FORMATS
from gate.config.settings import Config, parse_config
from gate.core.screening import FORMATS as ENGINE_FORMATS
from gate.errors import ConfigError
from tests.service.harness import CONFIGS


def demo() -> dict[str, Any]:
    with (CONFIGS / "gate.toml").open("rb") as f:
        return tomllib.load(f)


def parse(data: dict[str, Any]) -> Config:
    return parse_config(data, CONFIGS / "gate.toml")


def with_list(**changes: Any) -> dict[str, Any]:
    """The demo config whose second list (OFAC SDN) has ``changes`` (None removes a key)."""
    data = demo()
    entry = data["lists"][1]
    for key, value in changes.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    return data


def test_demo_lists_parse_with_their_formats_paths_and_dates() -> None:
    """The demo config holds the five demo lists; the SDN reads its alt.csv and add.csv, the
    UN list has no configured date (its own is inside), the others a UTC ``published``."""
    config = parse(demo())
    assert ["un", "ofac-sdn", "csl", "bis-dpl", "notices"] == [x.name for x in config.lists]
    sdn = config.lists[1]
    assert ("sdn-csv", ["sdn.csv", "alt.csv", "add.csv"]) == (
        sdn.engine_format,
        [p.name for p in sdn.paths],
    )
    assert ("prohibit", 0.88, 8760.0) == (sdn.action, sdn.threshold, sdn.max_age_hours)
    assert dt.datetime(2026, 11, 28, 6, tzinfo=dt.UTC) == sdn.published
    assert None is config.lists[0].published
    assert ["licence", "licence"] == [config.lists[2].action, config.lists[4].action]


def test_every_design_format_maps_to_an_engine_format() -> None:
    """Each format name DESIGN's config uses names a format the screening engine reads."""
    assert set() == set(FORMATS.values()) - ENGINE_FORMATS
    assert 7 == len(FORMATS)


def test_published_accepts_a_toml_datetime_and_converts_to_utc() -> None:
    """``published`` may be a TOML datetime or an RFC 3339 string; it is kept in UTC."""
    moment = dt.datetime(2026, 11, 28, 8, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert (
        dt.datetime(2026, 11, 28, 6, tzinfo=dt.UTC)
        == parse(with_list(published=moment)).lists[1].published
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format": "sdn"}, "lists[1].format: 'sdn' is not one of un-xml, ofac-sdn-csv"),
        ({"action": "block"}, "lists[1].action: 'block' is not prohibit or licence"),
        ({"threshold": 0.2}, "lists[1].threshold: must be between 0.5 and 1.0"),
        ({"max_age_hours": None}, "lists[1].max_age_hours: missing"),
        ({"max_age_hours": 0}, "lists[1].max_age_hours: must be above 0"),
        ({"path": "lists/nowhere.csv"}, "lists[1].path: "),
        ({"published": "2026-11-28"}, "lists[1].published: expected an RFC 3339 time"),
        ({"published": "yesterday"}, "lists[1].published: expected an RFC 3339 time"),
        ({"name": "OFAC SDN"}, "lists[1].name: 'OFAC SDN' must be"),
        ({"name": "un"}, "lists[1].name: 'un' is used by another list"),
        ({"max_age_hour": 5}, "unknown key lists[1].max_age_hour; did you mean max_age_hours?"),
    ],
)
def test_a_wrong_list_setting_is_refused_naming_the_key(
    changes: dict[str, Any], message: str
) -> None:
    """A bad format, action, threshold, age, path, date or name, or an unknown key, stops
    the config with one line naming the key."""
    with pytest.raises(ConfigError) as caught:
        parse(with_list(**changes))
    assert str(caught.value).startswith(message), str(caught.value)


def test_published_is_refused_for_a_list_dated_inside_its_data() -> None:
    """The UN list carries dateGenerated: a configured date beside it is refused."""
    data = demo()
    data["lists"][0]["published"] = "2026-11-28T06:00:00Z"
    with pytest.raises(ConfigError, match=r"lists\[0\]\.published: un-xml carries its own date"):
        parse(data)


def test_sdn_without_its_alias_file_is_refused(tmp_path: Path) -> None:
    """An ofac-sdn-csv path whose alt.csv is not beside it is refused (aliases would be lost)."""
    (tmp_path / "sdn.csv").write_bytes((CONFIGS / "lists" / "sdn.csv").read_bytes())
    (tmp_path / "add.csv").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"lists\[1\]\.path: alt\.csv is missing beside"):
        parse(with_list(path=str(tmp_path / "sdn.csv")))


def test_a_config_without_lists_has_none() -> None:
    """``[[lists]]`` is optional in the file: no tables, no lists."""
    data = demo()
    del data["lists"]
    assert () == parse(data).lists
