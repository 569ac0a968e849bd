"""A report's CSV never hands a spreadsheet a formula: text that starts like one (a consignee
named ``=HYPERLINK(...)``) goes out behind a ``'``; numbers, negative ones too, stay numbers;
the JSON form keeps the text as it is."""

from __future__ import annotations

import csv
import io
import json

from gate.storage.reports import COLUMNS, render


def test_formula_text_is_quoted_and_numbers_are_not() -> None:
    """Formula starts, after spaces or a line break and in full width too, are quoted;
    ordinary names and numbers are not; JSON keeps the text."""
    kind = "dispatched"
    columns = COLUMNS[kind]
    texts = ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-2+3", "Acme GmbH"]
    texts += [" =1+1", "\u00a0=1+1", "\n=1+1", "\uff1d1+1", "A = B"]
    rows = [{c: None for c in columns} | {columns[0]: text, columns[1]: -5} for text in texts]
    cells = list(csv.reader(io.StringIO(render(kind, rows, "csv", None, None))))[1:]
    quoted = [not t.startswith(("Acme", "A ")) for t in texts]
    assert [("'" + t if q else t, "-5") for t, q in zip(texts, quoted, strict=True)] == [
        (row[0], row[1]) for row in cells
    ]
    doc = json.loads(render(kind, rows, "json", None, None))
    assert texts == [row[columns[0]] for row in doc["rows"]]
