"""The CBV 2.0 event hash: an EPCIS event's ``eventID`` worked out from its content.

GS1's Core Business Vocabulary 2.0 (section 8.9, "Event hash ID") names an event by the
SHA-256 of a *pre-hash string*, written ``ni:///sha-256;<hex>?ver=CBV2.0``, so that two
systems that capture the same event give it the same id without asking each other. The
pre-hash string is the event's fields in one fixed order, each written ``name=value`` and
concatenated without separators, after every value is brought to one canonical form:

- ``eventType`` first, then the standard fields in the order of ``FIELD_ORDER``;
  ``eventID``, ``recordTime``, ``errorDeclaration``, ``@context`` and ``type`` are left out;
- a list (``epcList``, ``quantityList``, ``bizTransactionList``, ...) is its name followed by
  its elements, each written in full and the elements sorted; an empty list is left out;
- EPC URIs become canonical GS1 Digital Link URIs (``urn:epc:id:sgtin:0614141.107346.2017``
  is ``https://id.gs1.org/01/10614141073464/21/2017``; an SGLN whose extension is ``0`` has
  no ``/254/``); bare CBV words and their old URNs become the CBV web vocabulary
  (``shipping`` is ``https://ref.gs1.org/cbv/BizStep-shipping``);
- times are UTC with milliseconds and ``Z``; numbers are written without a trailing ``.0``;
- user extensions (``prefix:name`` with the prefix in the event's ``@context``) come last,
  written ``{namespace}name=value`` (an object: its name, then its members; a list: one
  element per item), sorted at each level.

Invariant: this module is pure (a dict in, a string out) and raises ``ValueError`` for a
field it does not canonicalise (sensor data, certification info) rather than hash it in some
other form: a wrong id would silently break de-duplication at the repository. The tests hold
it to GS1's published examples and to the ``epcis-event-hash-generator`` reference package.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

from gate.core.gs1 import check_digit

__all__ = ["FIELD_ORDER", "canonical_uri", "event_hash", "pre_hash"]

DL_BASE: Final = "https://id.gs1.org"
CBV_BASE: Final = "https://ref.gs1.org/cbv/"

#: The standard fields after ``eventType``, in CBV 2.0's order, with how each is written:
#: ``value`` a single value, ``list`` a list of URIs named by the second item, ``quantity``
#: a quantity list, ``location`` an object with ``id``, ``typed`` a list of typed URIs (the
#: second item names the URI's key), ``unsupported`` one this module refuses.
FIELD_ORDER: Final[tuple[tuple[str, str, str], ...]] = (
    ("eventTime", "time", ""),
    ("eventTimeZoneOffset", "value", ""),
    ("certificationInfo", "unsupported", ""),
    ("parentID", "value", ""),
    ("epcList", "list", "epc"),
    ("inputEPCList", "list", "epc"),
    ("childEPCs", "list", "epc"),
    ("quantityList", "quantity", ""),
    ("childQuantityList", "quantity", ""),
    ("inputQuantityList", "quantity", ""),
    ("outputEPCList", "list", "epc"),
    ("outputQuantityList", "quantity", ""),
    ("action", "value", ""),
    ("transformationID", "value", ""),
    ("bizStep", "vocabulary", "BizStep-"),
    ("disposition", "vocabulary", "Disp-"),
    ("persistentDisposition", "unsupported", ""),
    ("readPoint", "location", ""),
    ("bizLocation", "location", ""),
    ("bizTransactionList", "typed", "bizTransaction"),
    ("sourceList", "typed", "source"),
    ("destinationList", "typed", "destination"),
    ("sensorElementList", "unsupported", ""),
)
#: Left out of the pre-hash string altogether.
IGNORED: Final = frozenset({"@context", "type", "eventID", "recordTime", "errorDeclaration"})
#: The CBV vocabulary of each typed list's ``type``.
_TYPE_VOCABULARY: Final = {"bizTransaction": "BTT-", "source": "SDT-", "destination": "SDT-"}
#: Old CBV 1.x URN prefixes and the web vocabulary that replaces them.
_OLD_URNS: Final = (
    ("urn:epcglobal:cbv:bizstep:", "BizStep-"),
    ("urn:epcglobal:cbv:disp:", "Disp-"),
    ("urn:epcglobal:cbv:btt:", "BTT-"),
    ("urn:epcglobal:cbv:sdt:", "SDT-"),
    ("urn:epcglobal:cbv:er:", "ER-"),
)
_BARE_WORD: Final = re.compile(r"[a-z][a-z_]*")
#: A decimal number written as text, which the reference canonicalises like a number.
_DECIMAL: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

# EPC URI bodies (TDS 2.x): company prefix and reference total 13 (GTIN, GLN) or 17 (SSCC).
_URN: Final = re.compile(r"urn:epc:(?P<kind>id|idpat|class):(?P<scheme>[a-z]+):(?P<body>.+)")
_SGTIN: Final = re.compile(r"(?P<cp>[0-9]{6,12})\.(?P<ref>[0-9]{1,7})\.(?P<serial>.+)")
_SSCC: Final = re.compile(r"(?P<cp>[0-9]{6,12})\.(?P<ref>[0-9]{5,11})")
_SGLN: Final = re.compile(r"(?P<cp>[0-9]{6,12})\.(?P<ref>[0-9]{0,6})\.(?P<ext>.+)")
_PGLN: Final = re.compile(r"(?P<cp>[0-9]{6,12})\.(?P<ref>[0-9]{0,6})")


def event_hash(event: Mapping[str, Any], context: Mapping[str, str] | None = None) -> str:
    """The event's CBV 2.0 hash id, ``ni:///sha-256;<hex>?ver=CBV2.0``.

    ``context`` maps the prefixes of user extensions to their namespaces; by default the
    ones in the event's own ``@context``. Raises ``ValueError`` for what it cannot hash.
    """
    digest = hashlib.sha256(pre_hash(event, context).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


def pre_hash(event: Mapping[str, Any], context: Mapping[str, str] | None = None) -> str:
    """The canonical pre-hash string of ``event`` (see the module's rules)."""
    if context is None:
        context = context_prefixes(event.get("@context"))
    kind = event.get("type")
    if not isinstance(kind, str) or not kind:
        raise ValueError("an EPCIS event needs its type")
    parts = [f"eventType={kind}"]
    known = {name for name, _, _ in FIELD_ORDER}
    for name, how, arg in FIELD_ORDER:
        if name in event and event[name] is not None:
            parts.append(_field(name, how, arg, event[name]))
    extensions = []
    for key, value in event.items():
        if key in known or key in IGNORED:
            continue
        extensions.append(_extension(key, value, context))
    return "".join(parts) + "".join(sorted(extensions))


def context_prefixes(context: Any) -> dict[str, str]:
    """The prefix -> namespace pairs declared in a JSON-LD ``@context`` (a string, an
    object or a list of both); remote contexts (strings) declare none here."""
    items = context if isinstance(context, list) else [context]
    found: dict[str, str] = {}
    for item in items:
        if isinstance(item, Mapping):
            found.update({k: v for k, v in item.items() if isinstance(v, str)})
    return found


def canonical_uri(value: str) -> str:
    """A value as the pre-hash string writes it: EPC URIs as canonical GS1 Digital Link
    URIs, old CBV URNs as the web vocabulary, decimal numbers without a trailing ``.0``;
    anything else unchanged."""
    for old, new in _OLD_URNS:
        if value.startswith(old):
            return CBV_BASE + new + value[len(old) :]
    match = _URN.fullmatch(value)
    if match is not None:
        converted = _epc_to_dl(match["kind"], match["scheme"], match["body"])
        if converted is not None:
            return converted
    if _DECIMAL.fullmatch(value):
        return _number(float(value))
    return value


def _field(name: str, how: str, arg: str, value: Any) -> str:
    if how == "unsupported":
        raise ValueError(f"the event hash of an event with {name} is not implemented")
    if how == "time":
        return f"{name}={canonical_time(_text(name, value))}"
    if how == "value":
        return f"{name}={canonical_uri(_text(name, value))}"
    if how == "vocabulary":
        return f"{name}={_vocabulary(_text(name, value), arg)}"
    if how == "location":
        if not isinstance(value, Mapping) or set(value) != {"id"}:
            raise ValueError(f"{name} must be an object with only an id")
        return f"{name}id={canonical_uri(_text(name, value['id']))}"
    items = _items(name, value)
    if not items:
        return ""
    if how == "list":
        elements = [f"{arg}={canonical_uri(_text(name, x))}" for x in items]
    elif how == "quantity":
        elements = [_quantity(name, x) for x in items]
    else:
        elements = [_typed(name, arg, x) for x in items]
    return name + "".join(sorted(elements))


def _quantity(name: str, element: Any) -> str:
    if not isinstance(element, Mapping) or not set(element) <= {"epcClass", "quantity", "uom"}:
        raise ValueError(f"{name}: an element has fields other than epcClass, quantity, uom")
    text = f"quantityElementepcClass={canonical_uri(_text(name, element.get('epcClass')))}"
    if "quantity" in element:
        quantity = element["quantity"]
        if isinstance(quantity, bool) or not isinstance(quantity, int | float):
            raise ValueError(f"{name}: quantity must be a number")
        text += f"quantity={_number(quantity)}"
    if "uom" in element:
        text += f"uom={_text(name, element['uom'])}"
    return text


def _typed(name: str, key: str, element: Any) -> str:
    if not isinstance(element, Mapping) or not set(element) <= {"type", key}:
        raise ValueError(f"{name}: an element has fields other than type and {key}")
    text = ""
    if "type" in element:
        text = f"type={_vocabulary(_text(name, element['type']), _TYPE_VOCABULARY[key])}"
    return f"{text}{key}={canonical_uri(_text(name, element.get(key)))}"


def _extension(key: str, value: Any, context: Mapping[str, str]) -> str:
    """A user extension: ``{namespace}name``, ``=value`` for a simple value, then the
    members of an object; a list repeats the element, one per item (sorted)."""
    prefix, sep, local = key.partition(":")
    if not sep or prefix not in context or not local:
        raise ValueError(f"extension {key!r} has no namespace prefix declared in @context")
    name = f"{{{context[prefix]}}}{local}"
    if isinstance(value, list):
        return "".join(sorted(_element(name, item, context) for item in value))
    return _element(name, value, context)


def _element(name: str, value: Any, context: Mapping[str, str]) -> str:
    if isinstance(value, Mapping):
        members = [_extension(k, v, context) for k, v in value.items()]
        return name + "".join(sorted(members))
    if isinstance(value, bool):
        return f"{name}={'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"{name}={_number(value)}"
    if isinstance(value, str):
        text = value.strip()
        return f"{name}={canonical_uri(text)}" if text else name
    raise ValueError(f"extension {name}: a value of type {type(value).__name__}")


def canonical_time(text: str) -> str:
    """An RFC 3339 time in UTC to the millisecond: ``2005-04-04T02:33:31.116Z``."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone offset")
    moment = moment.astimezone(dt.UTC)
    # To the nearest millisecond (as the reference rounds the microseconds).
    moment = moment.replace(microsecond=0) + dt.timedelta(
        microseconds=round(moment.microsecond, -3)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _vocabulary(value: str, kind: str) -> str:
    if _BARE_WORD.fullmatch(value):
        return CBV_BASE + kind + value
    return canonical_uri(value)


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name}: expected a non-empty text")
    return value


def _items(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list")
    return value


#: What a Digital Link path segment escapes beyond an EPC URI's own escapes.
_DL_ESCAPES: Final = str.maketrans({c: f"%{ord(c):02X}" for c in "!()*+,:"})


def _dl_escape(segment: str) -> str:
    """An EPC URI's (already escaped) serial as a Digital Link path segment."""
    return segment.translate(_DL_ESCAPES)


@lru_cache(maxsize=4096)
def _with_check(digits: str) -> str:
    return digits + str(check_digit(digits))


def _epc_to_dl(kind: str, scheme: str, body: str) -> str | None:
    """The canonical Digital Link URI of an EPC URI, or None for one not converted."""
    if scheme == "sgtin" and kind in ("id", "idpat"):
        m = _SGTIN.fullmatch(body)
        if m is None or len(m["cp"]) + len(m["ref"]) != 13:
            return None
        gtin = _with_check(m["ref"][0] + m["cp"] + m["ref"][1:])
        if kind == "idpat":
            return f"{DL_BASE}/01/{gtin}" if m["serial"] == "*" else None
        return f"{DL_BASE}/01/{gtin}/21/{_dl_escape(m['serial'])}"
    if scheme == "lgtin" and kind == "class":
        m = _SGTIN.fullmatch(body)
        if m is None or len(m["cp"]) + len(m["ref"]) != 13:
            return None
        gtin = _with_check(m["ref"][0] + m["cp"] + m["ref"][1:])
        return f"{DL_BASE}/01/{gtin}/10/{_dl_escape(m['serial'])}"
    if scheme == "sscc" and kind == "id":
        m = _SSCC.fullmatch(body)
        if m is None or len(m["cp"]) + len(m["ref"]) != 17:
            return None
        return f"{DL_BASE}/00/{_with_check(m['ref'][0] + m['cp'] + m['ref'][1:])}"
    if scheme == "sgln" and kind == "id":
        m = _SGLN.fullmatch(body)
        if m is None or len(m["cp"]) + len(m["ref"]) != 12:
            return None
        gln = _with_check(m["cp"] + m["ref"])
        extension = "" if m["ext"] == "0" else f"/254/{_dl_escape(m['ext'])}"
        return f"{DL_BASE}/414/{gln}{extension}"
    if scheme == "pgln" and kind == "id":
        m = _PGLN.fullmatch(body)
        if m is None or len(m["cp"]) + len(m["ref"]) != 12:
            return None
        return f"{DL_BASE}/417/{_with_check(m['cp'] + m['ref'])}"
    return None
