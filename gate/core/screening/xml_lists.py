"""Importers of the XML lists: the UN Security Council Consolidated List and the EU Financial
Sanctions Files.

Both are parsed with defusedxml, which refuses a document type declaration, entities and
external references before the parser can act on them: a list file is input from outside, and
an entity-expansion bomb or an external entity must be refused, not expanded or fetched.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

from gate.core.screening.entries import (
    EntryKind,
    EntryName,
    Identifier,
    ListEntry,
    ListFormatError,
    ParsedList,
    make_entry,
    places_of,
)
from gate.core.screening.territories import country_codes

UN_FORMAT = "un-xml"
EU_FORMAT = "eu-fsf-xml"
EU_NS = "{http://eu.europa.ec/fpi/fsd/export}"


def parse_xml(fmt: str, data: bytes) -> ET.Element:
    """Parse untrusted XML with no DTD, no entities and no network; raise ListFormatError."""
    if not data.strip():
        raise ListFormatError(fmt, "the file is empty")
    try:
        root: ET.Element = fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise ListFormatError(fmt, f"refused unsafe XML ({type(exc).__name__})") from exc
    except ET.ParseError as exc:
        raise ListFormatError(fmt, f"malformed XML: {exc}") from exc
    return root


def _text(element: ET.Element | None) -> str:
    if element is None or element.text is None:
        return ""
    return " ".join(element.text.split())


def _date(fmt: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise ListFormatError(fmt, f"unreadable generation date {value!r}") from exc


_UN_WEAK = frozenset({"low"})


def parse_un_xml(data: bytes, list_id: str = "un") -> ParsedList:
    """Parse the UN consolidated list (``CONSOLIDATED_LIST``) into entries.

    Raises ListFormatError when the XML is malformed or unsafe, the root is not the UN list, or
    it holds no entry.
    """
    root = parse_xml(UN_FORMAT, data)
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFormatError(UN_FORMAT, f"root element is <{root.tag}>, not <CONSOLIDATED_LIST>")
    entries: list[ListEntry] = []
    for kind, path, prefix in (
        (EntryKind.PERSON, "INDIVIDUALS/INDIVIDUAL", "INDIVIDUAL"),
        (EntryKind.ENTITY, "ENTITIES/ENTITY", "ENTITY"),
    ):
        for node in root.iterfind(path):
            entries.append(_un_entry(list_id, kind, prefix, node))
    if not entries:
        raise ListFormatError(UN_FORMAT, "the list holds no INDIVIDUAL or ENTITY")
    return ParsedList(
        list_id,
        UN_FORMAT,
        tuple(entries),
        _date(UN_FORMAT, root.get("dateGenerated")),
        places_of(
            _text(place)
            for kind in ("INDIVIDUAL", "ENTITY")
            for tag in ("CITY", "COUNTRY")
            for place in root.iterfind(f"*/{kind}/{kind}_ADDRESS/{tag}")
        ),
    )


def _un_entry(list_id: str, kind: EntryKind, prefix: str, node: ET.Element) -> ListEntry:
    reference = _text(node.find("REFERENCE_NUMBER")) or _text(node.find("DATAID"))
    if not reference:
        raise ListFormatError(UN_FORMAT, f"an {prefix} has no REFERENCE_NUMBER")
    parts = [
        _text(node.find(tag)) for tag in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
    ]
    names = [EntryName(" ".join(p for p in parts if p))]
    original = _text(node.find("NAME_ORIGINAL_SCRIPT"))
    if original:
        names.append(EntryName(original, alias=True))
    for alias in node.iterfind(f"{prefix}_ALIAS"):
        alias_name = _text(alias.find("ALIAS_NAME"))
        if alias_name:
            quality = _text(alias.find("QUALITY")).casefold()
            names.append(EntryName(alias_name, weak=quality in _UN_WEAK, alias=True))
    places = [_text(v) for v in node.iterfind("NATIONALITY/VALUE")]
    places += [_text(c) for c in node.iterfind(f"{prefix}_ADDRESS/COUNTRY")]
    identifiers = [
        Identifier(_text(doc.find("TYPE_OF_DOCUMENT")) or "document", _text(doc.find("NUMBER")))
        for doc in node.iterfind(f"{prefix}_DOCUMENT")
    ]
    try:
        return make_entry(
            list_id,
            reference,
            kind,
            names,
            country_codes(places),
            identifiers,
            [_text(node.find("UN_LIST_TYPE"))],
        )
    except ValueError as exc:
        raise ListFormatError(UN_FORMAT, str(exc)) from exc


_EU_KINDS = {"person": EntryKind.PERSON, "enterprise": EntryKind.ENTITY, "vessel": EntryKind.VESSEL}


def parse_eu_fsf_xml(data: bytes, list_id: str = "eu_fsf") -> ParsedList:
    """Parse the EU Financial Sanctions Files XML (namespace ``http://eu.europa.ec/fpi/fsd/export``).

    Raises ListFormatError when the XML is malformed or unsafe, the root is not ``export`` in
    that namespace, or it holds no ``sanctionEntity``.
    """
    root = parse_xml(EU_FORMAT, data)
    if root.tag != f"{EU_NS}export":
        raise ListFormatError(EU_FORMAT, f"root element is {root.tag}, not {EU_NS}export")
    entries = [_eu_entry(list_id, node) for node in root.iterfind(f"{EU_NS}sanctionEntity")]
    if not entries:
        raise ListFormatError(EU_FORMAT, "the file holds no sanctionEntity")
    return ParsedList(
        list_id,
        EU_FORMAT,
        tuple(entries),
        _date(EU_FORMAT, root.get("generationDate")),
        places_of(
            address.get(attribute, "")
            for address in root.iterfind(f"{EU_NS}sanctionEntity/{EU_NS}address")
            for attribute in ("city", "countryDescription")
        ),
    )


def _eu_entry(list_id: str, node: ET.Element) -> ListEntry:
    reference = node.get("euReferenceNumber") or node.get("logicalId") or ""
    if not reference:
        raise ListFormatError(EU_FORMAT, "a sanctionEntity has no euReferenceNumber")
    subject = node.find(f"{EU_NS}subjectType")
    code = (subject.get("code", "") if subject is not None else "").casefold()
    names = [
        # An alias the EU does not mark strong is a weak alias.
        EntryName(
            alias.get("wholeName", ""), weak=alias.get("strong", "true") == "false", alias=i > 0
        )
        for i, alias in enumerate(node.iterfind(f"{EU_NS}nameAlias"))
    ]
    places = [a.get("countryIso2Code", "") for a in node.iterfind(f"{EU_NS}address")]
    places += [c.get("countryIso2Code", "") for c in node.iterfind(f"{EU_NS}citizenship")]
    identifiers = [
        Identifier(i.get("identificationTypeCode", "") or "id", i.get("number", ""))
        for i in node.iterfind(f"{EU_NS}identification")
    ]
    programmes = [r.get("programme", "") for r in node.iterfind(f"{EU_NS}regulation")]
    try:
        return make_entry(
            list_id,
            reference,
            _EU_KINDS.get(code, EntryKind.UNKNOWN),
            names,
            country_codes([p for p in places if p and p != "00"]),
            identifiers,
            programmes,
        )
    except ValueError as exc:
        raise ListFormatError(EU_FORMAT, str(exc)) from exc
