"""Stored shipment documents: what the database keeps rebuilds the same shipment after a
restart, holds no prose, and old documents (with prose) still load."""

from __future__ import annotations

import json

from gate.core import shipments as sh
from gate.core.parties import Party
from gate.core.shipment_values import Shipment, evolve
from gate.storage.shipment_codec import ShipmentEncoder, decode, encode
from gate.web.shipment_docs import to_doc
from tests import serial_books
from tests.core.test_shipments import (
    BOLT,
    CONTROLS,
    GYRO,
    MOTOR,
    NOW,
    PALLET,
    STRAY,
    TOOLING,
    approve,
    container,
    scan,
    shipment,
)


def round_trip(s: sh.Shipment) -> sh.Shipment:
    return decode(json.loads(json.dumps(encode(s))))


def test_open_shipment_with_every_kind_of_line_round_trips() -> None:
    """Serials, unserialised counts, containers (known and stray), removed lines and
    prohibited lines survive the document, and the rebuilt shipment decides the same."""
    s = scan(scan(scan(shipment(), GYRO, "A1"), GYRO, "A2"), BOLT)
    s = serial_books.add_scan(s, container(PALLET), None, CONTROLS, NOW).shipment
    s = serial_books.add_scan(s, container(STRAY), None, CONTROLS, NOW).shipment
    s = scan(s, TOOLING)
    s = sh.remove_line(s, TOOLING, CONTROLS, NOW).shipment
    back = round_trip(s)
    assert to_doc(s) == to_doc(back)
    assert (
        to_doc(sh.reevaluate(s, CONTROLS, NOW).shipment)["lines"]
        == to_doc(sh.reevaluate(back, CONTROLS, NOW).shipment)["lines"]
    )


def test_held_shipment_with_requests_and_approvals_round_trips() -> None:
    """Requests, approvals (with quantities) and coverage survive; the next event after a
    restart gives the same result as without one."""
    s = sh.seal(scan(scan(shipment(), MOTOR), GYRO, "S1"), CONTROLS, NOW).shipment
    assert sh.State.HELD == s.state
    s = approve(s).shipment
    back = round_trip(s)
    assert to_doc(s) == to_doc(back)
    assert to_doc(sh.cancel(s, NOW).shipment) == to_doc(sh.cancel(back, NOW).shipment)


def test_renderer_text_equals_the_document_as_lines_change() -> None:
    """The encoder's cached text reads back as exactly the stored document, scan after scan,
    through removal, sealing and cancellation."""
    renderer = ShipmentEncoder()
    s = shipment()
    steps = [
        lambda x: scan(x, GYRO, "A1"),
        lambda x: scan(x, BOLT),
        lambda x: scan(x, GYRO, "A2"),
        lambda x: scan(x, BOLT),
        lambda x: serial_books.add_scan(x, container(PALLET), None, CONTROLS, NOW).shipment,
        lambda x: sh.remove_line(x, BOLT, CONTROLS, NOW).shipment,
        lambda x: sh.seal(x, CONTROLS, NOW).shipment,
        lambda x: sh.cancel(x, NOW).shipment,
    ]
    for step in steps:
        s = step(s)
        assert encode(s) == json.loads(renderer.text(s))
    assert decode(json.loads(renderer.text(s))) == decode(encode(s))


def test_stored_document_holds_codes_not_prose() -> None:
    """The stored document keeps reason codes only: no ``reason_text`` and no coverage text,
    while the API document renders both from the same shipment."""
    s = approve(sh.seal(scan(scan(shipment(), MOTOR), GYRO, "S1"), CONTROLS, NOW).shipment)
    s = s.shipment
    stored = json.dumps(encode(s))
    wire = to_doc(s)
    assert (
        "reason_text" in stored,
        "text" in json.dumps([x["covered_by"] for x in encode(s)["lines"]]),
    ) == (False, False)
    assert ["cat1"] == wire["lines"][0]["reasons"] and wire["lines"][0]["reason_text"]
    assert any(line["covered_by"] and line["covered_by"]["text"] for line in wire["lines"])


def test_old_documents_with_prose_still_load() -> None:
    """A document stored before the codec and the API were apart (the API document itself,
    with ``reason_text`` and coverage ``text``) loads into the same shipment."""
    s = approve(sh.seal(scan(scan(shipment(), MOTOR), GYRO, "S1"), CONTROLS, NOW).shipment)
    s = s.shipment
    old = to_doc(s)  # what the database used to keep, serials listed in the line
    for line in old["lines"]:
        line["serials"] = ["S1"] if line["key"] == GYRO else []
        for request in old["requests"]:
            for x in request["lines"]:
                x["serials"] = ["S1"] if x["key"] == GYRO else []
    assert encode(s) == encode(decode(json.loads(json.dumps(old))))


def test_documents_with_serials_inside_load_their_counts() -> None:
    """A line stored before serials had a table of their own (a list in the document)
    loads with its count, in epoch 0, where migration 6 moved its serials."""
    s = scan(scan(shipment(), GYRO, "S1"), GYRO, "S2")
    doc = encode(s)
    for line in doc["lines"]:
        del line["serialised"], line["epoch"]
        line["serials"] = ["S1", "S2"]
    line = decode(json.loads(json.dumps(doc))).lines[0]
    assert (2, 2, 0) == (line.quantity, line.serialised, line.epoch)


def test_what_each_pallet_counted_survives_and_old_documents_rebuild_it() -> None:
    """``container_counts`` round-trips; a document written before it was kept rebuilds it
    from the containers read and their lines, so a pallet read again after a restart adds
    nothing, and one read again after its line was unloaded counts again."""
    s = serial_books.add_scan(shipment(), container(PALLET), None, CONTROLS, NOW).shipment
    assert {(PALLET, GYRO, 0), (PALLET, BOLT, 0)} == set(s.container_counts)
    assert s.container_counts == round_trip(s).container_counts
    old = encode(s)
    del old["container_counts"]
    rebuilt = decode(json.loads(json.dumps(old)))
    assert s.container_counts == rebuilt.container_counts
    again = serial_books.add_scan(rebuilt, container(PALLET), None, CONTROLS, NOW).shipment
    assert [4, 100] == [line.quantity for line in again.lines]
    unloaded = sh.remove_line(rebuilt, BOLT, CONTROLS, NOW).shipment
    back = serial_books.add_scan(unloaded, container(PALLET), None, CONTROLS, NOW).shipment
    assert [(GYRO, 4), (BOLT, 100)] == [(line.key, line.quantity) for line in back.lines]


def test_an_old_document_of_a_line_started_again_counts_every_pallet_again() -> None:
    """Written before pallets' counts were kept, a line removed and started again by one
    pallet (the old code counted the second pallet's units nowhere) is rebuilt with no
    records: each pallet read again counts it again, too many rather than too few."""
    other = "340123450000000031"
    two = sh.Manifest.from_mapping({PALLET: [(BOLT, 2, [])], other: [(BOLT, 2, [])]})
    s = shipment(manifest=two)
    for sscc in (PALLET, other):
        s = serial_books.add_scan(s, container(sscc), None, CONTROLS, NOW).shipment
    s = sh.remove_line(s, BOLT, CONTROLS, NOW).shipment
    s = serial_books.add_scan(s, container(PALLET), None, CONTROLS, NOW).shipment
    old = encode(s)
    del old["container_counts"]
    rebuilt = decode(json.loads(json.dumps(old)))
    assert frozenset() == rebuilt.container_counts
    again = serial_books.add_scan(rebuilt, container(other), None, CONTROLS, NOW).shipment
    assert 4 == again.line(BOLT).quantity  # type: ignore[union-attr]


def test_renderer_text_follows_each_field_of_the_head() -> None:
    """The encoder keeps a shipment's head text while its fields are the same objects: a
    change to any one of them (parties, end use, transit, containers, requests, approvals...)
    is in the next text, as is the state and time a scan changes."""
    plain = scan(shipment(), BOLT)
    full = sh.amend(
        plain,
        CONTROLS,
        NOW,
        parties=[Party("end_user", "Desert Research Institute", "AE")],
        end_use="flight research",
        transit=["DE"],
    ).shipment
    full = serial_books.add_scan(full, container(PALLET), None, CONTROLS, NOW).shipment
    full = approve(sh.seal(scan(full, GYRO, "S1"), CONTROLS, NOW).shipment).shipment
    changed = [
        name
        for name in Shipment.__slots__
        if name not in ("lines", "line_index", "facts")
        and getattr(plain, name) != getattr(full, name)
    ]
    assert {"parties", "end_use", "transit", "containers", "requests", "approvals"} <= set(changed)
    for name in changed:
        renderer = ShipmentEncoder()
        assert encode(plain) == json.loads(renderer.text(plain))
        one = evolve(plain, **{name: getattr(full, name)})
        assert encode(one) == json.loads(renderer.text(one)), name
    renderer = ShipmentEncoder()
    later = scan(plain, BOLT)
    renderer.text(plain)
    assert encode(later) == json.loads(renderer.text(later))


def test_renderer_keeps_the_texts_of_its_most_recent_shipments_only() -> None:
    """The encoder keeps the texts of ``kept`` shipments, the most recently encoded, and
    none of a closed one: an evicted shipment is encoded whole again, its text still right."""
    renderer = ShipmentEncoder(kept=2)
    ships = [evolve(scan(shipment(), BOLT), id=f"S-{i}") for i in range(3)]
    for s in ships:
        assert encode(s) == json.loads(renderer.text(s))
    assert 2 == len(renderer)
    again = scan(ships[0], GYRO, "A9")  # S-0 was evicted: encoded whole
    assert encode(again) == json.loads(renderer.text(again))
    assert 2 == len(renderer)
    closed = sh.cancel(ships[2], NOW).shipment
    assert encode(closed) == json.loads(renderer.text(closed))
    assert 1 == len(renderer)
