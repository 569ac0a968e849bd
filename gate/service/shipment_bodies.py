"""A checked ``POST``/``PATCH /shipments`` body turned into the core's values.

The web layer checks a body's shape (``gate.web.bodies``); what the values mean (a known
country, role, identifier scheme or end-use code) is the core's call, and its refusals come
out of here as ``InvalidShipment`` or ``InvalidCountry``: a 400 naming the field, nothing
changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from gate.core.gs1 import valid_serial
from gate.core.manifest import Manifest
from gate.core.parties import Party
from gate.core.party_names import name_problem
from gate.core.shipment_values import Consignee, Shipment
from gate.core.shipments import new_shipment
from gate.errors import InvalidShipment, PolicyError


def ids(raw: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    """A body's ``ids`` object as ``((scheme, value), ...)``."""
    return tuple((raw or {}).items())


def parties(raw: Iterable[Mapping[str, Any]]) -> tuple[Party, ...]:
    """The ``parties`` of a checked body as ``Party`` values. Raises InvalidShipment (an
    unknown role or identifier scheme, a name with nothing to screen) and InvalidCountry."""
    try:
        made = tuple(Party(p["role"], p["name"], p["country"], ids(p.get("ids"))) for p in raw)
    except PolicyError as exc:
        raise InvalidShipment(str(exc), field="parties") from None
    for i, party in enumerate(made):  # after the role and country checks, which say more
        screenable(party.name, party.role, f"parties[{i}].name")
    return made


def screenable(name: str, role: str, field: str) -> None:
    """Raises InvalidShipment (naming the role) for a party name the lists cannot be checked
    against (``gate.core.party_names.name_problem``). Checked on what comes in only: a stored
    shipment with such a name still loads."""
    problem = name_problem(name)
    if problem is not None:
        raise InvalidShipment(
            f"the {role}'s name {name!r} {problem}: give the party's real name, which the gate"
            " screens against the sanctions lists",
            field=field,
        )


def shipment_from_body(body: Mapping[str, Any], sid: str, now: dt.datetime) -> Shipment:
    """The open shipment a checked create body describes. Raises InvalidShipment and
    InvalidCountry."""
    consignee = body["consignee"]
    screenable(consignee["name"], "consignee", "consignee.name")
    manifest = Manifest.from_mapping(
        {
            m["sscc"]: [(c["gtin"], c["quantity"], c.get("serials") or ()) for c in m["contents"]]
            for m in body.get("manifest") or ()
        }
    )
    if len(manifest.containers) != len(body.get("manifest") or ()):
        raise InvalidShipment("the manifest lists an SSCC twice", field="manifest")
    for sscc, items in manifest.containers:
        for item in items:
            wrong = sorted(s for s in item.serials if not valid_serial(s))
            if wrong:
                raise InvalidShipment(
                    f"manifest SSCC {sscc} GTIN {item.gtin}: serial {wrong[0]!r} is not a GS1"
                    " serial number (1 to 20 characters of GS1 AI character set 82)",
                    field="manifest",
                )
    return new_shipment(
        shipment_id=sid,
        door=body["door"],
        destination=body["destination"],
        consignee=Consignee(consignee["name"], consignee["country"], ids(consignee.get("ids"))),
        now=now,
        end_use=body.get("end_use"),
        end_use_codes=body.get("end_use_codes") or (),
        parties=parties(body.get("parties") or ()),
        transit=body.get("transit") or (),
        manifest=manifest,
    )


def amendments(body: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``gate.core.shipments.amend`` a checked ``PATCH`` body asks
    for: only the fields present change. Raises InvalidShipment and InvalidCountry."""
    changes: dict[str, Any] = {}
    if "parties" in body:
        changes["parties"] = parties(body["parties"] or ())
    if "end_use" in body:
        changes["end_use"] = body["end_use"]
    if "end_use_codes" in body:
        changes["end_use_codes"] = body["end_use_codes"] or ()
    if "transit" in body:
        changes["transit"] = body["transit"] or ()
    return changes
