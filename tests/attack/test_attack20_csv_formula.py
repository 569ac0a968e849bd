"""Attack20: a formula behind a Unicode space went out of a report's CSV unquoted.

A report's CSV puts a ``'`` before a cell that starts like a formula (``=``, ``+``, ``-``,
``@``; attack on 2026-11-29), skipping plain, no-break and ideographic spaces before it. A
consignee's name is checked text (no control characters, no invisible or bidirectional
marks) but may begin with any other space: ``"\\u2003=HYPERLINK(...)"`` (an em space) was
taken, dispatched, and written to ``gate report dispatched`` and the page's CSV download as
it came. The gate does not guess which application runs what: any spaces (``str.isspace``)
and invisible format characters (category Cf: U+200B, U+FEFF, ...) before the sign are
skipped, and the sign is read by its compatibility form (NFKC), so the small ``﹦`` and
superscript ``⁼`` count like the full-width ``＝`` already did.

What was checked, and what was not (2026-12-01): LibreOffice Calc 7.4.7 (Debian 12,
``soffice --headless --convert-to fods``, 13 leads by 8 signs) runs a CSV cell as a formula
only when ``=`` is its first character (by default and with "evaluate formulas" on; off,
never); with "trim spaces" on, also behind ASCII spaces; never behind U+00A0, U+2000-U+200B,
U+202F, U+3000, U+FEFF, a tab or a line break, and never ``+``, ``-``, ``@`` or the
full-width and small forms. So no Unicode space
here is a demonstrated injection in Calc; Excel and Google Sheets, which OWASP says also run
``+``, ``-`` and ``@``, could not be checked on this machine: the quoting is defence in depth.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

from gate.storage import reports
from tests.service.harness import Gate, gtin_with

LEADS = ["\u2003", "\u2000", "\u200a", "\u202f", "\u205f", "\u1680", "\u3000 ", "\u200b", "\ufeff"]
SIGNS = ["=", "+", "-", "@", "\uff1d", "\ufe66", "\ufe62", "\ufe63", "\ufe6b", "\u207c"]


def test_a_formula_behind_any_space_or_invisible_mark_is_quoted() -> None:
    """Every Unicode space and invisible mark before every formula sign, full-width and small
    forms too, is quoted; text whose first visible character is no sign is not. The JSON
    form escapes a CSI and an override, and reads back the same."""
    columns = reports.COLUMNS["dispatched"]
    texts = [lead + sign + "HYPERLINK(1)" for lead in LEADS for sign in SIGNS]
    plain = ["\u2003Acme = Co", "\u200bAcme", "A\u2003=1"]
    rows = [{c: None for c in columns} | {columns[0]: t} for t in texts + plain]
    cells = [
        row[0]
        for row in csv.reader(io.StringIO(reports.render("dispatched", rows, "csv", None, None)))
    ]
    assert ["'" + t for t in texts] + plain == cells[1:]
    hostile = {c: None for c in columns} | {columns[0]: "\u009b2J\u202e"}
    shown = reports.render("dispatched", [hostile], "json", None, None)
    assert (False, "\u009b2J\u202e") == (
        "\u009b" in shown or "\u202e" in shown,
        json.loads(shown)["rows"][0][columns[0]],
    )


async def test_a_consignee_behind_an_em_space_is_quoted_in_the_report(
    gate: Gate, demo_config: Path
) -> None:
    """A shipment to ``"\\u2003=HYPERLINK(...)"`` is taken and dispatched; the dispatched
    report's CSV has the name behind a ``'``."""
    name = '\u2003=HYPERLINK("http://example.invalid/x","Acme")'
    body = {
        "id": "S1",
        "door": "D1",
        "destination": "DE",
        "consignee": {"name": name, "country": "DE"},
    }
    status, doc = await gate.call("POST", "/api/v1/shipments", body)
    assert 201 == status, doc
    await gate.scan(gtin_with(demo_config, ""), "D1")
    for step in ("seal", "dispatch"):
        status, doc = await gate.call("POST", f"/api/v1/shipments/S1/{step}")
        assert 200 == status, doc
    conn = sqlite3.connect(gate.config.database)
    try:
        rows = reports.run(conn, "dispatched", None, None)
    finally:
        conn.close()
    table = csv.DictReader(io.StringIO(reports.render("dispatched", rows, "csv", None, None)))
    assert ["'" + name] == [row["consignee"] for row in table]
