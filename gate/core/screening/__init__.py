"""Screening parties against the published sanctions and denial lists (DESIGN 2.1).

Pure: list importers take bytes and return entries, the index and the matcher take values and
return hits. Reading files, keeping the last good list and swapping indexes belong to the
shell (``gate.service.screening_lists``).

Use::

    parsed = parse_list("un-xml", data)              # or parse_sdn_csv(sdn, alt, add)
    index = ScreeningIndex.build([parsed], [ListPolicy("un", "prohibit", 0.88)])
    hits = screen(index, Party("Sultani Makenga", "CD"))
"""

from __future__ import annotations

from collections.abc import Callable

from gate.core.hits import Hit
from gate.core.screening.csv_lists import (
    CSL_CSV_FORMAT,
    CSL_JSON_FORMAT,
    DPL_FORMAT,
    GATE_FORMAT,
    SDN_FORMAT,
    parse_csl_csv,
    parse_csl_json,
    parse_dpl_tsv,
    parse_gate_csv,
    parse_sdn_csv,
)
from gate.core.screening.entries import (
    EntryKind,
    EntryName,
    Identifier,
    ListEntry,
    ListFormatError,
    ParsedList,
)
from gate.core.screening.index import LICENCE, PROHIBIT, ListPolicy, ScreeningIndex
from gate.core.screening.matcher import Party, screen
from gate.core.screening.names import FoldedName, fold_name
from gate.core.screening.xml_lists import EU_FORMAT, UN_FORMAT, parse_eu_fsf_xml, parse_un_xml

#: The one-file formats by name, each ``parse(data, list_id)``. The SDN legacy CSV comes as
#: up to three files and has its own ``parse_sdn_csv(sdn, alt, add, list_id)``.
SINGLE_FILE_FORMATS: dict[str, Callable[[bytes, str], ParsedList]] = {
    UN_FORMAT: parse_un_xml,
    EU_FORMAT: parse_eu_fsf_xml,
    CSL_CSV_FORMAT: parse_csl_csv,
    CSL_JSON_FORMAT: parse_csl_json,
    DPL_FORMAT: parse_dpl_tsv,
    GATE_FORMAT: parse_gate_csv,
}
FORMATS = frozenset({*SINGLE_FILE_FORMATS, SDN_FORMAT})


def parse_list(fmt: str, data: bytes, list_id: str) -> ParsedList:
    """Parse a one-file list of format ``fmt``; raises ListFormatError (also for an unknown one)."""
    parser = SINGLE_FILE_FORMATS.get(fmt)
    if parser is None:
        raise ListFormatError(fmt, f"unknown list format (known: {', '.join(sorted(FORMATS))})")
    return parser(data, list_id)


__all__ = [
    "CSL_CSV_FORMAT",
    "CSL_JSON_FORMAT",
    "DPL_FORMAT",
    "EU_FORMAT",
    "FORMATS",
    "GATE_FORMAT",
    "LICENCE",
    "PROHIBIT",
    "SDN_FORMAT",
    "SINGLE_FILE_FORMATS",
    "UN_FORMAT",
    "EntryKind",
    "EntryName",
    "FoldedName",
    "Hit",
    "Identifier",
    "ListEntry",
    "ListFormatError",
    "ListPolicy",
    "ParsedList",
    "Party",
    "ScreeningIndex",
    "fold_name",
    "parse_csl_csv",
    "parse_csl_json",
    "parse_dpl_tsv",
    "parse_eu_fsf_xml",
    "parse_gate_csv",
    "parse_list",
    "parse_sdn_csv",
    "parse_un_xml",
    "screen",
]
