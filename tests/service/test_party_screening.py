"""Every party of a shipment is screened against the live lists and rows 4 and 6 decide on the
hits (DESIGN.md 2.1, 2.3; issue 13 "Matching"): at creation, on PATCH, after a clearance; a
list that is stale or not loaded never lets a line clear.

Each test runs the real app on a real socket over the demo lists (configs/lists) and a real
SQLite file (tests/service/harness).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from gate.core.shipments import next_review
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.screening.test_screening_api import ORBITAL, clear, orbital_clearance
from tests.service.harness import Gate, Gates, gtin_with, until

#: An alias of the UN list's KPe.001 (action prohibit), the issue's own example.
UN_ENTITY = "Changgwang Sinyong Corporation"
#: The notices' "Orbital Tradewinds LLC" with Cyrillic look-alike letters (action licence).
LOOKALIKE = "Оrbіtаl Тrаdеwіndѕ LLC"
US_CONSIGNEE = {"name": "Kinetic Parts Inc", "country": "US"}
#: A day on which every demo list is fresh (the SDN's configured date is 2026-11-28 06:00).
FRESH_DAY = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


async def category_ii_to_us(gate: Gate, demo_config: Path, **extra: Any) -> dict[str, Any]:
    """Creates S1 to the US (EU001 reaches it) and scans one Category II item; the answer."""
    extra.setdefault("consignee", US_CONSIGNEE)
    await gate.create(destination="US", **extra)
    return await gate.scan(gtin_with(demo_config, "9.A.4"))


async def assert_held_for_catch_all(gate: Gate, result: dict[str, Any]) -> None:
    """``result`` (S1's scan) is held for ``catch_all``; S1 seals held and is not dispatched."""
    assert ("licence_required", "catch_all") == (result["decision"], result["reasons"][0])
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, sealed["state"])
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status


def hits_of(doc: dict[str, Any], role: str) -> list[tuple[str, str]]:
    return [
        (hit["list"], hit["action"])
        for found in doc["screening"]
        if found["party"]["role"] == role
        for hit in found["hits"]
    ]


def reevaluations(gate: Gate) -> list[dict[str, Any]]:
    conn = connect_readonly(gate.config.database)
    try:
        rows = conn.execute(
            "SELECT data FROM audit WHERE kind = 'shipment.reevaluated' ORDER BY seq"
        ).fetchall()
    finally:
        conn.close()
    return [json.loads(row[0]) for row in rows]


async def test_a_un_listed_consignee_prohibits_a_category_ii_line(
    gate: Gate, demo_config: Path
) -> None:
    """A consignee named as a UN-listed entity (an alias of KPe.001) prohibits a Category II
    line to the US that EU001 would otherwise clear (row 4), and the hit is on the shipment."""
    result = await category_ii_to_us(
        gate, demo_config, consignee={"name": UN_ENTITY, "country": "US"}
    )
    assert ("prohibited", "sanctioned_party") == (result["decision"], result["reasons"][0])
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    (found,) = [f for f in doc["screening"] if f["party"]["role"] == "consignee"]
    hit = next(h for h in found["hits"] if h["list"] == "un")
    assert ("KPe.001", "prohibit") == (hit["entry"], hit["action"])
    assert {"list", "entry", "version", "name", "score", "action", "explanation"} <= set(hit)
    assert "red" == doc["signal"]


async def test_a_lookalike_end_user_holds_the_line(gate: Gate, demo_config: Path) -> None:
    """An end user spelt with Cyrillic look-alikes of a partner's denial notice holds the line
    (row 6, ``listed_party``) where it used to clear."""
    result = await category_ii_to_us(
        gate, demo_config, parties=[{"role": "end_user", "name": LOOKALIKE, "country": "US"}]
    )
    assert ("licence_required", "listed_party") == (result["decision"], result["reasons"][0])
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert [("notices", "licence")] == hits_of(doc, "end_user")


async def test_patch_adding_a_sanctioned_forwarder_prohibits_a_clear_line(
    gate: Gate, demo_config: Path
) -> None:
    """A clear line turns prohibited when a PATCH before seal adds a UN-listed forwarder, and
    the forwarder's hits are stored and journaled with the shipment."""
    result = await category_ii_to_us(gate, demo_config)
    assert ("clear", ["general_licence"]) == (result["decision"], result["reasons"])
    forwarder = {"role": "forwarder", "name": UN_ENTITY, "country": "US"}
    status, doc = await gate.call("PATCH", "/api/v1/shipments/S1", {"parties": [forwarder]})
    assert 200 == status, doc
    line = doc["lines"][0]
    assert ("prohibited", "sanctioned_party") == (line["decision"], line["reasons"][0])
    assert ("un", "prohibit") in hits_of(doc, "forwarder")
    conn = connect_readonly(gate.config.database)
    try:
        (stored,) = conn.execute("SELECT doc FROM shipments WHERE id = 'S1'").fetchone()
        (record,) = conn.execute(
            "SELECT data FROM audit WHERE kind = 'shipment.amended' AND subject = 'S1'"
        ).fetchone()
    finally:
        conn.close()
    assert hits_of(doc, "forwarder") == hits_of(json.loads(stored), "forwarder")
    assert hits_of(doc, "forwarder") == hits_of(json.loads(record), "forwarder")


async def held_for_listed_end_user(gate: Gate, demo_config: Path, end_user: dict[str, Any]) -> str:
    """S1 to the US with ``end_user`` (a notices entry, ORBITAL) sealed and held for it;
    the version of the entry its hit names."""
    result = await category_ii_to_us(gate, demo_config, parties=[end_user])
    assert ("licence_required", "listed_party") == (result["decision"], result["reasons"][0])
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, doc["state"])
    (found,) = [f for f in doc["screening"] if f["party"]["role"] == "end_user"]
    return str(next(h["version"] for h in found["hits"] if h["entry"] == ORBITAL))


async def test_a_signed_clearance_releases_the_listed_party_hold(
    gate: Gate, demo_config: Path
) -> None:
    """A sealed shipment held for a listed end user is cleared once the central office clears
    that entry for that party: the clearance re-decides it."""
    end_user = {"role": "end_user", "name": "Orbital Tradewinds Holding LLC", "country": "US"}
    version = await held_for_listed_end_user(gate, demo_config, end_user)
    status, answer, _ = await clear(gate, orbital_clearance(version), "msg_release_1")
    assert (200, True) == (status, answer["active"])

    async def state() -> str:
        _, doc = await gate.call("GET", "/api/v1/shipments/S1")
        return str(doc["state"])

    await until(lambda: _is(state(), "cleared"), "the clearance to release the shipment")
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert (["general_licence"], []) == (doc["lines"][0]["reasons"], hits_of(doc, "end_user"))
    assert any(r["why"].startswith("clearance notices:") for r in reevaluations(gate))


async def _is(value: Any, expected: str) -> bool:
    return bool(await value == expected)


async def test_a_stale_list_holds_a_clear_line_and_turning_stale_redecides(
    gate: Gate, demo_config: Path
) -> None:
    """A line cleared while every list is fresh is held for ``stale_data`` once the SDN list
    passes its age (a year after its configured date: the notices list, the first to age), as
    the review timer re-decides it;
    the timer is due at that instant."""
    docks = gate.app[app_keys.DOCKS]
    docks.clock = lambda: FRESH_DAY
    result = await category_ii_to_us(gate, demo_config)
    assert ("clear", ["general_licence"]) == (result["decision"], result["reasons"])
    notices_stale = dt.datetime(2027, 11, 20, 9, tzinfo=dt.UTC)
    assert notices_stale == next_review(docks.shipments["S1"], docks.controls(), FRESH_DAY)
    docks.clock = lambda: notices_stale
    await docks.reevaluate_all("licence expiry or stale data check")
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    line = doc["lines"][0]
    assert ("licence_required", ["stale_data"]) == (line["decision"], line["reasons"])
    assert "list notices" in line["detail"]


async def test_nothing_clears_while_a_list_is_not_loaded(gates: Gates, demo_config: Path) -> None:
    """With a configured list refused at start (not loaded), a line that would clear is held
    for ``stale_data`` and a UN-listed consignee is not cleared either."""
    (demo_config.parent / "lists" / "dpl.txt").write_text("garbage\n")
    gate = await gates.start()
    assert not gate.app[app_keys.SCREENING].ready
    result = await category_ii_to_us(gate, demo_config)
    assert ("licence_required", ["stale_data"]) == (result["decision"], result["reasons"])
    await gate.create(sid="S2", door="D2", consignee={"name": UN_ENTITY, "country": "US"})
    other = await gate.scan(gtin_with(demo_config, "9.A.4"), door="D2")
    assert "clear" != other["decision"]
    assert "stale_data" in other["reasons"]
