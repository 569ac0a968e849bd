"""Parties, identifiers and end-use codes over the API, and ``PATCH /shipments/{id}`` before
seal (DESIGN.md section 4): stored, shown, decided on; refused after seal with nothing changed.

Each test runs the real app on a real socket over a real SQLite file (tests/service/harness).
"""

from __future__ import annotations

from pathlib import Path

from tests.config.test_settings_validation import edit
from tests.service.harness import Gate, Gates, gtin_with

END_USER_IN_IRAN = {"role": "end_user", "name": "Parsian Avionics", "country": "IR"}


async def test_create_with_parties_stores_and_shows_them(gate: Gate) -> None:
    """Parties, the consignee's identifiers and the end-use codes come back in the shipment
    document, with every party's screening."""
    doc = await gate.create(
        consignee={"name": "Acme Precision GmbH", "country": "DE", "ids": {"eori": "DE 1234"}},
        parties=[{"role": "forwarder", "name": "Nordic Freight AS", "country": "NO"}],
        end_use_codes=["civil"],
    )
    assert {"eori": "DE1234"} == doc["consignee"]["ids"]
    assert [{"role": "forwarder", "name": "Nordic Freight AS", "country": "NO", "ids": {}}] == doc[
        "parties"
    ]
    assert ["civil"] == doc["end_use_codes"]
    assert ["consignee", "forwarder"] == [s["party"]["role"] for s in doc["screening"]]
    _, again = await gate.call("GET", "/api/v1/shipments/S1")
    assert doc["parties"] == again["parties"]


async def test_a_party_in_an_embargoed_country_prohibits_a_listed_item(
    gate: Gate, demo_config: Path
) -> None:
    """An end user in Iran prohibits a listed line though the goods go to Germany (row 2)."""
    await gate.create(parties=[END_USER_IN_IRAN])
    result = await gate.scan(gtin_with(demo_config, "9.A.4"))
    assert ("prohibited", ["embargo", "cat2"]) == (result["decision"], result["reasons"])


async def test_patch_before_seal_redecides(gate: Gate, demo_config: Path) -> None:
    """Adding a party and a missile end use before seal decides every line again: the
    unlisted line turns catch_all, and an end user in Iran keeps it held (row 8 as well)."""
    await gate.create()
    bolt = gtin_with(demo_config, "")
    assert ["not_listed"] == (await gate.scan(bolt))["reasons"]
    status, doc = await gate.call(
        "PATCH", "/api/v1/shipments/S1", {"end_use": "UAV flight controllers"}
    )
    assert (200, ["catch_all"]) == (status, doc["lines"][0]["reasons"]), doc
    status, doc = await gate.call(
        "PATCH", "/api/v1/shipments/S1", {"parties": [END_USER_IN_IRAN], "transit": ["TR"]}
    )
    assert 200 == status, doc
    assert ("UAV flight controllers", ["TR"]) == (doc["end_use"], doc["transit"])
    assert [END_USER_IN_IRAN["country"]] == [p["country"] for p in doc["parties"]]
    assert ("licence_required", ["catch_all"]) == (
        doc["lines"][0]["decision"],
        doc["lines"][0]["reasons"],
    )


async def test_patch_after_seal_is_refused_and_changes_nothing(gate: Gate) -> None:
    """After seal the parties, end use and transit are what was decided: 409, unchanged."""
    await gate.create()
    await gate.call("POST", "/api/v1/shipments/S1/seal")
    status, problem = await gate.call("PATCH", "/api/v1/shipments/S1", {"end_use": "missile"})
    assert 409 == status, problem
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert None is doc["end_use"]


async def test_bad_parties_and_codes_are_refused(gate: Gate) -> None:
    """An unknown role, identifier scheme, end-use code or country is a 400 problem, and no
    shipment is created."""
    for extra in (
        {"parties": [{"role": "broker", "name": "Xeron Optics", "country": "DE"}]},
        {"parties": [{"role": "consignee", "name": "Xeron Optics", "country": "DE"}]},
        {"consignee": {"name": "Xeron Optics", "country": "DE", "ids": {"passport": "1"}}},
        {"end_use_codes": ["space_tourism"]},
        {"parties": [{"role": "end_user", "name": "Xeron Optics", "country": "XK"}]},
    ):
        body = {"id": "S9", "door": "D1", "destination": "DE"}
        body.setdefault("consignee", {"name": "Acme", "country": "DE"})
        status, problem = await gate.call("POST", "/api/v1/shipments", {**body, **extra})
        assert 400 == status, (extra, problem)
    status, _ = await gate.call("GET", "/api/v1/shipments/S9")
    assert 404 == status


async def test_an_unknown_roles_error_names_only_the_roles_parties_may_take(gate: Gate) -> None:
    """The roles the error offers are those ``parties`` takes: not the consignee's, which has
    a field of its own (offered, it was then refused with another message)."""
    body = {
        "id": "S9",
        "door": "D1",
        "destination": "DE",
        "consignee": {"name": "Acme", "country": "DE"},
    }
    party = {"role": "broker", "name": "Xeron Optics", "country": "DE"}
    status, problem = await gate.call("POST", "/api/v1/shipments", {**body, "parties": [party]})
    assert 400 == status, problem
    offered = problem["detail"].split("is not one of ", 1)[1]
    roles = "end_user, intermediate_consignee, forwarder, purchaser"
    assert offered.startswith(f"{roles} (the consignee is given as `consignee`"), offered


async def test_an_old_annex_holds_every_line_though_the_table_was_just_compiled(
    gates: Gates, demo_config: Path
) -> None:
    """The control list's age is its Annex date, not when the table was compiled: a gate on
    an Annex older than ``max_age_days`` holds even unlisted lines as stale_data."""
    edit(demo_config, r"^annex_date = .*$", 'annex_date = "2020-01-01"')
    gate = await gates.start()
    await gate.create()
    result = await gate.scan(gtin_with(demo_config, ""))
    assert ("licence_required", ["stale_data"]) == (result["decision"], result["reasons"])


async def test_lists_show_each_source_with_its_own_date(gate: Gate) -> None:
    """``GET /lists`` shows the control list's Annex, date and limit, and the partners' denial
    notices as the ``notices`` screening list with its configured date and limit, each fresh or
    not."""
    status, doc = await gate.call("GET", "/api/v1/lists")
    assert 200 == status, doc
    assert {"annex": "MTCR/TEM/2024/Annex", "annex_date": "2024-10-01", "max_age_days": 1460} == {
        k: doc["control_list"][k] for k in ("annex", "annex_date", "max_age_days")
    }
    (notices,) = [x for x in doc["lists"] if x["format"] == "gate-csv"]
    assert ("notices", "licence", "2026-11-20T09:00:00+00:00", 8760) == (
        notices["name"],
        notices["action"],
        notices["published"],
        notices["max_age_hours"],
    )
    assert isinstance(notices["fresh"], bool) and isinstance(doc["control_list"]["fresh"], bool)


async def test_a_party_named_by_a_placeholder_is_refused(gate: Gate) -> None:
    """A party or consignee whose name has nothing to screen ("N/A", "LLC", "x", "1",
    "Co., Ltd.", "unknown") is a 400 naming the party, and no shipment is created or
    changed; short real names ("3M", "BP") are taken."""
    body = {"id": "S9", "door": "D1", "destination": "DE"}
    consignee = {"name": "Acme", "country": "DE"}
    for name in (
        "N/A",
        "LLC",
        "x",
        "1",
        "Co., Ltd.",
        "Unknown",
        "TBD",
        " - ",
        "N/A Trading",
        "неизвестно",
        "ـــ",
        "Customer",
        "Same as consignee",
        "Firma GmbH",
    ):
        party = {"role": "end_user", "name": name, "country": "DE"}
        status, problem = await gate.call(
            "POST", "/api/v1/shipments", {**body, "consignee": consignee, "parties": [party]}
        )
        assert 400 == status, (name, problem)
        # The party's own check ("needs a name") answers first for a name with nothing left.
        assert "the end_user" in problem["detail"] and "name" in problem["detail"], problem
        status, problem = await gate.call(
            "POST", "/api/v1/shipments", {**body, "consignee": {"name": name, "country": "DE"}}
        )
        assert 400 == status, (name, problem)
        assert "the consignee's name" in problem["detail"]
    status, _ = await gate.call("GET", "/api/v1/shipments/S9")
    assert 404 == status
    await gate.create(consignee={"name": "3M Deutschland GmbH", "country": "DE"})
    status, problem = await gate.call(
        "PATCH",
        "/api/v1/shipments/S1",
        {"parties": [{"role": "end_user", "name": "n/a", "country": "DE"}]},
    )
    assert 400 == status, problem
    for real in ("BP", "Client Services Ltd", "Global Trading"):
        status, doc = await gate.call(
            "PATCH",
            "/api/v1/shipments/S1",
            {"parties": [{"role": "end_user", "name": real, "country": "GB"}]},
        )
        assert (200, [real]) == (status, [p["name"] for p in doc["parties"]]), doc
