"""Importers of the delimited lists: OFAC's SDN legacy CSV, the US Consolidated Screening List
(CSV and JSON), the BIS Denied Persons List (tab-separated) and the gate's own CSV of partners'
denial notices.

Every importer takes the file's bytes and returns a ParsedList or raises ListFormatError with
one line saying what is wrong and where. A row of the wrong width, a missing column or a file
with no entry refuses the whole list: a half-read list would silently screen against less than
the user loaded.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence

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
from gate.core.screening.territories import country_code, country_codes

SDN_FORMAT = "sdn-csv"
CSL_CSV_FORMAT = "csl-csv"
CSL_JSON_FORMAT = "csl-json"
DPL_FORMAT = "dpl-tsv"
GATE_FORMAT = "gate-csv"

_EMPTY = "-0-"


def decode(fmt: str, data: bytes) -> str:
    """The text of a list file: UTF-8 (with or without BOM), else Windows-1252 as OFAC writes."""
    if not data.strip():
        raise ListFormatError(fmt, "the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _rows(fmt: str, text: str, width: int, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            if not row or row == [""] or row == ["\x1a"]:
                continue
            if len(row) != width:
                raise ListFormatError(
                    fmt, f"line {reader.line_num}: {len(row)} columns, expected {width}"
                )
            yield reader.line_num, [cell.strip() for cell in row]
    except csv.Error as exc:
        raise ListFormatError(fmt, f"line {reader.line_num}: {exc}") from exc


def _header(fmt: str, text: str, delimiter: str = ",") -> list[str]:
    """The first row of ``text``, checked before any row width so a wrong file says so."""
    try:
        first = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    except csv.Error as exc:
        raise ListFormatError(fmt, f"line 1: {exc}") from exc
    return [cell.strip() for cell in first]


def _value(cell: str) -> str:
    return "" if cell == _EMPTY else cell


# Identifier labels OFAC writes in its remarks ("Passport 717637093 (Russia)"), longest first
# so "Company Number IMO" is not read as "Company Number".
_SDN_ID_KINDS = (
    "Vessel Registration Identification IMO",
    "Company Number IMO",
    "Legal Entity Number",
    "Business Registration Number",
    "Business Registration Document #",
    "Commercial Registry Number",
    "Registration Number",
    "Registration ID",
    "Identification Number",
    "National ID No.",
    "Tax ID No.",
    "Italian Fiscal Code",
    "D-U-N-S Number",
    "SWIFT/BIC",
    "US FEIN",
    "Company Number",
    "Passport",
    "Cedula No.",
    "NIT #",
    "R.F.C.",
    "RFC",
    "C.U.R.P.",
    "RUC #",
    "RIF #",
    # Attack16: labels OFAC writes that were not read, so a party quoting a listed company's
    # VAT number ("V.A.T. Number MT20084637", PETROPLUS LTD) under another name hit nothing.
    "V.A.T. Number",
    "Enterprise Number",
    "UK Company Number",
    "Trade License No.",
    "Chamber of Commerce Number",
    "Dubai Chamber of Commerce Membership No.",
    "Public Registration Number",
    "Certificate of Incorporation Number",
    "Folio Mercantil No.",
    "C.R. No.",
    "Registered Charity No.",
    "Branch Unit Number",
    "Government Gazette Number",
    "Personal ID",
    "Travel Document Number",
    "Residency Number",
    "National Foreign ID Number",
    "Electoral Registry No.",
    "Birth Certificate Number",
)
# A value runs to its country in brackets, the next remark or the end, and may hold spaces,
# dots and commas ("NL 819860578B01", "0430.033.662", "HRB 26136", "AABA 670850 Y": until
# attack16 only the first word was kept, "NL" or "HRB", too short to be indexed), but not a
# passport's "issued ...", "expires ..." or "and" another document after it.
_SDN_ID = re.compile(
    r"(?:^|;\s*)(?:alt\.\s+)?("
    + "|".join(re.escape(k) for k in sorted(_SDN_ID_KINDS, key=len, reverse=True))
    + r")\s+#?\s*([A-Z0-9][^;()]*?)(?=\s*(?:\(|;|$|\.\s*$|\s(?:[Ii]ssued|[Ee]xpires|and)\b))"
)
_SDN_NATION = re.compile(r"(?:nationality|citizen)\s+([A-Z][A-Za-z ,]+?)(?:;|\.|$)")
_SDN_KINDS = {
    "individual": EntryKind.PERSON,
    "vessel": EntryKind.VESSEL,
    "aircraft": EntryKind.AIRCRAFT,
}


def parse_sdn_csv(
    sdn: bytes, alt: bytes | None = None, add: bytes | None = None, list_id: str = "ofac_sdn"
) -> ParsedList:
    """Parse OFAC's legacy SDN CSV: ``sdn.csv`` with optional ``alt.csv`` and ``add.csv``.

    ``-0-`` is an empty cell. Raises ListFormatError on a row of the wrong width, a non-numeric
    ``ent_num``, an alias or address for an unknown entry, or a file with no entry.
    """
    records: dict[str, list[str]] = {}
    for line, row in _rows(SDN_FORMAT, decode(SDN_FORMAT, sdn), 12):
        if not row[0].isdigit():
            raise ListFormatError(
                SDN_FORMAT, f"sdn.csv line {line}: ent_num {row[0]!r} is not a number"
            )
        records[row[0]] = row
    if not records:
        raise ListFormatError(SDN_FORMAT, "sdn.csv holds no entry")
    aliases: dict[str, list[EntryName]] = {key: [] for key in records}
    places: dict[str, list[str]] = {key: [] for key in records}
    cities: list[str] = []
    if alt is not None:
        for line, row in _rows(SDN_FORMAT, decode(SDN_FORMAT, alt), 5):
            if row[0] not in aliases:
                raise ListFormatError(SDN_FORMAT, f"alt.csv line {line}: unknown ent_num {row[0]}")
            aliases[row[0]].append(EntryName(_value(row[3]), alias=True))
    if add is not None:
        for line, row in _rows(SDN_FORMAT, decode(SDN_FORMAT, add), 6):
            if row[0] not in places:
                raise ListFormatError(SDN_FORMAT, f"add.csv line {line}: unknown ent_num {row[0]}")
            places[row[0]].append(_value(row[4]))
            cities += (_value(row[3]), _value(row[4]))
    entries = []
    for key, row in records.items():
        remarks = _value(row[11])
        identifiers = [Identifier(m[1], m[2]) for m in _SDN_ID.finditer(remarks)]
        nations = [m.group(1) for m in _SDN_NATION.finditer(remarks)]
        programmes = [p.strip("[] ") for p in _value(row[3]).split("] [")]
        try:
            entries.append(
                make_entry(
                    list_id,
                    key,
                    _SDN_KINDS.get(_value(row[2]).casefold(), EntryKind.ENTITY),
                    [EntryName(_value(row[1])), *aliases[key]],
                    country_codes(places[key] + nations),
                    identifiers,
                    programmes,
                )
            )
        except ValueError as exc:
            raise ListFormatError(SDN_FORMAT, str(exc)) from exc
    return ParsedList(list_id, SDN_FORMAT, tuple(entries), places=places_of(cities))


_CSL_REQUIRED = ("source", "name", "alt_names", "addresses", "ids")
_CSL_KINDS = {
    "individual": EntryKind.PERSON,
    "vessel": EntryKind.VESSEL,
    "entity": EntryKind.ENTITY,
}
_SOURCE_CODE = re.compile(r"\(([A-Z-]+)\)")


def parse_csl_csv(data: bytes, list_id: str = "us_csl") -> ParsedList:
    """Parse the US Consolidated Screening List CSV (header row, the ITA's columns).

    Raises ListFormatError when a required column is missing, a row has the wrong width or the
    file holds no entry.
    """
    text = decode(CSL_CSV_FORMAT, data)
    rows = _rows(CSL_CSV_FORMAT, text, len(text.splitlines()[0].split(",")) if text else 0)
    header: list[str] | None = None
    entries = []
    for line, row in rows:
        if header is None:
            header = row
            missing = [c for c in _CSL_REQUIRED if c not in header]
            if missing:
                raise ListFormatError(
                    CSL_CSV_FORMAT, f"header lacks column(s) {', '.join(missing)}"
                )
            continue
        entries.append(
            _csl_entry(CSL_CSV_FORMAT, list_id, line, dict(zip(header, row, strict=True)))
        )
    if not entries:
        raise ListFormatError(CSL_CSV_FORMAT, "the file holds no entry (only a header?)")
    return ParsedList(list_id, CSL_CSV_FORMAT, tuple(entries))


def parse_csl_json(data: bytes, list_id: str = "us_csl") -> ParsedList:
    """Parse the US Consolidated Screening List JSON: the CSV's fields as objects under ``results``.

    A field may be the CSV's ``;``-separated string or a JSON list (of strings, or of objects
    as the ITA's API writes addresses and ids). Raises ListFormatError when the JSON is
    malformed, has no ``results`` list, or an object lacks ``source`` or ``name``.
    """
    text = decode(CSL_JSON_FORMAT, data)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ListFormatError(CSL_JSON_FORMAT, f"malformed JSON: {exc}") from exc
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list):
        raise ListFormatError(CSL_JSON_FORMAT, "no 'results' list at the top level")
    entries = []
    for number, item in enumerate(results, start=1):
        if not isinstance(item, dict) or not all(k in item for k in ("source", "name")):
            raise ListFormatError(
                CSL_JSON_FORMAT, f"result {number} is not an object with source and name"
            )
        entries.append(_csl_entry(CSL_JSON_FORMAT, list_id, number, item))
    if not entries:
        raise ListFormatError(CSL_JSON_FORMAT, "'results' is empty")
    return ParsedList(list_id, CSL_JSON_FORMAT, tuple(entries))


def _parts(value: object, keys: Sequence[str] = ()) -> list[str]:
    """A CSL field as a list of strings: ``a; b`` text, a list of strings, or of objects."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            if isinstance(item, Mapping):
                out.append(", ".join(str(item.get(k) or "") for k in keys))
            else:
                out.extend(_parts(item))
        return out
    return [str(value)]


#: CSL "ids" parts that are no identifier of the party: its web site, mail address, and
#: sanctions notes written in the same "value, label" form.
_CSL_NOT_IDS = frozenset({"website", "email address"})


def _csl_identifier(value: str, kind: str) -> bool:
    """Whether a two-part CSL id ("value, label") is an identifier: a value with a digit
    under a label that is not a web site, a mail address or a note (labels ending "-" or ":")."""
    return (
        any(ch.isdigit() for ch in value)
        and kind.casefold() not in _CSL_NOT_IDS
        and not kind.endswith(("-", ":"))
    )


def _csl_entry(fmt: str, list_id: str, where: int, row: Mapping[str, object]) -> ListEntry:
    source = str(row.get("source") or "")
    code = _SOURCE_CODE.search(source)
    source_code = code.group(1) if code else source
    name = str(row.get("name") or "")
    reference = str(row.get("entity_number") or "") or f"{source_code}:{' '.join(name.split())}"
    names = [EntryName(name)] + [EntryName(a, alias=True) for a in _parts(row.get("alt_names"))]
    places = [
        a.rsplit(",", 1)[-1] for a in _parts(row.get("addresses"), ("address", "city", "country"))
    ]
    places += _parts(row.get("citizenships")) + _parts(row.get("nationalities"))
    identifiers = []
    for text in _parts(row.get("ids"), ("country", "number", "type")):
        fields = [f.strip() for f in text.split(",")]
        if len(fields) >= 3:
            identifiers.append(Identifier(fields[-1], ",".join(fields[1:-1]).strip()))
        elif len(fields) == 2 and _csl_identifier(*fields):
            # "7744001497, Tax ID No.": the CSV leaves the country out of most ids (attack16:
            # 135 of the sample's 147 were dropped, among them every Russian tax number).
            identifiers.append(Identifier(fields[1], fields[0]))
    programmes = [source_code, *_parts(str(row.get("programs") or "").replace(",", ";"))]
    try:
        return make_entry(
            list_id,
            reference,
            _CSL_KINDS.get(str(row.get("type") or "").casefold(), EntryKind.ENTITY),
            names,
            country_codes(places),
            identifiers,
            programmes,
        )
    except ValueError as exc:
        raise ListFormatError(fmt, f"row {where}: {exc}") from exc


DPL_COLUMNS = (
    "Name", "Street_Address", "City", "State", "Country", "Postal_Code", "Effective_Date",
    "Expiration_Date", "Standard_Order", "Last_Update", "Action", "FR_Citation",
)  # fmt: skip


def parse_dpl_tsv(data: bytes, list_id: str = "bis_dpl") -> ParsedList:
    """Parse the BIS Denied Persons List (tab-separated, header row of DPL_COLUMNS).

    The DPL has no entry number and repeats a person once per address: rows with the same name
    and effective date are one entry, whose reference is "NAME (effective date)". Raises
    ListFormatError on a different header, a row of the wrong width or no entry.
    """
    text = decode(DPL_FORMAT, data)
    if tuple(_header(DPL_FORMAT, text, "\t")) != DPL_COLUMNS:
        raise ListFormatError(
            DPL_FORMAT, "the first line is not the DPL header (Name, Street_Address, ...)"
        )
    grouped: dict[str, tuple[str, list[str]]] = {}
    cities: list[str] = []
    rows = _rows(DPL_FORMAT, text, len(DPL_COLUMNS), delimiter="\t")
    next(rows)  # the header, checked above
    for _line, row in rows:
        name = " ".join(row[0].split())
        key = f"{name} ({row[6]})"
        grouped.setdefault(key, (name, []))[1].append(row[4])
        cities += (row[2], row[4])
    if not grouped:
        raise ListFormatError(DPL_FORMAT, "the file holds no entry (only a header?)")
    entries = [
        make_entry(
            list_id, key, EntryKind.UNKNOWN, [EntryName(name)], country_codes(places), (), ["DPL"]
        )
        for key, (name, places) in grouped.items()
        if name
    ]
    return ParsedList(list_id, DPL_FORMAT, tuple(entries), places=places_of(cities))


GATE_COLUMNS = ("name", "aliases", "country", "reference", "date")


def parse_gate_csv(data: bytes, list_id: str = "notices") -> ParsedList:
    """Parse the gate's CSV of partners' denial notices: ``name,aliases,country,reference,date``.

    Aliases are ``;``-separated; the country is an ISO code or a name. Raises ListFormatError on
    a different header, a row of the wrong width, a row without name or reference, a repeated
    reference, an unknown country, or no entry.
    """
    text = decode(GATE_FORMAT, data)
    if tuple(c.casefold() for c in _header(GATE_FORMAT, text)) != GATE_COLUMNS:
        raise ListFormatError(
            GATE_FORMAT, f"the first line is not the header {','.join(GATE_COLUMNS)}"
        )
    rows = _rows(GATE_FORMAT, text, len(GATE_COLUMNS))
    next(rows)  # the header, checked above
    entries: dict[str, ListEntry] = {}
    for line, (name, aliases, country, reference, _date) in rows:
        if not name or not reference:
            raise ListFormatError(GATE_FORMAT, f"line {line}: name and reference are required")
        if reference in entries:
            raise ListFormatError(GATE_FORMAT, f"line {line}: reference {reference!r} repeated")
        code = country_code(country) if country else None
        if country and code is None:
            raise ListFormatError(GATE_FORMAT, f"line {line}: unknown country {country!r}")
        names = [EntryName(name)] + [EntryName(a, alias=True) for a in _parts(aliases)]
        entries[reference] = make_entry(
            list_id, reference, EntryKind.UNKNOWN, names, [code] if code else [], (), ["notice"]
        )
    if not entries:
        raise ListFormatError(GATE_FORMAT, "the file holds no entry (only a header?)")
    return ParsedList(list_id, GATE_FORMAT, tuple(entries.values()))
