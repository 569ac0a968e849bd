"""A create body whose fields are well formed but whose values the gate refuses is a problem
document with ``errors`` naming the field (DESIGN.md 4: "Errors are RFC 9457 problem details
(... plus ``errors`` for field errors)"), as a body of the wrong shape already is."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.harness import Gate, shipment_body

SSCC = "106141411234567897"
CONTENTS = [{"gtin": "09506000014043", "quantity": 1}]

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("consignee name", {"consignee": {"name": "A", "country": "DE"}}, "consignee.name"),
    (
        "party name",
        {"parties": [{"role": "end_user", "name": "GmbH", "country": "DE"}]},
        "parties[0].name",
    ),
    (
        "manifest SSCC twice",
        {"manifest": [{"sscc": SSCC, "contents": CONTENTS}, {"sscc": SSCC, "contents": CONTENTS}]},
        "manifest",
    ),
    ("end-use code", {"end_use_codes": ["NOT-A-CODE"]}, "end_use_codes"),
]


@pytest.mark.parametrize(("what", "change", "field"), CASES, ids=[c[0] for c in CASES])
async def test_a_refused_value_is_a_field_error(
    gate: Gate, what: str, change: dict[str, Any], field: str
) -> None:
    """The 400 problem lists the field in ``errors``, and no shipment is made."""
    body = shipment_body(**change)
    status, problem = await gate.call("POST", "/api/v1/shipments", body)
    assert (400, [field]) == (status, [e["field"] for e in problem.get("errors", [])]), problem
    assert (404, "not-found") == await gone(gate)


async def gone(g: Gate) -> tuple[int, str]:
    status, doc = await g.call("GET", "/api/v1/shipments/S1")
    return status, doc["type"].rsplit("/", 1)[-1]
