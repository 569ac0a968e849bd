"""The EPCIS documents of a dispatch (gate.core.epcis) and the CBV 2.0 event hash
(gate.core.epcis_hash): valid against GS1's schema, the events the design names, ids that
match GS1's reference implementation and never change for the same dispatch."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.core import shipments as sh
from gate.core.classification import Classification
from gate.core.countries import CountryGroups
from gate.core.epcis import Origin, build_document, check_sgln, split_document
from gate.core.epcis_hash import canonical_uri, event_hash, pre_hash
from gate.core.identifiers import Identifier
from gate.core.licences import StandingLicence
from gate.core.rules import ControlDates, Policy
from tests import serial_books
from tests.epcis.schema import DATA, as_document, errors, oracle_hashes

NOW = dt.datetime(2026, 11, 29, 9, 30, 12, 345678, tzinfo=dt.UTC)
GYRO = "09506000134352"  # category II, 9.A.3; company prefix 9506000 (GS1 UK example)
BOLT = "04012345000016"  # unlisted; company prefix 4012345
PALLET = "340123450000000017"  # SSCC, company prefix 4012345

TABLE = {
    GYRO: Classification(GYRO, "gyro", "9.A.3", 2, "", frozenset()),
    BOLT: Classification(BOLT, "bolt", "", 0, "", frozenset()),
}
POLICY = Policy(
    CountryGroups.from_mapping({"embargoed": ["KP"], "partners": ["DE", "FR"]}),
    embargo_groups=("embargoed",),
    general_licences=(),
    control_max_age_days=90,
)
LICENCE = StandingLicence(
    number="DE-EXP-2026-0042",
    consignee_name="Acme Precision GmbH",
    consignee_country="DE",
    destination="DE",
    controls=frozenset({"9.A.3"}),
    quantity=100,
    remaining=100,
    valid_from=NOW - dt.timedelta(days=1),
    valid_until=NOW + dt.timedelta(days=30),
    consignee_ids=(("lei", "5299000J2N45DDNE4Y28"),),
)
CONTROLS = sh.Controls(POLICY, TABLE.get, ControlDates(NOW - dt.timedelta(days=3)), (LICENCE,))
ORIGIN = Origin(
    gate_id="dock-a",
    site_sgln="urn:epc:id:sgln:4012345.00777.0",
    door_sgln="urn:epc:id:sgln:4012345.00777.D1",
    company_prefixes=("9506000",),
)


PALLET_OF_GYROS_AND_BOLTS: dict[str, Any] = {
    PALLET: [(GYRO, 4, ["P1", "P2", "P3", "P4"]), (BOLT, 100, [])]
}


def opened(shipment_id: str, contents: dict[str, Any]) -> sh.Shipment:
    """A new shipment to Germany at door D1 with the manifest ``contents``."""
    return sh.new_shipment(
        shipment_id=shipment_id,
        door="D1",
        destination="DE",
        consignee=sh.Consignee("Acme Precision GmbH", "DE", (("lei", "5299000J2N45DDNE4Y28"),)),
        now=NOW,
        manifest=sh.Manifest.from_mapping(contents),
    )


def dispatched(*, manifest: bool = True) -> sh.Shipment:
    """S-1 to Germany: two serialised gyros, three loose bolts and, with ``manifest``, a
    pallet of four serialised gyros and 100 bolts; dispatched at NOW."""
    s = opened("S-1", PALLET_OF_GYROS_AND_BOLTS if manifest else {})
    scans = [Identifier("gs1", "x", key=GYRO, serial=x) for x in ("A/1", "B2")]
    scans += [Identifier("gtin", BOLT, key=BOLT)] * 3
    if manifest:
        scans.append(Identifier("sscc", PALLET, sscc=PALLET))
    for code in scans:
        s = serial_books.add_scan(s, code, TABLE.get(code.key or ""), CONTROLS, NOW).shipment
    counted = serial_books.counted(s)
    s = sh.seal(s, CONTROLS, NOW).shipment
    assert sh.State.CLEARED == s.state, s.blocking
    s = sh.dispatch(s, CONTROLS, NOW).shipment
    _COUNTED[id(s)] = (s, counted)
    return s


#: The serials counted on the way to each shipment ``dispatched`` made (seal and dispatch
#: count none), as the service keeps them in their table.
_COUNTED: dict[int, tuple[sh.Shipment, frozenset[tuple[str, int, str]]]] = {}


def serials_of(s: sh.Shipment) -> dict[str, frozenset[str]]:
    """Each line's serials in its epoch, as the service reads them from their table."""
    made, counted = _COUNTED[id(s)]
    assert made is s
    return {
        line.key: frozenset(x for k, e, x in counted if (k, e) == (line.key, line.epoch))
        for line in s.lines
    }


def events(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return list(doc["epcisBody"]["eventList"])


# --- the document -----------------------------------------------------------------------------


def test_dispatch_document_is_valid_and_holds_the_designed_events() -> None:
    s = dispatched()
    doc = build_document(s, serials_of(s), ORIGIN)
    assert [] == errors(doc)
    shipping, pallet = events(doc)
    assert ("ObjectEvent", "OBSERVE", "shipping", "in_transit") == (
        shipping["type"],
        shipping["action"],
        shipping["bizStep"],
        shipping["disposition"],
    )
    # Serialised units as SGTIN pure-identity URIs (a '/' escaped as TDS says), the rest as
    # class-level quantities; the pallet's contents are the shipment's lines too.
    assert [
        "urn:epc:id:sgtin:9506000.013435.A%2F1",
        "urn:epc:id:sgtin:9506000.013435.B2",
        "urn:epc:id:sgtin:9506000.013435.P1",
        "urn:epc:id:sgtin:9506000.013435.P2",
        "urn:epc:id:sgtin:9506000.013435.P3",
        "urn:epc:id:sgtin:9506000.013435.P4",
    ] == shipping["epcList"]
    assert [{"epcClass": "urn:epc:idpat:sgtin:4012345.000001.*", "quantity": 103}] == shipping[
        "quantityList"
    ]
    assert {"id": "urn:epc:id:sgln:4012345.00777.D1"} == shipping["readPoint"]
    assert {"id": "urn:epc:id:sgln:4012345.00777.0"} == shipping["bizLocation"]
    assert [
        {"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:4012345007770:S-1"}
    ] == shipping["bizTransactionList"]
    assert [
        {
            "type": "owning_party",
            "destination": "https://export-gate.invalid/epcis/party/lei/5299000J2N45DDNE4Y28",
        }
    ] == shipping["destinationList"]
    assert "2026-11-29T09:30:12.345Z" == shipping["eventTime"] == doc["creationDate"]
    control = shipping["gate:exportControl"]
    assert ["DE-EXP-2026-0042"] == control["gate:licence"]
    gyro = next(x for x in control["gate:line"] if x["gate:item"].endswith(GYRO))
    assert ("licence_required", "9.A.3", "DE-EXP-2026-0042", 6) == (
        gyro["gate:decision"],
        gyro["gate:control"],
        gyro["gate:licence"],
        gyro["gate:quantity"],
    )
    assert "urn:epc:id:sscc:4012345.3000000001" == pallet["parentID"]
    assert [f"urn:epc:id:sgtin:9506000.013435.P{i}" for i in range(1, 5)] == pallet["childEPCs"]
    assert [{"epcClass": "urn:epc:idpat:sgtin:4012345.000001.*", "quantity": 100}] == pallet[
        "childQuantityList"
    ]
    assert {"https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"} <= set(
        x for x in doc["@context"] if isinstance(x, str)
    )


def test_a_pallet_aggregates_only_what_left_on_it() -> None:
    """The pallet's bolts were unloaded (their line removed) before dispatch: its
    AggregationEvent lists the gyros that left on it, not the bolts; and the document is
    still valid against GS1's schema."""
    s = opened("S-2", PALLET_OF_GYROS_AND_BOLTS)
    s = serial_books.add_scan(
        s, Identifier("sscc", PALLET, sscc=PALLET), None, CONTROLS, NOW
    ).shipment
    s = sh.remove_line(s, BOLT, CONTROLS, NOW).shipment
    s = sh.dispatch(sh.seal(s, CONTROLS, NOW).shipment, CONTROLS, NOW).shipment
    doc = build_document(s, {GYRO: frozenset({"P1", "P2", "P3", "P4"})}, ORIGIN)
    assert [] == errors(doc)
    (aggregation,) = [e for e in events(doc) if e["type"] == "AggregationEvent"]
    assert [f"urn:epc:id:sgtin:9506000.013435.P{n}" for n in range(1, 5)] == aggregation[
        "childEPCs"
    ]
    assert [] == aggregation.get("childQuantityList", [])


def test_unknown_company_prefix_gives_digital_link_uris_not_a_guess() -> None:
    s = dispatched(manifest=False)
    origin = Origin(gate_id="dock-a", site_sgln="urn:epc:id:sgln:4012345.00777.0")
    doc = build_document(s, serials_of(s), origin)
    assert [] == errors(doc)
    (shipping,) = events(doc)
    assert [
        f"https://id.gs1.org/01/{GYRO}/21/A%2F1",
        f"https://id.gs1.org/01/{GYRO}/21/B2",
    ] == shipping["epcList"]
    assert "readPoint" not in shipping


def test_serials_come_from_the_mapping_not_the_line() -> None:
    """The builder takes serials per line key: the lines' own do not count."""
    s = dispatched(manifest=False)
    doc = build_document(s, {GYRO: ["B2"]}, ORIGIN)
    (shipping,) = events(doc)
    assert ["urn:epc:id:sgtin:9506000.013435.B2"] == shipping["epcList"]
    gyro_class = "urn:epc:idpat:sgtin:9506000.013435.*"
    assert {"epcClass": gyro_class, "quantity": 1} in shipping["quantityList"]


def test_same_dispatch_same_document_and_ids() -> None:
    s = dispatched()
    first = build_document(s, serials_of(s), ORIGIN)
    again = build_document(s, {k: reversed(sorted(v)) for k, v in serials_of(s).items()}, ORIGIN)
    assert json.dumps(first) == json.dumps(again)
    ids = [e["eventID"] for e in events(first)]
    assert len(set(ids)) == 2 and all(i.startswith("ni:///sha-256;") for i in ids)
    other = sh.dispatch(
        sh.seal(
            sh.new_shipment(
                shipment_id="S-2",
                door="D1",
                destination="DE",
                consignee=sh.Consignee("Acme Precision GmbH", "DE"),
                now=NOW,
            ),
            CONTROLS,
            NOW,
        ).shipment,
        CONTROLS,
        NOW,
    ).shipment
    assert ids[0] != events(build_document(other, {}, ORIGIN))[0]["eventID"]


def test_only_a_dispatched_shipment_has_a_document() -> None:
    s = sh.new_shipment(
        shipment_id="S-3",
        door="D1",
        destination="DE",
        consignee=sh.Consignee("Acme", "DE"),
        now=NOW,
    )
    with pytest.raises(ValueError, match="not dispatched"):
        build_document(s, {}, ORIGIN)


def test_split_keeps_every_event_once_in_order() -> None:
    s = dispatched()
    doc = build_document(s, serials_of(s), ORIGIN)
    parts = split_document(doc, 1)
    assert 2 == len(parts)
    assert events(doc) == [e for p in parts for e in events(p)]
    assert all([] == errors(p) for p in parts)


@pytest.mark.parametrize(
    "bad",
    [
        "urn:epc:id:sgln:4012345.0077.0",  # 11 digits
        "urn:epc:id:sgln:4012345.00777",  # no extension
        "urn:epc:id:sgtin:4012345.00777.0",
        "4012345007770",
        "urn:epc:id:sgln:4012345.00777.a b",
    ],
)
def test_a_bad_sgln_is_refused_with_a_reason(bad: str) -> None:
    with pytest.raises(ValueError, match=r"SGLN|extension|12 digits"):
        check_sgln(bad)


# --- the schema is really checked -------------------------------------------------------------


def test_the_schema_refuses_what_it_should() -> None:
    """Format checks are on: a readPoint that is not a URI, a time that is not RFC 3339."""
    s = dispatched(manifest=False)
    doc = build_document(s, serials_of(s), ORIGIN)
    broken = copy.deepcopy(doc)
    events(broken)[0]["readPoint"]["id"] = "door one"
    assert errors(broken)
    broken = copy.deepcopy(doc)
    events(broken)[0]["eventTime"] = "yesterday"
    assert errors(broken)
    broken = copy.deepcopy(doc)
    del events(broken)[0]["action"]
    assert errors(broken)


# --- the event hash ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["example-ObjectEvent.json", "example-AggregationEvent.json"])
def test_gs1_examples_validate_and_hash_as_the_reference_does(name: str) -> None:
    event = json.loads((DATA / name).read_text("utf-8"))
    assert [] == errors(event)
    assert [] == errors(as_document(event))
    assert oracle_hashes(as_document(event)) == [event_hash(event)]


def test_gs1_examples_hash_to_known_values() -> None:
    """Pinned, so a change of canonicalisation shows even without the reference package.

    GS1's example files carry ``eventID`` values that are not the CBV 2.0 hash of their
    content (the reference package disagrees with them as well): the computed ids are pinned.
    """
    ids = {
        "example-ObjectEvent.json": "df6523665bc5e5803d6c7b84f5a04e10"
        "3694d8220f2abc4f2c74310e89f31bc6",
        "example-AggregationEvent.json": "067a7233e5951fe90dcd12dca2c6a621"
        "89adebd8981ae3a6bb372ff741ca9af5",
    }
    for name, digest in ids.items():
        event = json.loads((DATA / name).read_text("utf-8"))
        assert f"ni:///sha-256;{digest}?ver=CBV2.0" == event_hash(event)


def test_gs1_example_pre_hash_follows_the_rules() -> None:
    event = json.loads((DATA / "example-AggregationEvent.json").read_text("utf-8"))
    assert pre_hash(event) == (
        "eventType=AggregationEvent"
        "eventTime=2013-06-08T14:58:56.591ZeventTimeZoneOffset=+02:00"
        "parentID=https://id.gs1.org/00/106141412345678908"
        "childEPCsepc=https://id.gs1.org/01/10614141073464/21/2017"
        "epc=https://id.gs1.org/01/10614141073464/21/2018"
        "childQuantityList"
        "quantityElementepcClass=https://id.gs1.org/01/04012345123456/10/998877"
        "quantity=200.5uom=KGM"
        "quantityElementepcClass=https://id.gs1.org/01/04012345987652quantity=10"
        "action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-receiving"
        "disposition=https://ref.gs1.org/cbv/Disp-in_progress"
        "readPointid=https://id.gs1.org/414/0614141007776"
        "bizLocationid=https://id.gs1.org/414/0614141008889"
        "{https://example.org/epcis}myField=Example of a vendor/user extension"
    )


def test_cbv_reference_event_hashes_as_the_reference_does() -> None:
    """The worked example of CBV 2.0's event hash section (SSCCs, old bizStep URN, a time
    with an offset, nested user extensions), through ours and the reference package."""
    event = {
        "@context": [
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            {"example": "https://ns.example.com/epcis/"},
        ],
        "type": "ObjectEvent",
        "eventTime": "2020-03-04T11:00:30.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "recordTime": "2020-03-04T11:00:30.999+01:00",
        "epcList": [
            "urn:epc:id:sscc:4012345.0000000333",
            "urn:epc:id:sscc:4012345.0000000111",
            "urn:epc:id:sscc:4012345.0000000222",
        ],
        "action": "OBSERVE",
        "bizStep": "urn:epcglobal:cbv:bizstep:departing",
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00011.987"},
        "example:myField1": {"example:mySubField1": "2", "example:mySubField2": "5"},
        "example:myField2": "0",
        "example:myField3": {"example:mySubField3": ["3", "1"]},
    }
    assert pre_hash(event).startswith(
        "eventType=ObjectEventeventTime=2020-03-04T10:00:30.000Z"
        "eventTimeZoneOffset=+01:00epcListepc=https://id.gs1.org/00/040123450000001112"
    )
    assert oracle_hashes(as_document(event)) == [event_hash(event)]


def test_our_events_hash_as_the_reference_does() -> None:
    """Every event we build, extension and all, gets the reference package's id."""
    s = dispatched()
    doc = build_document(s, serials_of(s), ORIGIN)
    assert oracle_hashes(doc) == [e["eventID"] for e in events(doc)]
    s = dispatched(manifest=False)
    doc = build_document(s, serials_of(s), Origin("g", "urn:epc:id:sgln:4012345.00777.0"))
    assert oracle_hashes(doc) == [e["eventID"] for e in events(doc)]


def test_hash_ignores_order_and_recording_but_not_content() -> None:
    s = dispatched(manifest=False)
    (event,) = events(build_document(s, serials_of(s), ORIGIN))
    prefixes = {"gate": ORIGIN.namespace}
    shuffled = dict(reversed(list(event.items())))
    shuffled["epcList"] = list(reversed(event["epcList"]))
    shuffled["recordTime"] = "2030-01-01T00:00:00Z"
    assert event_hash(event, prefixes) == event_hash(shuffled, prefixes)
    moved = {**event, "eventTime": "2026-11-29T10:30:12.345+01:00"}
    assert event_hash(event, prefixes) == event_hash(moved, prefixes)  # the same instant
    later = {**event, "eventTime": "2026-11-29T09:30:12.346Z"}
    assert event_hash(event, prefixes) != event_hash(later, prefixes)


@pytest.mark.parametrize(
    ("uri", "canonical"),
    [
        ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
        ("urn:epc:idpat:sgtin:4012345.098765.*", "https://id.gs1.org/01/04012345987652"),
        ("urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908"),
        ("urn:epc:id:sgln:0614141.00777.0", "https://id.gs1.org/414/0614141007776"),
        ("urn:epc:id:sgln:0614141.07346.1234", "https://id.gs1.org/414/0614141073467/254/1234"),
        ("urn:epcglobal:cbv:disp:in_transit", "https://ref.gs1.org/cbv/Disp-in_transit"),
        ("http://transaction.acme.com/po/1", "http://transaction.acme.com/po/1"),
    ],
)
def test_canonical_uris(uri: str, canonical: str) -> None:
    assert canonical == canonical_uri(uri)


def test_fields_it_cannot_hash_are_refused_not_guessed() -> None:
    event = {"type": "ObjectEvent", "eventTime": "2020-01-01T00:00:00Z", "sensorElementList": []}
    with pytest.raises(ValueError, match="sensorElementList"):
        event_hash(event)
    with pytest.raises(ValueError, match="namespace"):
        event_hash({"type": "ObjectEvent", "undeclared:field": "1"})


#: GS1 AI encodable character set 82: what a serial may hold.
SET_82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


@settings(max_examples=25, deadline=None)
@given(
    serials=st.lists(st.text(SET_82, min_size=1, max_size=20), min_size=1, max_size=4),
    known=st.booleans(),
)
def test_any_serial_hashes_as_the_reference_does(serials: list[str], known: bool) -> None:
    """Serials with every character URIs escape, as EPC or Digital Link URIs."""
    s = dispatched(manifest=False)
    origin = ORIGIN if known else Origin("g", "urn:epc:id:sgln:4012345.00777.0")
    doc = build_document(s, {GYRO: serials[:2]}, origin)
    assert [] == errors(doc)
    assert oracle_hashes(doc) == [e["eventID"] for e in events(doc)]
