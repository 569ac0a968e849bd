"""The fixed field names and types of DESIGN.md 4 ("Shapes"), read from a real gate: the scan
answer, the shipment, the door, the screen answer and the lists. More fields are welcome;
these are pinned because other systems are built against them. (Matched on main: a guard.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.service.harness import Gate, gtin_with

OPTIONAL_TEXT = (str, type(None))


def has(doc: dict[str, Any], **types: Any) -> None:
    """Every named field is present with a value of its type."""
    for name, kind in types.items():
        assert name in doc, f"{name} missing from {sorted(doc)}"
        assert isinstance(doc[name], kind), f"{name}: {doc[name]!r} is not {kind}"


async def test_the_documented_shapes(gate: Gate, demo_config: Path) -> None:
    """Scan answer, shipment (lines, screening, requests), door, screen answer and lists
    carry every fixed name with its type."""
    await gate.create(parties=[{"role": "end_user", "name": "Sultani Makenga", "country": "CD"}])
    result = await gate.scan(gtin_with(demo_config, "9.A.4"))
    has(result, scan_id=str, status=str, item=dict, classification=dict, decision=str)
    has(result, reasons=list, shipment=dict, door=dict)
    has(result["item"], kind=str, key=str, serial=OPTIONAL_TEXT, sscc=OPTIONAL_TEXT)
    has(result["classification"], control=str, category=int, title=str, flags=list)
    has(result["shipment"], id=str, state=str)
    has(result["door"], id=str, signal=str)
    rejected = await gate.scan("not a code")
    has(rejected, scan_id=str, status=str, error=str)
    assert "rejected" == rejected["status"]

    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert 200 == status
    has(doc, id=str, door=str, state=str, destination=str, consignee=dict, parties=list)
    has(doc, end_use=OPTIONAL_TEXT, transit=list, screening=list, lines=list, requests=list)
    has(doc, created_at=str, updated_at=str)
    (line,) = doc["lines"]
    has(line, key=str, description=str, control=str, category=int, quantity=int)
    has(line, decision=str, reasons=list, removed=bool)
    assert {"general_licence", "covered_by"} <= set(line)
    hits = [h for s in doc["screening"] for h in s["hits"]]
    assert hits, doc["screening"]
    for s in doc["screening"]:
        has(s, party=dict, hits=list)
    for hit in hits:
        has(hit, list=str, entry=str, name=str, score=float, action=str, explanation=str)
        assert 0.0 <= hit["score"] <= 1.0

    status, door = await gate.call("GET", "/api/v1/doors/D1")
    assert 200 == status
    has(door, id=str, name=str, signal=str, shipment=dict)

    status, screened = await gate.call("POST", "/api/v1/screen", {"name": "Sultani Makenga"})
    assert 200 == status
    has(screened, party=dict, hits=list)
    assert {"name", "country", "ids"} <= set(screened["party"])
    for hit in screened["hits"]:
        has(hit, list=str, entry=str, version=str, name=str, score=float, action=str)
        has(hit, explanation=str)

    status, lists = await gate.call("GET", "/api/v1/lists")
    assert 200 == status
    has(lists, lists=list, control_list=dict)
    for entry in lists["lists"]:
        has(entry, name=str, format=str, action=str, entries=int, names=int, fresh=bool)
        has(entry, published=OPTIONAL_TEXT, age_hours=(float, int, type(None)))
        has(entry, max_age_hours=(float, int))
    has(lists["control_list"], annex=str, annex_date=str, fresh=bool)
