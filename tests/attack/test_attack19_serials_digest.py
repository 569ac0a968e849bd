"""Attack19: a manifest serial with a line feed made ``serials_sha256`` vouch for two serials.

A dispatched line's ``serials_sha256`` (journal and ``gate report dispatched``) is the SHA-256
of its serials, sorted, each followed by a line feed: the officer recomputes it from a file of
the serials, one per line. A WMS's manifest took any text up to 64 characters as a serial, so
a container listing one unit with the serial ``"A1\\nA2"`` left with ``serials`` 1 and the
digest of the two serials ``A1`` and ``A2``: the record counted one unit and the digest
matched a list of two. No scan can carry such a serial (AI 21: 1 to 20 characters of GS1's
character set 82), so it could never have been read either.

Now a manifest serial is held to what a scanned one is: a line feed is refused with the
other line breaks in names (attack19_forged_report_lines), and any serial outside AI 21's
form is refused naming it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service.harness import Gate, gtin_with, shipment_body

SSCC = "340123450000000017"  # check digit 7 (GS1 mod-10)


@pytest.mark.parametrize(
    ("serial", "named"),
    [("A1\nA2", "U+000A"), ("A1 A2", "'A1 A2'"), ("S" * 21, "S" * 21), ("Ä1", "'Ä1'")],
    ids=["line-feed", "space", "too-long", "outside-set-82"],
)
async def test_a_manifest_serial_outside_ai_21_is_refused(
    gate: Gate, demo_config: Path, serial: str, named: str
) -> None:
    """A manifest serial with a line feed, a space, 21 characters or a letter outside set 82
    is a 400 naming it, and no shipment is created."""
    contents = [{"gtin": gtin_with(demo_config, ""), "quantity": 1, "serials": [serial]}]
    body = shipment_body(manifest=[{"sscc": SSCC, "contents": contents}])
    status, problem = await gate.call("POST", "/api/v1/shipments", body)
    assert (400, True) == (status, named in str(problem.get("detail"))), problem
    status, _ = await gate.call("GET", "/api/v1/shipments/S1")
    assert 404 == status


async def test_a_manifest_serial_of_set_82_is_taken(gate: Gate, demo_config: Path) -> None:
    """Serials of 20 characters of set 82 are taken, punctuation and all."""
    serials = ["PAL-1", "a/b%c'(x)*+,.:;<=>?_", "9" * 20]
    contents = [{"gtin": gtin_with(demo_config, ""), "quantity": 3, "serials": serials}]
    doc = await gate.create(manifest=[{"sscc": SSCC, "contents": contents}])
    assert "open" == doc["state"]
