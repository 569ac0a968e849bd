"""GS1 EPCIS 2.0 events of a dispatch: what a company's traceability system is told when a
shipment leaves a door (DESIGN.md 4, "Events out").

At dispatch the gate says, in the standard's words, *these units left this door, in this
shipment*: one ``ObjectEvent`` (action ``OBSERVE``, bizStep ``shipping``, disposition
``in_transit``) for the shipment, and one ``AggregationEvent`` for each scanned SSCC of the
manifest, naming what the logistics unit holds. ``build_document`` returns them as one
``EPCISDocument`` (JSON-LD), ready for the capture interface.

The mapping, field by field (docs/epcis.md says the same for integrators):

- ``epcList``: each serialised unit as an EPC pure-identity URI
  (``urn:epc:id:sgtin:<company prefix>.<indicator + item reference>.<serial>``);
  ``quantityList``: the units without a serial, per item, as the class
  ``urn:epc:idpat:sgtin:<company prefix>.<indicator + item reference>.*``. The split of a
  GTIN into company prefix and item reference is not in the GTIN: it comes from the known
  company prefixes (``Origin.company_prefixes``, the site's own among them). An item whose
  prefix is not known is written as its GS1 Digital Link URI instead
  (``https://id.gs1.org/01/<GTIN>/21/<serial>``, class ``https://id.gs1.org/01/<GTIN>``),
  which EPCIS 2.0 accepts for the same identifiers; nothing is guessed.
- ``readPoint``: the door's SGLN (left out for a door without one); ``bizLocation``: the
  site's SGLN.
- ``bizTransactionList``: the shipment id, as CBV's private transaction identifier
  ``urn:epcglobal:cbv:bt:<site GLN>:<shipment id>`` of type ``desadv`` (the despatch
  advice the shipment is, to its consignee).
- ``destinationList``: the consignee as ``owning_party``, named by its first identifier
  (``lei``, ``eori``, ``vat``, ``duns``) or else by country and name, under our namespace.
- ``gate:exportControl`` (our extension namespace): gate id, destination country, every
  licence number used, and each line's decision, reasons, control entry and licence.
- ``eventID``: the CBV 2.0 event hash (``gate.core.epcis_hash``), so the same dispatch
  always gives the same ids and a repository can drop a document delivered twice.

Invariant: pure. A value in, a document out, the same one every time for the same input
(event times are the dispatch time, lists are sorted), with no I/O and no clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from gate.core.epc import check_sgtin_uri_body
from gate.core.epcis_hash import event_hash
from gate.core.gs1 import check_digit
from gate.core.shipment_values import Line, Shipment, State
from gate.errors import InvalidCode

__all__ = [
    "CONTEXT",
    "DEFAULT_NAMESPACE",
    "Origin",
    "build_document",
    "check_sgln",
    "split_document",
]

#: The EPCIS 2.0 JSON-LD context GS1 publishes.
CONTEXT: Final = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
#: Our extension namespace when the config names none: a reserved domain (RFC 2606), to be
#: replaced by an IRI of the company's own (``[epcis] namespace``).
DEFAULT_NAMESPACE: Final = "https://export-gate.invalid/epcis/"
PREFIX: Final = "gate"
DL: Final = "https://id.gs1.org"
#: The identifier schemes a consignee is named by in ``destinationList``, in preference order.
PARTY_SCHEMES: Final = ("lei", "eori", "vat", "duns")

_SGLN: Final = re.compile(r"urn:epc:id:sgln:(?P<cp>[0-9]{6,12})\.(?P<ref>[0-9]{0,6})\.(?P<ext>.+)")
#: An SGLN extension: 1-20 characters of GS1 AI set 82, URI-escaped (TDS 2.x section 6.3.4).
_EXTENSION: Final = re.compile(r"(?:[A-Za-z0-9!'()*+,\-.:;=_]|%(?:2[2567F]|3[CEF])){1,20}")
#: Characters an EPC URI serial escapes (TDS 2.x section 6.3).
_URI_ESCAPES: Final = str.maketrans({c: f"%{ord(c):02X}" for c in '%"&/<>?'})


@dataclass(frozen=True, slots=True)
class Origin:
    """Where and by whom a shipment left: the gate, the site and door (SGLN pure-identity
    URIs), the GS1 company prefixes whose GTINs and SSCCs are written as EPC URIs, and our
    extension namespace."""

    gate_id: str
    site_sgln: str
    door_sgln: str | None = None
    company_prefixes: tuple[str, ...] = ()
    namespace: str = DEFAULT_NAMESPACE

    def __post_init__(self) -> None:
        check_sgln(self.site_sgln)
        if self.door_sgln is not None:
            check_sgln(self.door_sgln)
        own = _SGLN.fullmatch(self.site_sgln)
        assert own is not None  # checked above
        prefixes = {*self.company_prefixes, own["cp"]}
        for prefix in prefixes:
            if not (prefix.isascii() and prefix.isdigit() and 6 <= len(prefix) <= 12):
                raise ValueError(f"company prefix {prefix!r} must be 6 to 12 digits")
        # Longest first: of two prefixes that both fit a GTIN, the longer one is its own.
        ordered = tuple(sorted(prefixes, key=lambda p: (-len(p), p)))
        object.__setattr__(self, "company_prefixes", ordered)

    @property
    def site_gln(self) -> str:
        m = _SGLN.fullmatch(self.site_sgln)
        assert m is not None
        body = m["cp"] + m["ref"]
        return body + str(check_digit(body))

    def prefix_of(self, digits: str) -> str | None:
        """The known company prefix ``digits`` (a key without its first digit) starts with."""
        return next((p for p in self.company_prefixes if digits.startswith(p)), None)


def check_sgln(value: str) -> str:
    """``value`` if it is an SGLN pure-identity URI (``urn:epc:id:sgln:0614141.00777.0``):
    company prefix and location reference of 12 digits together, an extension. Raises
    ``ValueError`` saying what is wrong."""
    m = _SGLN.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        raise ValueError(
            f"{value!r} is not an SGLN URI such as urn:epc:id:sgln:0614141.00777.0"
            " (company prefix.location reference.extension)"
        )
    if len(m["cp"]) + len(m["ref"]) != 12:
        raise ValueError(
            f"{value!r}: company prefix and location reference must total 12 digits"
            f" (they are {len(m['cp'])} + {len(m['ref'])})"
        )
    if _EXTENSION.fullmatch(m["ext"]) is None:
        raise ValueError(f"{value!r}: the extension must be 1-20 characters of GS1 set 82")
    return value


def build_document(
    shipment: Shipment, serials: Mapping[str, Iterable[str]], origin: Origin
) -> dict[str, Any]:
    """The EPCIS document of a dispatched shipment: its ObjectEvent, then one
    AggregationEvent per scanned SSCC of the manifest (in SSCC order).

    ``serials`` maps a line's key to the serials of its units. Raises ``ValueError`` for a
    shipment that is not dispatched."""
    if shipment.state is not State.DISPATCHED or shipment.closed_at is None:
        raise ValueError(f"shipment {shipment.id} is not dispatched")
    at = _time(shipment.closed_at)
    lines = [x for x in shipment.lines if not x.removed and not x.container and x.quantity > 0]
    common = _common(shipment, origin, at)
    events = [_object_event(shipment, lines, serials, origin, common)]
    active = {x.key: x for x in shipment.lines if not x.removed}
    for sscc in sorted(shipment.containers):
        contents = shipment.manifest.contents(sscc)
        if contents is None:
            continue
        # What left on it: the contents whose line is still loaded and which this pallet's
        # read counted into that line's current start (not goods unloaded since).
        kept = tuple(
            item
            for item in contents
            if (line := active.get(item.gtin)) is not None
            and (sscc, item.gtin, line.epoch) in shipment.container_counts
        )
        if kept:
            events.append(_aggregation_event(sscc, kept, origin, common))
    prefixes = {PREFIX: origin.namespace}
    for event in events:
        event["eventID"] = event_hash(event, prefixes)
    return document(events, origin.namespace, at)


def document(events: Sequence[dict[str, Any]], namespace: str, created: str) -> dict[str, Any]:
    """An EPCISDocument holding ``events``, created at ``created`` (RFC 3339)."""
    return {
        "@context": [CONTEXT, {PREFIX: namespace}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisBody": {"eventList": list(events)},
    }


def split_document(doc: Mapping[str, Any], most: int) -> list[dict[str, Any]]:
    """``doc`` as documents of at most ``most`` events each (in order), each with the same
    context and creation date. Raises ``ValueError`` for ``most`` below 1."""
    if most < 1:
        raise ValueError("a document holds at least one event")
    events = list(doc["epcisBody"]["eventList"])
    parts = []
    for start in range(0, len(events), most):
        part = {k: v for k, v in doc.items() if k != "epcisBody"}
        part["epcisBody"] = {"eventList": events[start : start + most]}
        parts.append(part)
    return parts


def _time(moment: dt.datetime) -> str:
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _common(shipment: Shipment, origin: Origin, at: str) -> dict[str, Any]:
    """What every event of the dispatch says: when, where, which shipment."""
    common: dict[str, Any] = {
        "eventTime": at,
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
    }
    if origin.door_sgln is not None:
        common["readPoint"] = {"id": origin.door_sgln}
    common["bizLocation"] = {"id": origin.site_sgln}
    bt = f"urn:epcglobal:cbv:bt:{origin.site_gln}:{quote(shipment.id, safe='')}"
    common["bizTransactionList"] = [{"type": "desadv", "bizTransaction": bt}]
    return common


def _object_event(
    shipment: Shipment,
    lines: Sequence[Line],
    serials: Mapping[str, Iterable[str]],
    origin: Origin,
    common: Mapping[str, Any],
) -> dict[str, Any]:
    epcs: list[str] = []
    quantities: list[dict[str, Any]] = []
    for line in lines:
        known = sorted(set(serials.get(line.key, ())))
        epcs.extend(_unit(line.key, s, origin) for s in known)
        rest = line.quantity - len(known)
        if rest > 0:
            quantities.append({"epcClass": _item_class(line.key, origin), "quantity": rest})
    event: dict[str, Any] = {"type": "ObjectEvent", **common, "epcList": sorted(epcs)}
    if quantities:
        event["quantityList"] = sorted(quantities, key=lambda q: str(q["epcClass"]))
    event["destinationList"] = [
        {"type": "owning_party", "destination": _consignee(shipment, origin.namespace)}
    ]
    event[f"{PREFIX}:exportControl"] = _control(shipment, lines, origin)
    return _ordered(event)


def _aggregation_event(
    sscc: str, contents: Iterable[Any], origin: Origin, common: Mapping[str, Any]
) -> dict[str, Any]:
    children: list[str] = []
    quantities: list[dict[str, Any]] = []
    for item in contents:
        children.extend(_unit(item.gtin, s, origin) for s in sorted(item.serials))
        rest = item.quantity - len(item.serials)
        if rest > 0:
            quantities.append({"epcClass": _item_class(item.gtin, origin), "quantity": rest})
    event: dict[str, Any] = {
        "type": "AggregationEvent",
        **common,
        "parentID": _sscc(sscc, origin),
        "childEPCs": sorted(children),
    }
    if quantities:
        event["childQuantityList"] = sorted(quantities, key=lambda q: str(q["epcClass"]))
    return _ordered(event)


#: The order fields are written in (the hash does not depend on it; people reading do).
_ORDER: Final = (
    "type",
    "eventID",
    "eventTime",
    "eventTimeZoneOffset",
    "parentID",
    "epcList",
    "childEPCs",
    "quantityList",
    "childQuantityList",
    "action",
    "bizStep",
    "disposition",
    "readPoint",
    "bizLocation",
    "bizTransactionList",
    "destinationList",
)


def _ordered(event: dict[str, Any]) -> dict[str, Any]:
    rank = {name: i for i, name in enumerate(_ORDER)}
    return dict(sorted(event.items(), key=lambda kv: rank.get(kv[0], len(rank))))


def _control(shipment: Shipment, lines: Sequence[Line], origin: Origin) -> dict[str, Any]:
    """Our extension: the export-control record of the dispatch."""
    ns = PREFIX
    licences = sorted({x.covered_by.licence for x in lines if x.covered_by is not None})
    general = sorted({x.verdict.general_licence for x in lines if x.verdict.general_licence})
    record: dict[str, Any] = {
        f"{ns}:gateID": origin.gate_id,
        f"{ns}:shipmentID": shipment.id,
        f"{ns}:destinationCountry": shipment.destination,
    }
    if licences:
        record[f"{ns}:licence"] = licences
    if general:
        record[f"{ns}:generalLicence"] = general
    record[f"{ns}:line"] = [_line_record(x) for x in sorted(lines, key=lambda x: x.key)]
    return record


def _line_record(line: Line) -> dict[str, Any]:
    ns = PREFIX
    record: dict[str, Any] = {
        f"{ns}:item": f"{DL}/01/{line.key}",
        f"{ns}:quantity": line.quantity,
        f"{ns}:decision": line.decision.value,
        f"{ns}:reason": list(line.reasons),
    }
    if line.control:
        record[f"{ns}:control"] = line.control
    if line.category is not None:
        record[f"{ns}:category"] = line.category
    if line.covered_by is not None:
        record[f"{ns}:licence"] = line.covered_by.licence
        record[f"{ns}:cover"] = line.covered_by.kind.value
    if line.verdict.general_licence:
        record[f"{ns}:generalLicence"] = line.verdict.general_licence
    return record


def _consignee(shipment: Shipment, namespace: str) -> str:
    ids = dict(shipment.consignee.ids)
    for scheme in PARTY_SCHEMES:
        if scheme in ids:
            return f"{namespace}party/{scheme}/{quote(ids[scheme], safe='')}"
    name = quote(shipment.consignee.key, safe="")
    return f"{namespace}party/{shipment.consignee.country}/{name}"


def _unit(gtin: str, serial: str, origin: Origin) -> str:
    """A serialised unit: its SGTIN pure-identity URI, or its Digital Link URI when the
    GTIN's company prefix is not known (or the serial cannot be written as an EPC)."""
    prefix = origin.prefix_of(gtin[1:13])
    if prefix is not None:
        escaped = serial.translate(_URI_ESCAPES)
        body = f"{prefix}.{gtin[0]}{gtin[1 + len(prefix) : 13]}.{escaped}"
        try:
            check_sgtin_uri_body(body, "sgtin")
        except InvalidCode:
            pass
        else:
            return f"urn:epc:id:sgtin:{body}"
    return f"{DL}/01/{gtin}/21/{quote(serial, safe='')}"


def _item_class(gtin: str, origin: Origin) -> str:
    prefix = origin.prefix_of(gtin[1:13])
    if prefix is None:
        return f"{DL}/01/{gtin}"
    return f"urn:epc:idpat:sgtin:{prefix}.{gtin[0]}{gtin[1 + len(prefix) : 13]}.*"


def _sscc(sscc: str, origin: Origin) -> str:
    prefix = origin.prefix_of(sscc[1:17])
    if prefix is None:
        return f"{DL}/00/{sscc}"
    return f"urn:epc:id:sscc:{prefix}.{sscc[0]}{sscc[1 + len(prefix) : 17]}"
