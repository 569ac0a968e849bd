"""Input that would be stored wrong or shown otherwise than stored is refused at the door
(issue 11, item 11): manifest GTINs and SSCCs with a wrong check digit, and names holding
control characters or bidirectional overrides. Each is a 400 problem and creates nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import SCANNER_TOKEN
from tests.service.harness import Gate

GOOD_SSCC = "340123450000000017"  # check digit 7 (GS1 mod-10)
GOOD_GTIN = "09506000134352"  # GS1's published example GTIN


def shipment(**extra: Any) -> dict[str, Any]:
    return {
        "id": "S1",
        "door": "D1",
        "destination": "DE",
        "consignee": {"name": "Acme Precision GmbH", "country": "DE"},
        **extra,
    }


def manifest(sscc: str, gtin: str) -> list[dict[str, Any]]:
    return [{"sscc": sscc, "contents": [{"gtin": gtin, "quantity": 2}]}]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (shipment(manifest=manifest("340123450000000018", GOOD_GTIN)), "check digit is 8"),
        (shipment(manifest=manifest(GOOD_SSCC, "09506000134353")), "check digit is 3"),
        (
            shipment(consignee={"name": "Acme\u202eHbmG", "country": "DE"}),
            "U+202E",
        ),
        (shipment(consignee={"name": "Acme\x07 GmbH", "country": "DE"}), "U+0007"),
        (shipment(end_use="civil\u2066 aviation"), "U+2066"),
    ],
    ids=["sscc-check-digit", "gtin-check-digit", "rtl-override", "control-char", "bidi-isolate"],
)
async def test_bad_input_is_a_400_problem_and_creates_nothing(
    gate: Gate, body: dict[str, Any], expected: str
) -> None:
    """A manifest number with a wrong check digit, or a name with a control or bidi
    character, is refused with a problem naming it, and no shipment exists afterwards."""
    status, problem = await gate.call("POST", "/api/v1/shipments", body)
    assert 400 == status, problem
    assert expected in problem["detail"], problem
    status, _ = await gate.call("GET", "/api/v1/shipments/S1")
    assert 404 == status


async def test_valid_manifest_and_plain_names_are_accepted(gate: Gate) -> None:
    """The same shipment with correct check digits and ordinary text is created."""
    body = shipment(manifest=manifest(GOOD_SSCC, GOOD_GTIN), end_use="civil aviation\nrepairs")
    status, doc = await gate.call("POST", "/api/v1/shipments", body)
    assert 201 == status, doc


async def test_a_scan_nested_deeper_than_the_encoder_goes_is_rejected_not_a_500(
    gate: Gate,
) -> None:
    """A msgpack batch whose one scan is 1,000 lists deep (msgpack reads it; JSON's encoder
    does not go that deep): the scan is rejected and journaled, the request answered."""
    body = b"\x81\xa5scans\x91" + b"\x91" * 1000 + b"\xc0"
    async with gate.session.post(
        gate.url + "/api/v1/scans",
        data=body,
        headers={
            "Authorization": f"Bearer {SCANNER_TOKEN}",
            "Content-Type": "application/msgpack",
        },
    ) as response:
        assert 200 == response.status, await response.text()
        answer = await response.json()
    assert ["rejected"] == [r["status"] for r in answer["results"]]


@pytest.mark.parametrize(
    "path", ["/api/v1/shipments/S1/history", "/api/v1/shipments/S1/lines/x/serials"]
)
async def test_a_limit_of_thousands_of_digits_is_a_400(gate: Gate, path: str) -> None:
    """``int`` refuses more than 4,300 digits with an error of its own: not a 500."""
    await gate.create()
    status, problem = await gate.call("GET", f"{path}?limit={'9' * 4301}")
    assert (400, "bad-request") == (status, problem["type"].rsplit("/", 1)[1])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Ac\ud800me", "country": "DE"}, "name"),
        ({"name": "Acme", "ids": {"\udc00": "x"}}, "ids"),
        ({"name": "Acme", "ids": {"lei": "X\ud800"}}, "ids[0]"),
    ],
)
async def test_screening_text_that_cannot_be_stored_is_a_400(
    gate: Gate, body: dict[str, Any], field: str
) -> None:
    """A lone surrogate in a name or an id is refused naming the field (was a 500 in the
    name index)."""
    status, problem = await gate.call("POST", "/api/v1/screen", body)
    assert 400 == status, problem
    assert field in [e["field"] for e in problem["errors"]]
