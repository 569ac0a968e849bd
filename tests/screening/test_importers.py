"""Every list importer on the real sample files and on broken ones.

The counts were checked by hand against the files with grep and csv (commands beside each).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from gate.core.screening import (
    EntryKind,
    Identifier,
    ListFormatError,
    parse_csl_csv,
    parse_csl_json,
    parse_dpl_tsv,
    parse_eu_fsf_xml,
    parse_gate_csv,
    parse_list,
    parse_sdn_csv,
    parse_un_xml,
)
from gate.errors import GateError
from tests.screening.lists import DATA, read

UN = read("UN_consolidated.xml")
SDN, ALT, ADD = read("sdn.csv"), read("alt.csv"), read("add.csv")
EU = (DATA / "eu_fsf.xml").read_bytes()


def test_un_list_reads_every_individual_and_entity() -> None:
    """The UN list gives 730 individuals and 273 entities (grep -c '<INDIVIDUAL>' / '<ENTITY>')."""
    parsed = parse_un_xml(UN)
    kinds = [entry.kind for entry in parsed.entries]
    assert (730, 273) == (kinds.count(EntryKind.PERSON), kinds.count(EntryKind.ENTITY))
    assert date(2026, 2, 27) == parsed.published


def test_un_list_marks_low_quality_aliases_weak() -> None:
    """Each of the 615 aliases of quality Low is weak (grep -c '<QUALITY>Low</QUALITY>')."""
    parsed = parse_un_xml(UN)
    assert 615 == sum(1 for e in parsed.entries for n in e.names if n.weak)


def test_un_entry_keeps_names_aliases_countries_and_programme() -> None:
    """CDi.008 has its name, both Good aliases, country CD and programme DRC."""
    entry = next(e for e in parse_un_xml(UN).entries if e.reference == "CDi.008")
    assert [
        "SULTANI MAKENGA",
        "MAKENGA, Colonel SULTANI",
        "MAKENGA, EMMANUEL SULTANI",
    ] == [n.name for n in entry.names]
    assert ("CD",) == entry.countries
    assert ("DRC",) == entry.programmes


def test_sdn_reads_entries_aliases_and_addresses() -> None:
    """sdn.csv has 7379 rows; with alt.csv's 9682 aliases the names number 17054 (7 aliases
    repeat their entry's own name and are kept once)."""
    parsed = parse_sdn_csv(SDN, ALT, ADD)
    assert 7379 == len(parsed.entries)
    assert 17054 == parsed.alias_count
    assert None is parsed.published


def test_sdn_entry_reads_identifiers_and_countries_from_remarks() -> None:
    """ent_num 26235 keeps its passport and national id from the remarks, and country RU."""
    entry = next(e for e in parse_sdn_csv(SDN, ALT, ADD).entries if e.reference == "26235")
    assert EntryKind.PERSON == entry.kind
    assert Identifier("Passport", "717637093") in entry.identifiers
    assert ("RU",) == entry.countries
    assert ("CYBER2",) == entry.programmes


def test_entry_version_changes_with_the_entry_only() -> None:
    """An added alias changes that entry's version and leaves every other entry's alone."""
    before = {e.reference: e.version for e in parse_sdn_csv(SDN, ALT).entries}
    after = {
        e.reference: e.version
        for e in parse_sdn_csv(SDN, ALT + b'\n306,99999,"aka","BNC HAVANA",-0- \n').entries
    }
    changed = {ref for ref in before if before[ref] != after[ref]}
    assert {"306"} == changed


def test_csl_csv_reads_every_row() -> None:
    """The CSL sample has 115 records (csv.DictReader) with 161 alternative names."""
    parsed = parse_csl_csv(read("csl.csv"))
    assert (115, 115 + 161) == (len(parsed.entries), parsed.alias_count)
    entry = next(e for e in parsed.entries if e.reference == "20264")
    assert (Identifier("Tax ID No.", "80-0890696"),) == entry.identifiers
    assert ("US",) == entry.countries


def test_csl_json_gives_the_same_entries_as_the_csv() -> None:
    """data/csl.json holds the CSV sample's first 12 rows as JSON; it parses to the same entries."""
    from_json = parse_csl_json((DATA / "csl.json").read_bytes())
    from_csv = parse_csl_csv(read("csl.csv"))
    assert from_csv.entries[:12] == from_json.entries


def test_csl_json_accepts_lists_for_names_addresses_and_ids() -> None:
    """The API's JSON lists (alt_names, addresses and ids as objects) read like the CSV text."""
    document = {
        "results": [
            {
                "source": "Entity List (EL) - Bureau of Industry and Security",
                "name": "Example Avionics Institute",
                "alt_names": ["EAI", "Example Institute of Avionics"],
                "addresses": [{"address": "1 Road", "city": "Xi'an", "country": "CN"}],
                "ids": [{"type": "Registration ID", "number": "91610000", "country": "CN"}],
            }
        ]
    }
    entry = parse_csl_json(json.dumps(document).encode()).entries[0]
    assert 3 == len(entry.names)
    assert ("CN",) == entry.countries
    assert (Identifier("Registration ID", "91610000"),) == entry.identifiers


def test_dpl_groups_rows_of_one_order() -> None:
    """dpl.txt has 546 rows for 417 distinct (name, effective date) pairs: 417 entries."""
    parsed = parse_dpl_tsv(read("dpl.txt"))
    assert 417 == len(parsed.entries)


def test_gate_csv_reads_notices_with_aliases() -> None:
    """The demo notices file has 21 notices; an alias column is split on ';'."""
    assert 21 == len(parse_gate_csv(read("notices.csv")).entries)
    data = (
        b"name,aliases,country,reference,date\nAcme Rotors Ltd,Acme Rotor;AR Ltd,GB,N-1,2025-01-01"
    )
    entry = parse_gate_csv(data).entries[0]
    assert ["Acme Rotors Ltd", "Acme Rotor", "AR Ltd"] == [n.name for n in entry.names]
    assert ("GB",) == entry.countries


def test_eu_file_reads_names_strength_countries_ids_and_date() -> None:
    """The EU test file's 3 entities keep their aliases (one weak), countries, ids, programmes."""
    parsed = parse_eu_fsf_xml(EU)
    assert date(2026, 3, 2) == parsed.published
    first, second, third = parsed.entries
    assert ("EU.9001.01", EntryKind.ENTITY, ("RU",), ("RUS",)) == (
        first.reference,
        first.kind,
        first.countries,
        first.programmes,
    )
    assert [False, False, True] == [n.weak for n in first.names]
    assert ("BY",) == second.countries
    assert EntryKind.VESSEL == third.kind


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>&lol3;</FIRST_NAME>
<REFERENCE_NUMBER>X.1</REFERENCE_NUMBER></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>
<export xmlns="http://eu.europa.ec/fpi/fsd/export">&ext;</export>"""

BROKEN = [
    ("truncated UN", lambda: parse_un_xml(UN[:5000]), "malformed XML"),
    ("entity bomb", lambda: parse_un_xml(BOMB), "refused unsafe XML"),
    ("external entity", lambda: parse_eu_fsf_xml(EXTERNAL), "refused unsafe XML"),
    ("empty UN", lambda: parse_un_xml(b""), "the file is empty"),
    ("wrong root", lambda: parse_un_xml(EU), "not <CONSOLIDATED_LIST>"),
    (
        "UN without entries",
        lambda: parse_un_xml(b"<CONSOLIDATED_LIST><INDIVIDUALS/><ENTITIES/></CONSOLIDATED_LIST>"),
        "holds no INDIVIDUAL or ENTITY",
    ),
    ("truncated EU", lambda: parse_eu_fsf_xml(EU[:-40]), "malformed XML"),
    ("EU without namespace", lambda: parse_eu_fsf_xml(b"<export/>"), "not {http"),
    (
        "EU without entries",
        lambda: parse_eu_fsf_xml(b'<export xmlns="http://eu.europa.ec/fpi/fsd/export"/>'),
        "no sanctionEntity",
    ),
    (
        "SDN short row",
        lambda: parse_sdn_csv(b'36,"AEROCARIBBEAN",-0- \n'),
        "3 columns, expected 12",
    ),
    ("SDN empty", lambda: parse_sdn_csv(b"\n"), "the file is empty"),
    ("SDN bad ent_num", lambda: parse_sdn_csv(b"x" + SDN[2:]), "is not a number"),
    ("SDN alias of nothing", lambda: parse_sdn_csv(SDN, b'1,1,"aka","X",-0-\n'), "unknown ent_num"),
    ("SDN alt wrong width", lambda: parse_sdn_csv(SDN, b"36,12,aka\n"), "3 columns, expected 5"),
    ("CSL header only", lambda: parse_csl_csv(read("csl.csv").splitlines()[0]), "no entry"),
    ("CSL wrong columns", lambda: parse_csl_csv(b"a,b,c\n1,2,3\n"), "lacks column(s)"),
    ("CSL ragged row", lambda: parse_csl_csv(read("csl.csv") + b"x,y\n"), "expected 28"),
    ("CSL JSON malformed", lambda: parse_csl_json(b'{"results": ['), "malformed JSON"),
    ("CSL JSON no results", lambda: parse_csl_json(b'{"items": []}'), "no 'results' list"),
    ("CSL JSON empty results", lambda: parse_csl_json(b'{"results": []}'), "'results' is empty"),
    ("DPL wrong header", lambda: parse_dpl_tsv(b"a\tb\n"), "not the DPL header"),
    ("DPL header only", lambda: parse_dpl_tsv(read("dpl.txt").splitlines()[0]), "no entry"),
    (
        "gate CSV header only",
        lambda: parse_gate_csv(b"name,aliases,country,reference,date\n"),
        "no entry",
    ),
    (
        "gate CSV old header",
        lambda: parse_gate_csv(b"name,country,reference,date\n"),
        "not the header",
    ),
    (
        "gate CSV unknown country",
        lambda: parse_gate_csv(b"name,aliases,country,reference,date\nA B,,ZZ,R1,2025-01-01\n"),
        "unknown country 'ZZ'",
    ),
    (
        "gate CSV repeated reference",
        lambda: parse_gate_csv(
            b"name,aliases,country,reference,date\nA B,,,R1,2025-01-01\nC D,,,R1,2025-01-01\n"
        ),
        "reference 'R1' repeated",
    ),
    ("unknown format", lambda: parse_list("pdf", b"x", "x"), "unknown list format"),
]


@pytest.mark.parametrize(("case", "parse", "reason"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_list_is_refused_with_a_one_line_reason(
    case: str, parse: object, reason: str
) -> None:
    """A broken list raises ListFormatError (a GateError) whose one-line message says why."""
    assert callable(parse)
    with pytest.raises(ListFormatError) as caught:
        parse()
    assert isinstance(caught.value, GateError)
    assert reason in str(caught.value)
    assert 1 == len(str(caught.value).splitlines())
