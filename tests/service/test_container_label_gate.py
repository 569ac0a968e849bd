"""Over HTTP, on a real gate: a pallet whose label names goods its manifest does not confirm
is held and its dispatch refused (the attack read (00) pallet (01) gyro, and (00) pallet (02)
gyro (37) 10, against a manifest of plain goods, and the gate cleared and dispatched them);
a label the manifest confirms counts as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gate.cli.simulate import sscc18
from tests.service.harness import Gate, Gates, gtin_with

#: The controlled gyro of the demo catalogue.
CONTROL = "9.A.4"


async def loaded(gate: Gate, demo_config: Path, code: str) -> tuple[dict[str, Any], str, str]:
    """S1 with a manifest of 10 plain units on one pallet, ``code`` read (``{pallet}``,
    ``{gyro}`` and ``{plain}`` filled in); the scan answer, the pallet and the plain GTIN."""
    gyro, plain = gtin_with(demo_config, CONTROL), gtin_with(demo_config, "")
    pallet = sscc18(3, "4012345", 1)
    manifest = [{"sscc": pallet, "contents": [{"gtin": plain, "quantity": 10}]}]
    await gate.create(manifest=manifest)
    answer = await gate.scan(code.format(pallet=pallet, gyro=gyro, plain=plain))
    assert "accepted" == answer["status"], answer
    return answer, pallet, plain


async def seal(gate: Gate) -> dict[str, Any]:
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert 200 == status, doc
    return dict(doc)


@pytest.mark.parametrize(
    "code",
    [
        "(00){pallet}(01){gyro}",
        "(00){pallet}(02){gyro}(37)10",
        "(00){pallet}(02){plain}(37)12",
    ],
    ids=["01-gyro", "02-gyro-37", "02-plain-wrong-37"],
)
async def test_a_label_the_manifest_does_not_confirm_is_held(
    gate: Gate, demo_config: Path, code: str
) -> None:
    """The attack's two labels, and the manifest's own GTIN with another count: the answer is
    not clear, the pallet is a line held ``unclassified`` whose description names the label,
    the shipment is held after seal and its dispatch is refused (409) naming the pallet."""
    answer, pallet, _ = await loaded(gate, demo_config, code)
    assert "clear" != answer["decision"]
    doc = await seal(gate)
    assert "held" == doc["state"]
    line = next(x for x in doc["lines"] if x["key"] == pallet)
    assert ("licence_required", ["unclassified"]) == (line["decision"], line["reasons"])
    assert line["description"].startswith("container (SSCC) whose label contradicts its manifest")
    status, problem = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status, problem
    assert pallet in [x["key"] for x in problem["blocking"]]


@pytest.mark.parametrize(
    "code", ["{pallet}", "(00){pallet}(01){plain}", "(00){pallet}(02){plain}(37)10"]
)
async def test_a_label_the_manifest_confirms_counts_as_before(
    gate: Gate, demo_config: Path, code: str
) -> None:
    """A bare pallet, or a label whose GTIN (and count) the manifest confirms: 10 plain units
    from the manifest, no line for the pallet, cleared and dispatched."""
    answer, _, plain = await loaded(gate, demo_config, code)
    assert ("clear", 10) == (answer["decision"], answer["counted"])
    doc = await seal(gate)
    assert ("cleared", {plain: 10}) == (
        doc["state"],
        {x["key"]: x["quantity"] for x in doc["lines"]},
    )
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 200 == status


async def test_a_held_label_stays_held_after_a_restart(gates: Gates, demo_config: Path) -> None:
    """What the label contradicted is stored with the pallet's line: after a restart the
    shipment is still held and the line still says what contradicted what. The scan answer's
    item shows the label's AI 02 and AI 37."""
    gate = await gates.start()
    answer, pallet, _ = await loaded(gate, demo_config, "(00){pallet}(02){gyro}(37)10")
    gyro = gtin_with(demo_config, CONTROL)
    assert (pallet, gyro, 10) == tuple(answer["item"][k] for k in ("sscc", "content", "count"))
    before = await seal(gate)
    await gates.stop(gate)
    gate = await gates.start()
    status, after = await gate.call("GET", "/api/v1/shipments/S1")
    assert 200 == status
    assert "held" == after["state"]
    kept = [(x["key"], x["description"], x["detail"]) for x in after["lines"]]
    assert [(x["key"], x["description"], x["detail"]) for x in before["lines"]] == kept
    assert "which its manifest does not list" in next(d for k, d, _ in kept if k == pallet)
