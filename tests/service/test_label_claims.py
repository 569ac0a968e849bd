"""A label's count belongs to the goods it names, at the most it claims (found by an attack
on a running gate, each a wrong dispatch on a standing licence for 1 unit):

- a label giving both AI 30 and AI 37 counts the larger (it counted AI 37's, even 0);
- a pallet label's count next to AI (01) counts for that GTIN (it counted nothing);
- a label naming an item (01) and contents (02) is refused as GS1 refuses it (its 50
  batteries were counted on the other GTIN's line)."""

from __future__ import annotations

from pathlib import Path

from gate.cli.simulate import sscc18
from tests.central.test_central_link import callback, licence_body, office_key
from tests.service.harness import Gate, gtin_with
from tests.service.test_label_count import BATTERY


async def licence_for_one_battery(gate: Gate, demo_config: Path) -> None:
    """A standing licence for 1 thermal battery to the harness's consignee."""
    body = {**licence_body(1), "controls": [BATTERY]}
    status, answer = await callback(gate, "/api/v1/licences", body, key=office_key(demo_config))
    assert 200 == status, answer


async def test_a_label_with_ai_30_and_ai_37_counts_the_larger(
    gate: Gate, demo_config: Path
) -> None:
    """(30) 50 with (37) 1, and (37) 0 with (30) 50: each counts 50 batteries, and the
    licence for 1 leaves the shipment held."""
    await licence_for_one_battery(gate, demo_config)
    await gate.create()
    battery = gtin_with(demo_config, BATTERY)
    first = await gate.scan(f"(01){battery}(21)S1(30)50(37)1")
    second = await gate.scan(f"(01){battery}(21)S2(37)0(30)50")
    assert [("accepted", 50), ("accepted", 50)] == [
        (a["status"], a["counted"]) for a in (first, second)
    ]
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held", 100) == (status, doc["state"], doc["lines"][0]["quantity"])


async def test_a_manifest_pallet_labelled_with_ai_30_above_its_ai_37_is_not_vouched(
    gate: Gate, demo_config: Path
) -> None:
    """The manifest lists 1 battery on the pallet and its label says (37) 1 and (30) 50:
    the label claims 50, which the manifest does not confirm, so the shipment holds."""
    await licence_for_one_battery(gate, demo_config)
    battery = gtin_with(demo_config, BATTERY)
    pallet = sscc18(3, "4012345", 7)
    manifest = [{"sscc": pallet, "contents": [{"gtin": battery, "quantity": 1}]}]
    await gate.create(manifest=manifest)
    await gate.scan(f"(00){pallet}(02){battery}(37)1(30)50")
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    lines = {line["key"]: line["quantity"] for line in doc["lines"]}
    assert (200, "held", 50) == (status, doc["state"], lines[battery])


async def test_a_pallet_labels_count_next_to_its_gtin_counts_for_that_gtin(
    gate: Gate, demo_config: Path
) -> None:
    """(00) pallet (01) battery (37) 50, no manifest: the battery line holds 50, the licence
    for 1 does not cover it, and the office is asked for the 50."""
    await licence_for_one_battery(gate, demo_config)
    await gate.create()
    battery = gtin_with(demo_config, BATTERY)
    await gate.scan(f"(00){sscc18(3, '4012345', 7)}(01){battery}(37)50")
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    lines = {line["key"]: line["quantity"] for line in doc["lines"]}
    assert (200, "held", 50) == (status, doc["state"], lines[battery])
    asked = {line["key"]: line["quantity"] for line in doc["requests"][-1]["lines"]}
    assert 50 == asked[battery]


async def test_a_label_naming_an_item_and_its_contents_is_refused(
    gate: Gate, demo_config: Path
) -> None:
    """(01) an unlisted item (02) battery (37) 50 is refused with a reason naming the pair;
    nothing is counted on either line."""
    await gate.create()
    plain, battery = gtin_with(demo_config, ""), gtin_with(demo_config, BATTERY)
    answer = await gate.scan(f"(01){plain}(02){battery}(37)50")
    assert "rejected" == answer["status"]
    assert "AI (01)" in answer["error"] and "AI (02)" in answer["error"]
    status, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert (200, []) == (status, doc["lines"])
