"""A pushed standing licence covers a Category I line only when it says ``category_1``, and
its consignee is matched by identifier when it carries one (DESIGN.md 2: standing
licences)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.central.test_central_link import callback, licence_body, office_key
from tests.fake_office import Office
from tests.service.harness import Gate, gtin_with

STAGE = "2.A.1.a"  # an individual rocket stage: Category I
EORI = "DE123456789012345"


@pytest.mark.parametrize(("category_1", "state"), [(True, "cleared"), (False, "held")])
async def test_category_1_lines_need_a_licence_that_says_so(
    gate: Gate, demo_config: Path, office: Office, category_1: bool, state: str
) -> None:
    """With category_1 true the licence releases the rocket stage; without it the line
    stays held (and is asked for)."""
    body = {**licence_body(5), "controls": [STAGE], "category_1": category_1}
    body["consignee"] = {**body["consignee"], "ids": {"eori": EORI}}
    status, answer = await callback(gate, "/api/v1/licences", body, key=office_key(demo_config))
    assert 200 == status, answer
    _, listed = await gate.call("GET", "/api/v1/licences")
    pushed = listed["licences"][0]
    assert (category_1, {"eori": EORI}) == (
        pushed["category_1"],
        pushed["consignee"]["ids"],
    )
    consignee = {"name": "Acme Precision GmbH", "country": "DE", "ids": {"eori": EORI}}
    await gate.create(consignee=consignee)
    await gate.scan(gtin_with(demo_config, STAGE))
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, state) == (status, doc["state"]), doc["lines"]


async def test_a_licence_with_an_identifier_does_not_cover_a_consignee_without_it(
    gate: Gate, demo_config: Path
) -> None:
    """Matched by identifier when either side has one: the same name and country without
    the licence's EORI is another consignee, so the Category II line stays held."""
    body = licence_body(5)
    body["consignee"] = {**body["consignee"], "ids": {"eori": EORI}}
    status, answer = await callback(gate, "/api/v1/licences", body, key=office_key(demo_config))
    assert 200 == status, answer
    await gate.create()
    await gate.scan(gtin_with(demo_config, "9.A.4"))
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, doc["state"]), doc["lines"]


async def test_category_1_must_be_a_boolean(gate: Gate, demo_config: Path) -> None:
    """category_1 as a string is a 400 problem and stores nothing."""
    body = {**licence_body(5), "category_1": "yes"}
    status, problem = await callback(gate, "/api/v1/licences", body, key=office_key(demo_config))
    assert 400 == status, problem
    _, listed = await gate.call("GET", "/api/v1/licences")
    assert [] == listed["licences"]
