"""What a logistics unit's label counted, with its units (``Shipment.label_counts``),
survives the stored document; a document written before they were kept loads each label's
GTIN as counted at 1 unit (too many later rather than too few)."""

from __future__ import annotations

import json

from gate.core.line_counting import added
from gate.storage.shipment_codec import decode, encode
from tests.core.test_container_label import label, read
from tests.core.test_container_label_stated import claims
from tests.core.test_shipments import GYRO, STRAY, shipment


def test_the_label_units_survive_the_document_and_old_documents_count_one() -> None:
    """``label_counts`` round-trips; a document written before it kept the label's record
    in ``container_counts`` ("<SSCC> label") loads it as 1 unit, out of the manifest's
    records, so the label read again saying 10 counts 9 more."""
    s, _ = claims(shipment(), 10)
    assert s.label_counts == decode(json.loads(json.dumps(encode(s)))).label_counts
    old = encode(s)
    del old["label_counts"]
    old["container_counts"] = [[f"{STRAY} label", GYRO, 0]]
    rebuilt = decode(json.loads(json.dumps(old)))
    assert (frozenset(), frozenset({(STRAY, GYRO, 0, 1)})) == (
        rebuilt.container_counts,
        rebuilt.label_counts,
    )
    again = read(rebuilt, label(STRAY, content=GYRO, count=10))
    assert 9 == added(rebuilt, again.lines)
