"""Attack19: a shipper's text that begins with the word "Basic" or "Bearer" left the audit
journal as ``"[redacted]"``.

The journal redacts any string value that looks like a credential, and "looks like" was
``^\\s*(whsec_|bearer\\s+|basic\\s+)``: a consignee named "Basic Industries GmbH", an end use
"Basic research on bearings" or a party "Bearer Freight Services" matched, so the
``shipment.created`` record, the ``scan`` record's list hits and the ``shipment.dispatched``
record named no consignee and no end use, and ``gate report dispatched`` (which reads the
journal) showed the consignee as ``[redacted]``. A shipper could pick such a name to keep it
out of the one record an auditor trusts; an honest "Basic Chemicals Ltd" lost it too.

A credential is one word after the scheme (RFC 9110's token68: ``Bearer demo-3lVrZo``,
``Basic b3BzOnB3``); a name or a sentence is not.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

from gate.storage import journal, reports
from tests.service.harness import Gate, gtin_with

CONSIGNEE = "Bearer Precision Tools GmbH"
END_USE = "Basic research on bearings"
PARTY = "Bearer Freight Services GmbH"
LISTED_LOOKALIKE = "Basic Industries GmbH"


def test_names_and_sentences_are_kept_and_credentials_are_not() -> None:
    """Text that only begins with the scheme's word is kept; a credential after it is not."""
    kept = [
        CONSIGNEE,
        END_USE,
        PARTY,
        LISTED_LOOKALIKE,
        "basic  research",
        "Bearer of good news",
        "Basic Optics",
    ]
    secrets = [
        "Bearer demo-3lVrZo-6sVXB5I5_aqEOnBdshGn_lbyQ",
        "bearer abc123",
        " Basic b3BzOmRlbW8tb3BzLXBhc3N3b3Jk",
        "BASIC b3BzOnB3==",
        "whsec_Iom5HifUyyy1Fp7cz97WlZLY6WvWrCp7eAAcuovO7kM=",
    ]
    assert kept + [journal.REDACTED] * len(secrets) == [
        journal.redact(text) for text in kept + secrets
    ]


async def test_the_journal_and_the_report_name_the_consignee(gate: Gate, demo_config: Path) -> None:
    """A dispatched shipment to "Bearer Precision Tools GmbH" for "Basic research on
    bearings" is journaled and reported with that consignee and end use."""
    body = {
        "id": "S1",
        "door": "D1",
        "destination": "DE",
        "consignee": {"name": CONSIGNEE, "country": "DE"},
        "end_use": END_USE,
    }
    status, doc = await gate.call("POST", "/api/v1/shipments", body)
    assert 201 == status, doc
    await gate.scan(gtin_with(demo_config, ""), "D1")
    for step in ("seal", "dispatch"):
        status, doc = await gate.call("POST", f"/api/v1/shipments/S1/{step}")
        assert 200 == status, doc
    conn = sqlite3.connect(gate.config.database)
    try:
        created = json.loads(
            conn.execute("SELECT data FROM audit WHERE kind = 'shipment.created'").fetchone()[0]
        )
        rows = reports.run(conn, "dispatched", None, None)
    finally:
        conn.close()
    assert (CONSIGNEE, END_USE) == (created["consignee"]["name"], created["end_use"])
    table = list(csv.DictReader(io.StringIO(reports.render("dispatched", rows, "csv", None, None))))
    assert [CONSIGNEE] == [row["consignee"] for row in table]
