"""Attack13: labels that name a controlled item through an ITIP AI, on a real gate over HTTP.

AI (8006) identifies a piece of a trade item (the GTIN of the whole item, then the piece's
number and the count of pieces), AI (8026) the pieces a logistic unit holds. The decoder
read neither: ``(01) plain (8006) gyro 01 02`` was an accepted read of the plain item,
cleared and dispatched with the gyro's piece on the truck (GS1 does not allow (01) beside
(8006) or (8026), as it does not allow (01) beside (02), which the gate refuses), and
``(00) pallet (8026) gyro 01 02`` against a manifest of plain goods counted the manifest and
cleared, where the same label with (02) is held as contradicting the manifest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate.cli.simulate import sscc18
from gate.core.identifiers import decode
from gate.errors import InvalidCode
from tests.service.harness import Gate, gtin_with

CONTROL = "9.A.4"


@pytest.mark.parametrize("ai", ["8006", "8026"])
async def test_an_item_label_with_an_itip_of_a_gyro_is_refused(
    gate: Gate, demo_config: Path, ai: str
) -> None:
    """(01) an unlisted item with (8006) or (8026) naming a gyro: refused, naming the pair,
    and nothing counted; the shipment of the plain goods alone is not cleared by it."""
    gyro, plain = gtin_with(demo_config, CONTROL), gtin_with(demo_config, "")
    await gate.create()
    answer = await gate.scan(f"(01){plain}({ai}){gyro}0102")
    assert "rejected" == answer["status"], answer
    assert "AI (01)" in answer["error"] and f"AI ({ai})" in answer["error"]
    status, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert (200, []) == (status, doc["lines"])


@pytest.mark.parametrize("claim", ["(8026){gyro}0102", "(03){gyro}"])
async def test_a_pallet_label_naming_a_gyro_is_held(
    gate: Gate, demo_config: Path, claim: str
) -> None:
    """(00) pallet (8026) gyro 01 02, or (03) gyro (a made-to-order GTIN: review14), the
    manifest listing plain goods only: held as a pallet whose label contradicts its manifest,
    the gyro counted and decided, the dispatch refused, as the same label with (02) is."""
    gyro, plain = gtin_with(demo_config, CONTROL), gtin_with(demo_config, "")
    pallet = sscc18(3, "4012345", 1)
    manifest = [{"sscc": pallet, "contents": [{"gtin": plain, "quantity": 10}]}]
    await gate.create(manifest=manifest)
    answer = await gate.scan(f"(00){pallet}" + claim.format(gyro=gyro))
    assert ("accepted", True) == (answer["status"], answer["decision"] != "clear"), answer
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, doc["state"]), doc
    keys = {line["key"]: line for line in doc["lines"]}
    assert {pallet, gyro, plain} <= set(keys)
    assert ["cat2"] == keys[gyro]["reasons"]
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status


async def test_a_pallet_label_whose_itip_the_manifest_lists_counts_as_before(
    gate: Gate, demo_config: Path
) -> None:
    """(00) pallet (8026) plain 01 02 where the manifest lists that plain item: the manifest
    vouches for the label, and the shipment clears as on a bare read of the pallet."""
    plain = gtin_with(demo_config, "")
    pallet = sscc18(3, "4012345", 1)
    manifest = [{"sscc": pallet, "contents": [{"gtin": plain, "quantity": 10}]}]
    await gate.create(manifest=manifest)
    answer = await gate.scan(f"(00){pallet}(8026){plain}0102")
    assert ("accepted", "clear", 10) == (answer["status"], answer["decision"], answer["counted"])
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"]), doc


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("(00){pallet}(8026){bad}0102", "check digit"),
        ("(00){pallet}(02){plain}(8026){gyro}0102", "AI (02)"),
    ],
    ids=["bad-check-digit", "02-and-8026"],
)
def test_itip_labels_that_cannot_be_read_are_refused(
    demo_config: Path, code: str, words: str
) -> None:
    """An ITIP whose GTIN's check digit is wrong, or that names other goods than the label's
    (02) beside it, is refused: never guessed."""
    gyro, plain = gtin_with(demo_config, CONTROL), gtin_with(demo_config, "")
    bad = gyro[:-1] + str((int(gyro[-1]) + 1) % 10)
    pallet = sscc18(3, "4012345", 1)
    with pytest.raises(InvalidCode, match=re.escape(words)):
        decode(code.format(pallet=pallet, gyro=gyro, plain=plain, bad=bad))
