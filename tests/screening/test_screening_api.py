"""``POST /screen``, ``GET /lists`` and ``POST/GET /clearances`` on a real gate over the demo
lists (DESIGN 2.1, 2.3, 4): the attack names are found, ages come from the data or the
configured date, a refused list file keeps the old list, and only a signed clearance stops
a hit, until the entry changes."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import aiohttp

from gate.core.signatures import parse_private_key, signed_headers
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.conftest import SCANNER_TOKEN
from tests.service.harness import CONFIGS, OPERATOR, Gate, until

ORBITAL = "DEMO-DN-2024-021"  # the notices' "Orbital Tradewinds LLC"
HIT_KEYS = {"list", "entry", "version", "name", "score", "action", "explanation"}
LIST_KEYS = {
    "name",
    "format",
    "action",
    "entries",
    "names",
    "published",
    "age_hours",
    "max_age_hours",
    "fresh",
}


async def screen(gate: Gate, name: str, country: str | None = None, **kw: Any) -> Any:
    body: dict[str, Any] = {"name": name}
    if country is not None:
        body["country"] = country
    status, doc = await gate.call("POST", "/api/v1/screen", body, **kw)
    assert 200 == status, doc
    return doc


def refs(doc: Any) -> set[tuple[str, str]]:
    return {(h["list"], h["entry"]) for h in doc["hits"]}


async def clear(gate: Gate, body: dict[str, Any], msg_id: str, *, signed: bool = True) -> Any:
    """POSTs a clearance signed with the demo office's key (v1a), or unsigned."""
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signed:
        key = parse_private_key((CONFIGS / "demo-office.key").read_text().strip())
        headers.update(signed_headers(msg_id, int(time.time()), raw, private_key=key))
    async with gate.session.post(gate.url + "/api/v1/clearances", data=raw, headers=headers) as r:
        return r.status, await r.json(content_type=None), r.headers.get("X-Gate-Replay")


def journal_kinds(gate: Gate, kind: str) -> list[dict[str, Any]]:
    conn = connect_readonly(gate.config.database)
    try:
        rows = conn.execute("SELECT data FROM audit WHERE kind = ? ORDER BY seq", (kind,))
        return [json.loads(data) for (data,) in rows]
    finally:
        conn.close()


async def test_screen_finds_the_attack_names_and_a_un_alias(gate: Gate) -> None:
    """Cyrillic look-alikes and an extra word still hit the notice, a UN alias hits its UN
    entry with an explanation naming it, and "EMMA LLC" hits nothing."""
    lookalike = await screen(gate, "Оrbіtаl Тrаdеwіndѕ LLC", "US")
    assert ("notices", ORBITAL) in refs(lookalike)
    extra = await screen(gate, "Orbital Tradewinds Holding LLC", "US")
    assert ("notices", ORBITAL) in refs(extra)
    assert {"name": "Orbital Tradewinds Holding LLC", "country": "US", "ids": None} == extra[
        "party"
    ]
    hit = next(h for h in extra["hits"] if h["entry"] == ORBITAL)
    assert HIT_KEYS == set(hit)
    assert ("licence", True) == (hit["action"], 0.88 <= hit["score"] <= 1.0)
    alias = await screen(gate, "Changgwang Sinyong Corp.")
    un_hit = next(h for h in alias["hits"] if h["list"] == "un")
    assert ("KPe.001", "prohibit") == (un_hit["entry"], un_hit["action"])
    assert un_hit["explanation"].startswith("alias 'CHANGGWANG SINYONG CORPORATION' of un")
    assert [] == (await screen(gate, "EMMA LLC", "US"))["hits"]


async def test_screen_roles_and_bad_input(gate: Gate) -> None:
    """An operator may screen, a scanner may not (403); an unknown field or a bad country is
    a 400 problem naming the field."""
    assert [] == (await screen(gate, "EMMA LLC", auth=OPERATOR))["hits"]
    status, doc = await gate.call(
        "POST", "/api/v1/screen", {"name": "EMMA LLC"}, token=SCANNER_TOKEN
    )
    assert (403, "role 'scanner' may not screen (allowed: operator, wms)") == (
        status,
        doc["detail"],
    )
    status, doc = await gate.call("POST", "/api/v1/screen", {"name": "X", "country": "ZZ"})
    assert (400, ["country"]) == (status, [e["field"] for e in doc["errors"]])
    status, doc = await gate.call("POST", "/api/v1/screen", {"nam": "X"})
    assert (400, {"nam", "name"}) == (status, {e["field"] for e in doc["errors"]})


async def test_lists_show_counts_dates_and_freshness_by_the_gate_clock(gate: Gate) -> None:
    """GET /lists has DESIGN's fields for each list; the UN list is dated by its own
    dateGenerated, the SDN by its configured published; a year later the SDN is stale (the UN
    list, dated inside, is not)."""
    docks = gate.app[app_keys.DOCKS]
    docks.clock = lambda: dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)
    status, doc = await gate.call("GET", "/api/v1/lists")
    assert 200 == status
    by_name = {x["name"]: x for x in doc["lists"]}
    assert ["un", "ofac-sdn", "csl", "bis-dpl", "notices"] == list(by_name)
    assert all(LIST_KEYS <= set(x) for x in doc["lists"])
    un, sdn = by_name["un"], by_name["ofac-sdn"]
    assert ("un-xml", 1003, "2026-02-27T00:00:00+00:00") == (
        un["format"],
        un["entries"],
        un["published"],
    )
    assert ("ofac-sdn-csv", 7379, 30.0, 8760.0, True) == (
        sdn["format"],
        sdn["entries"],
        sdn["age_hours"],
        sdn["max_age_hours"],
        sdn["fresh"],
    )
    assert sdn["names"] > sdn["entries"]
    assert {"annex", "annex_date", "fresh"} <= set(doc["control_list"])  # DESIGN names these
    docks.clock = lambda: dt.datetime(2027, 11, 29, 7, tzinfo=dt.UTC)
    _, later = await gate.call("GET", "/api/v1/lists")
    assert (False, True) == (later["lists"][1]["fresh"], later["lists"][0]["fresh"])
    status, _ = await gate.call("GET", "/api/v1/lists", token=SCANNER_TOKEN)
    assert 403 == status


async def test_a_refused_list_file_keeps_the_old_list_and_a_good_one_is_journaled(
    gate: Gate, demo_config: Path
) -> None:
    """A notices file that no longer parses is refused on reload (alerted, shown on GET
    /lists) and its hits stay; a good new file is swapped in and its added entry journaled."""
    notices = demo_config.parent / "lists" / "notices.csv"
    good = notices.read_text()
    notices.write_text("this,is\nnot,a notices file\n")
    await gate.app[app_keys.RELOADER].reload("test")
    _, doc = await gate.call("GET", "/api/v1/lists")
    listed = doc["lists"][4]
    assert (21, True) == (listed["entries"], "refused" in listed)
    assert ("notices", ORBITAL) in refs(await screen(gate, "Orbital Tradewinds LLC"))
    alerts = [e.data for e in gate.app[app_keys.EVENTS].kept() if e.kind == "alert"]
    assert any(a.get("kind") == "list_refused" and a.get("list") == "notices" for a in alerts)
    notices.write_text(good + "Quillfeather Avionics Ltd,,GB,DEMO-DN-2026-900,2026-11-01\n")
    await gate.app[app_keys.RELOADER].reload("test")
    _, doc = await gate.call("GET", "/api/v1/lists")
    assert (22, False) == (doc["lists"][4]["entries"], "refused" in doc["lists"][4])
    assert ("notices", "DEMO-DN-2026-900") in refs(await screen(gate, "Quillfeather Avionics"))
    changed = journal_kinds(gate, "lists.changed")
    assert [{"notices": (1, 0, 0, ["DEMO-DN-2026-900"])}] == [
        {
            n: (c["added"], c["removed"], c["changed"], c["added_refs"])
            for n, c in x["lists"].items()
        }
        for x in changed
    ]


def orbital_clearance(version: str, country: str = "US") -> dict[str, Any]:
    return {
        "party": {"name": "Orbital Tradewinds Holding LLC", "country": country},
        "list": "notices",
        "entry": ORBITAL,
        "version": version,
    }


async def test_a_signed_clearance_stops_the_hit_until_the_entry_changes(
    gate: Gate, demo_config: Path
) -> None:
    """A signed clearance stops that entry for that party (not for another country), shows
    on GET /clearances, and lapses when the entry's version changes."""
    first = await screen(gate, "Orbital Tradewinds Holding LLC", "US")
    version = next(h["version"] for h in first["hits"] if h["entry"] == ORBITAL)
    status, answer, _ = await clear(gate, orbital_clearance(version), "msg_clear_1")
    assert (200, True, True) == (status, answer["stored"], answer["active"])
    assert ("notices", ORBITAL) not in refs(await screen(gate, "ORBITAL TRADEWINDS HOLDING", "US"))
    assert ("notices", ORBITAL) in refs(await screen(gate, "Orbital Tradewinds Holding LLC", "CN"))
    status, listed = await gate.call("GET", "/api/v1/clearances")
    assert (200, [(ORBITAL, version, True)]) == (
        status,
        [(c["entry"], c["version"], c["active"]) for c in listed["clearances"]],
    )
    assert 1 == len(journal_kinds(gate, "clearance.added"))
    # The notice gains an alias: a new version of the entry, the hit is back.
    notices = demo_config.parent / "lists" / "notices.csv"
    text = notices.read_text().replace(
        "Orbital Tradewinds LLC,", "Orbital Tradewinds LLC,Orbital Trade Winds Co.", 1
    )
    assert text != notices.read_text()
    notices.write_text(text)
    await gate.app[app_keys.RELOADER].reload("test")
    again = await screen(gate, "Orbital Tradewinds Holding LLC", "US")
    assert ("notices", ORBITAL) in refs(again)
    assert version != next(h["version"] for h in again["hits"] if h["entry"] == ORBITAL)
    _, listed = await gate.call("GET", "/api/v1/clearances")
    assert [False] == [c["active"] for c in listed["clearances"]]


async def test_a_clearance_needs_a_signature_and_is_applied_once(gate: Gate) -> None:
    """Unsigned: 401 and nothing stored. The same webhook id again: the first answer,
    marked as a replay, stored once; with another body: 409. A bearer token cannot clear."""
    version = "0" * 16
    status, doc, _ = await clear(gate, orbital_clearance(version), "msg_c", signed=False)
    assert (401, "bad-signature") == (status, doc["type"].rsplit("/", 1)[-1])
    _, listed = await gate.call("GET", "/api/v1/clearances")
    assert [] == listed["clearances"]
    status, doc = await gate.call("POST", "/api/v1/clearances", orbital_clearance(version))
    assert 401 == status
    first = await clear(gate, orbital_clearance(version), "msg_c")
    again = await clear(gate, orbital_clearance(version), "msg_c")
    assert (200, first[1], None) == first
    assert (200, first[1], "true") == again
    other = await clear(gate, orbital_clearance(version, "CN"), "msg_c")
    assert 409 == other[0]
    _, listed = await gate.call("GET", "/api/v1/clearances")
    assert [False] == [c["active"] for c in listed["clearances"]]
    assert 1 == len(journal_kinds(gate, "clearance.added"))


async def test_a_clearance_for_an_unknown_list_is_refused(gate: Gate) -> None:
    """A clearance naming no configured list is a 400 problem and stores nothing."""
    body = {**orbital_clearance("0" * 16), "list": "eu"}
    status, doc, _ = await clear(gate, body, "msg_unknown")
    assert (400, "invalid-clearance") == (status, doc["type"].rsplit("/", 1)[-1])
    _, listed = await gate.call("GET", "/api/v1/clearances")
    assert [] == listed["clearances"]


async def test_readyz_reports_the_lists(gate: Gate) -> None:
    """/readyz checks that every screening list is loaded."""
    async with aiohttp.ClientSession() as s, s.get(gate.url + "/readyz") as r:
        doc = await r.json()
    assert (200, True) == (r.status, doc["checks"]["lists"])


async def test_an_edited_list_file_is_picked_up_by_the_file_watch(
    gate: Gate, demo_config: Path
) -> None:
    """Replacing the notices file (as a download would, by rename) is noticed by the
    reloader's watch and its new entry is screened, with no call and no restart."""
    notices = demo_config.parent / "lists" / "notices.csv"
    fresh = notices.with_name("notices.csv.new")
    fresh.write_text(notices.read_text() + "Vantorel Dynamics SA,,CH,DEMO-DN-2026-901,2026-11-02\n")
    fresh.replace(notices)

    async def listed() -> bool:
        doc = await screen(gate, "Vantorel Dynamics")
        return ("notices", "DEMO-DN-2026-901") in refs(doc)

    await until(listed, "the new notice to be screened")


async def test_a_list_that_loses_entries_on_reload_is_alerted(
    gate: Gate, demo_config: Path
) -> None:
    """A notices file cut at a line boundary still parses: the reload is taken (journaled)
    and alerted, naming the entries it lost, so a person sees that a hit may have gone."""
    notices = demo_config.parent / "lists" / "notices.csv"
    lines = notices.read_text().splitlines(keepends=True)
    kept = [line for line in lines if ORBITAL not in line]
    notices.write_text("".join(kept))
    await gate.app[app_keys.RELOADER].reload("test")
    alerts = [e.data for e in gate.app[app_keys.EVENTS].kept() if e.kind == "alert"]
    reduced = [a for a in alerts if a.get("kind") == "list_reduced"]
    assert ["notices"] == [a["list"] for a in reduced]
    assert ORBITAL in reduced[0]["text"]
    assert ("notices", ORBITAL) not in refs(await screen(gate, "Orbital Tradewinds LLC"))
