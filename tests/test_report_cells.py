"""A report's CSV never hands a spreadsheet a formula: text that starts like one (a consignee
named ``=HYPERLINK(...)``) goes out behind a ``'``; numbers, negative ones too, stay numbers;
the JSON form keeps the text as it is."""

from __future__ import annotations

import csv
import io
import json

from gate.storage.reports import COLUMNS, render


def test_formula_text_is_quoted_and_numbers_are_not() -> None:
    kind = "dispatched"
    columns = COLUMNS[kind]
    texts = ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2+3", "Acme GmbH"]
    rows = [{c: None for c in columns} | {columns[0]: text, columns[1]: -5} for text in texts]
    cells = list(csv.reader(io.StringIO(render(kind, rows, "csv", None, None))))[1:]
    assert [("'" + t if t[0] in "=+@-" else t, "-5") for t in texts] == [
        (row[0], row[1]) for row in cells
    ]
    doc = json.loads(render(kind, rows, "json", None, None))
    assert texts == [row[columns[0]] for row in doc["rows"]]
