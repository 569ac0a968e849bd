"""Attack19: a party's name with a line break or a carriage return forged lines of
``gate report``.

A shipment body's text was checked as multi-line everywhere, so a consignee named
``"Evil Corp\\r2026-12-01T09:00:00Z,S7,D1,DE,\\"Acme Precision GmbH"`` was taken. The CSV
quotes the cell, so a CSV reader sees one row; but the officer who runs ``gate report
dispatched`` in a terminal sees the carriage return move back to the start of the line and the
rest overwrite it (the row names Acme, not Evil Corp), and a line feed shows as a row of its
own in a terminal, ``grep`` or a viewer that reads the file as text. The ``holds`` and
``screening`` reports carry party names too (the ``why`` detail, ``party``). A tab forged a
column in a tab-separated copy.

Now names, roles, ids and codes are single-line: tab, line feed and carriage return are
refused there as in a scan's names; only the end use, a description in words, may run over
lines (tests/service/test_input_guards.py keeps it so).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.harness import Gate, shipment_body

FORGED = 'Evil Corp\r2026-12-01T09:00:00.000000Z,S7,D1,DE,"Acme Precision GmbH'


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (shipment_body(consignee={"name": FORGED, "country": "DE"}), "U+000D"),
        (shipment_body(consignee={"name": "Evil Corp\nAcme GmbH", "country": "DE"}), "U+000A"),
        (
            shipment_body(parties=[{"role": "end_user", "name": "A\tB", "country": "DE"}]),
            "U+0009",
        ),
        (
            shipment_body(
                consignee={"name": "Acme", "country": "DE", "ids": {"vat": "DE1\r\nDE2"}}
            ),
            "U+000D",
        ),
        (shipment_body(end_use_codes=["A1\nB2"]), "U+000A"),
    ],
    ids=["consignee-cr", "consignee-lf", "party-tab", "id-crlf", "end-use-code-lf"],
)
async def test_a_line_break_in_a_name_is_refused(
    gate: Gate, body: dict[str, Any], code: str
) -> None:
    """A carriage return, line feed or tab in a name, an id or a code is a 400 naming the
    character, and no shipment is created."""
    status, problem = await gate.call("POST", "/api/v1/shipments", body)
    assert (400, True) == (status, code in str(problem.get("detail"))), problem
    status, _ = await gate.call("GET", "/api/v1/shipments/S1")
    assert 404 == status


async def test_an_amended_party_with_a_line_break_is_refused(gate: Gate) -> None:
    """``PATCH`` refuses a party name with a carriage return as ``POST`` does."""
    await gate.create()
    party = {"role": "end_user", "name": FORGED, "country": "DE"}
    status, problem = await gate.call("PATCH", "/api/v1/shipments/S1", {"parties": [party]})
    assert (400, True) == (status, "U+000D" in str(problem.get("detail"))), problem


async def test_an_end_use_may_still_run_over_lines(gate: Gate) -> None:
    """The end use, a description in words, keeps its line breaks."""
    doc = await gate.create(end_use="civil aviation\r\nrepairs")
    assert "civil aviation\r\nrepairs" == doc["end_use"]
