"""Audit14: a signed bundle's ``published`` time does not make old data fresh (DESIGN 2.3:
"touching or recompiling old data does not make it fresh").

Before, the bundle's ``published`` dated everything in it, whatever date the data carried:
an office re-signing a years-old UN list and control list today sent data every gate took as
two days old. Now each source is as old as the older of its own date (the UN list's
``dateGenerated``, the manifest's Annex date) and the bundle's ``published``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from gate.service.data_ages import bundled_age
from gate.web import app_keys
from tests.reference.test_bundles import NOW, PUBLISHED, Office, gate_at_v1
from tests.service.harness import Gates, gtin_with

UN_DATE = 'dateGenerated="2026-02-27T00:00:09.554Z"'


def test_a_bundled_source_is_as_old_as_the_older_of_its_date_and_the_bundles() -> None:
    """Its own older date wins; a date after ``published``, or none, gives ``published``."""
    published = dt.datetime(2026, 11, 29, 6, tzinfo=dt.UTC)
    older = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    later = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    assert older == bundled_age(older, published)
    assert published == bundled_age(later, published)
    assert published == bundled_age(None, published)


async def test_old_data_re_signed_in_a_new_bundle_stays_old(
    gates: Gates, demo_config: Path, office_repo: Office
) -> None:
    """Bundle v2, published now, carries a UN list generated in 2023 and a control list of a
    2020 Annex: both are stale on the gate (dated by their own dates) and a scanned line holds
    (``stale_data``), while the undated lists are dated by the bundle and fresh."""
    office = office_repo
    gate = await gate_at_v1(gates, demo_config, office)
    await gate.create("S1")
    first = await gate.scan(gtin_with(demo_config, ""))
    assert "stale_data" not in first["reasons"]
    un = office.data / "lists" / "UN_consolidated.xml"
    text = un.read_text()
    assert UN_DATE in text
    un.write_text(text.replace(UN_DATE, 'dateGenerated="2023-01-01T00:00:00.000Z"'))
    toml = office.data / "gate.toml"
    toml.write_text(
        toml.read_text().replace('annex_date = "2024-10-01"', 'annex_date = "2020-01-01"')
    )
    assert 2 == office.make(published=NOW)
    office.publish()
    assert await gate.app[app_keys.REFERENCE_POLLER].poll()

    _, lists = await gate.call("GET", "/api/v1/lists")
    assert {"version": 2, "published": NOW.isoformat(), "refused": None} == lists["bundle"]
    control = lists["control_list"]
    assert ("2020-01-01T00:00:00+00:00", False) == (control["published"], control["fresh"])
    by_name = {item["name"]: item for item in lists["lists"]}
    un_doc = by_name.pop("un")
    assert ("2023-01-01T00:00:00+00:00", False) == (un_doc["published"], un_doc["fresh"])
    assert {(NOW.isoformat(), True)} == {(x["published"], x["fresh"]) for x in by_name.values()}
    _, shipment = await gate.call("GET", "/api/v1/shipments/S1")
    assert "stale_data" in shipment["lines"][0]["reasons"]
    assert NOW > PUBLISHED  # v2 is the newer bundle: its time alone would have made both fresh
