"""A clearance that names an identifier's scheme covers that scheme only (DESIGN 2.1: a
clearance never widens): the office's ``{"vat": X}`` does not release a party whose LEI is X."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.screening.test_screening_api import clear, orbital_clearance
from tests.service.harness import Gate, until
from tests.service.test_party_screening import held_for_listed_end_user, reevaluations

LEI = "5493001KJTIIGC8Y1R12"


async def test_a_clearance_under_another_scheme_leaves_the_party_held(
    gate: Gate, demo_config: Path
) -> None:
    """A listed end user identified by its LEI stays held after a clearance naming the same
    value as a VAT number (re-decided, still held), and is released by one naming its LEI;
    GET /clearances shows each clearance's identifiers with their schemes."""
    end_user = {
        "role": "end_user",
        "name": "Orbital Tradewinds Holding LLC",
        "country": "US",
        "ids": {"lei": LEI},
    }
    version = await held_for_listed_end_user(gate, demo_config, end_user)

    def clearance(scheme: str) -> dict[str, Any]:
        body = orbital_clearance(version)
        body["party"]["ids"] = {scheme: LEI}
        return body

    status, answer, _ = await clear(gate, clearance("vat"), "msg_vat")
    assert (200, True, {"vat": LEI}) == (
        status,
        answer["active"],
        answer["clearance"]["party"]["ids"],
    )
    # The answer comes after the clearance was used and the live shipments re-decided.
    status, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert (200, "held") == (status, doc["state"])
    assert "listed_party" in doc["lines"][0]["reasons"]

    status, answer, _ = await clear(gate, clearance("LEI"), "msg_lei")
    assert (200, True, {"lei": LEI}) == (
        status,
        answer["active"],
        answer["clearance"]["party"]["ids"],
    )

    async def released() -> bool:
        _, doc = await gate.call("GET", "/api/v1/shipments/S1")
        return bool(doc["state"] == "cleared")

    await until(released, "the LEI clearance to release the shipment")
    assert any(r["why"].startswith("clearance notices:") for r in reevaluations(gate))
    _, listed = await gate.call("GET", "/api/v1/clearances")
    assert [{"vat": LEI}, {"lei": LEI}] == [c["party"]["ids"] for c in listed["clearances"]]
