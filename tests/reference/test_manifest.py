"""``bundle.json`` and ``clearances.json``: a signed file is still checked before any name in
it becomes a path on the gate's disk or a clearance in its table."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from gate.config.bundle_manifest import parse_manifest
from gate.errors import BundleError
from gate.service.bundle_clearances import parse_clearances

GOOD: dict[str, Any] = {
    "format": 1,
    "version": 3,
    "published": "2026-11-29T06:00:00Z",
    "control_list": {"file": "control-list.csv", "annex": "A", "annex_date": "2024-10-01"},
    "catalogues": ["catalogues/0-catalogue.csv"],
    "countries": "countries.toml",
    "lists": [{"name": "un", "format": "un-xml", "files": ["lists/un/UN.xml"]}],
}


def manifest(**changes: Any) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


def test_a_good_manifest_is_read() -> None:
    """Names, version and the published time (UTC) come through."""
    found = parse_manifest(manifest())
    assert 3 == found.version
    assert dt.datetime(2026, 11, 29, 6, tzinfo=dt.UTC) == found.published
    assert ("control-list.csv", "catalogues/0-catalogue.csv", "countries.toml") == (found.files[:3])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"countries": "../../etc/passwd"}, "is not a plain relative file name"),
        ({"countries": "/etc/passwd"}, "is not a plain relative file name"),
        ({"catalogues": ["a/../../b.csv"]}, "is not a plain relative file name"),
        ({"published": "2026-11-29T06:00:00"}, "published must be an RFC 3339 time"),
        ({"version": 0}, "version must be a positive integer"),
        ({"format": 2}, "not a bundle manifest of format 1"),
        ({"lists": [{"name": "x", "format": "ofac-sdn-csv", "files": ["a"]}]}, "has 3 file(s)"),
        ({"lists": [{"name": "x", "format": "pdf", "files": ["a"]}]}, "unknown format"),
    ],
)
def test_a_wrong_manifest_is_refused(changes: dict[str, Any], message: str) -> None:
    """Each fault is refused with what is wrong."""
    with pytest.raises(BundleError) as caught:
        parse_manifest(manifest(**changes))
    assert message in str(caught.value)


def test_clearances_default_to_the_bundle_time_and_refuse_a_bad_country() -> None:
    """A clearance without ``cleared_at`` is dated by the bundle; a bad country refuses all."""
    found = parse_manifest(manifest())
    party = {"name": "Orbital Tradewinds Holding LLC", "country": "US"}
    item = {"party": party, "list": "notices", "entry": "E1", "version": "v1"}
    (clearance,) = parse_clearances(json.dumps([item]).encode(), found)
    assert (found.published, "bundle-v3") == (clearance.cleared_at, clearance.webhook_id)
    item["party"] = {**party, "country": "XX"}
    with pytest.raises(BundleError) as caught:
        parse_clearances(json.dumps([item]).encode(), found)
    assert "clearances[0]" in str(caught.value)
