"""Attack16: a party quoting a listed company's VAT number under another name hit nothing.

OFAC writes an entry's identifiers in its remarks ("D-U-N-S Number 52-024-2307; V.A.T. Number
MT20084637 (Malta); Tax ID No. 20084637 (Malta); Trade License No. C 50905 (Malta)" for
PETROPLUS LTD, ent_num 23203). The reader kept a fixed set of labels, without "V.A.T. Number"
(23 entries) and a score of other registry labels, and kept a value only up to its first
space, dot or comma: "NL 819860578B01" was read "NL", "HRB 26136" "HRB", "0430.033.662"
"0430", each too short to be indexed. A WMS that sent a consignee as "Harbour Supplies Ltd"
(Malta) with PETROPLUS's VAT number screened clean, and ordinary goods to it cleared and left
the dock: the identifier, the one thing a front company cannot change on its customs papers,
was not looked at.

The sdn.csv reader now reads those labels and the whole value (spaces, dots and commas are
dropped when identifiers are compared), and stops at a passport's "issued"/"expires".

An identifier in full-width or Arabic-Indic digits ("ＭＴ２００８４６３７") folded to nothing
when compared; it is read in ASCII now.

The Consolidated Screening List's CSV did the same in its own way: its ``ids`` are "country,
number, label", but most leave the country out ("7744001497, Tax ID No." for GAZPROMBANK
OAO), and those were dropped: 135 of the sample's 147, every Russian tax number among them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.core.screening.csv_lists import parse_csl_csv, parse_sdn_csv
from gate.core.screening.entries import Identifier
from tests.service.harness import Gate, gtin_with

LISTS = Path(__file__).resolve().parents[2] / "configs" / "lists"
FRONT = {"name": "Harbour Supplies Ltd", "country": "MT"}


def _identifiers(reference: str) -> tuple[Identifier, ...]:
    parsed = parse_sdn_csv((LISTS / "sdn.csv").read_bytes())
    return next(e for e in parsed.entries if e.reference == reference).identifiers


def test_the_sdn_reader_keeps_vat_numbers_and_whole_values() -> None:
    """PETROPLUS LTD keeps its VAT number and trade licence, STAROIL B.V. its VAT number with
    the space OFAC writes in it, ASCOTEC HOLDING its commercial register number whole."""
    assert Identifier("V.A.T. Number", "MT20084637") in _identifiers("23203")
    assert Identifier("Trade License No.", "C 50905") in _identifiers("23203")
    assert Identifier("V.A.T. Number", "NL 819860578B01") in _identifiers("17530")
    assert Identifier("Registration ID", "HRB 26136") in _identifiers("11608")


def test_a_passport_value_stops_before_issued_and_expires() -> None:
    """ "Passport L 191609 issued 28 Feb 1996 expires 27 Feb 2001" is the passport "L 191609"."""
    found = {i.value for i in _identifiers("7203") if i.kind == "Passport"}
    assert "L 191609" in found


@pytest.mark.parametrize(
    ("vat", "entry"),
    [
        ("MT20084637", "23203"),
        ("NL 819860578 B01", "17530"),
        ("IT08497661002", "23421"),
        # Full-width and Arabic-Indic digits folded to nothing before (then found by number).
        ("ＭＴ２００８４６３７", "23203"),
        ("MT٢٠٠٨٤٦٣٧", "23203"),
    ],
)
async def test_a_listed_vat_number_under_another_name_is_a_hit(
    gate: Gate, vat: str, entry: str
) -> None:
    """``POST /screen`` of a bland name with a listed company's VAT number reports the SDN
    entry the number belongs to, as a prohibit hit (on main: no hit)."""
    status, doc = await gate.call("POST", "/api/v1/screen", {**FRONT, "ids": {"vat": vat}})
    assert 200 == status, doc
    assert [("ofac-sdn", entry, "prohibit")] == [
        (h["list"], h["entry"], h["action"]) for h in doc["hits"]
    ]


async def test_ordinary_goods_to_a_front_with_a_listed_vat_number_do_not_leave(
    gate: Gate, demo_config: Path
) -> None:
    """An ordinary item for a consignee quoting PETROPLUS LTD's VAT number is prohibited
    (``sanctioned_party``) and the sealed shipment blocked; on main it cleared and left."""
    await gate.create(destination="MT", consignee={**FRONT, "ids": {"vat": "MT20084637"}})
    result = await gate.scan(gtin_with(demo_config, ""))
    assert ("prohibited", "sanctioned_party") == (result["decision"], result["reasons"][0])
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "blocked") == (status, sealed["state"])
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status


def test_the_csl_reader_keeps_ids_written_without_a_country() -> None:
    """GAZPROMBANK OAO (CSL 17016) keeps its tax, registration and gazette numbers, written
    "value, label" without a country; its web site and mail address are no identifiers."""
    parsed = parse_csl_csv((LISTS / "csl.csv").read_bytes())
    entry = next(e for e in parsed.entries if e.reference == "17016")
    assert {
        Identifier("Government Gazette Number", "09807684"),
        Identifier("Tax ID No.", "7744001497"),
        Identifier("Registration ID", "1027700167110"),
    } == set(entry.identifiers)


async def test_a_csl_tax_number_under_another_name_needs_a_licence(
    gate: Gate, demo_config: Path
) -> None:
    """A gyro for a consignee quoting GAZPROMBANK OAO's tax number under another name is held
    for ``listed_party`` (the CSL's action is licence), which no standing licence releases;
    on main the number was not read and only ``cat2`` held the line."""
    await gate.create(
        destination="DE",
        consignee={"name": "Nordlicht Handel GmbH", "country": "DE", "ids": {"vat": "7744001497"}},
    )
    result = await gate.scan(gtin_with(demo_config, "9.A.4"))
    assert ("licence_required", "listed_party") == (result["decision"], result["reasons"][0])


@pytest.mark.parametrize(
    ("vat", "hit"),
    [("RU7744001497", ["17016"]), ("RU 7744001497", ["17016"]), ("DE7744001497", [])],
)
async def test_a_tax_number_written_as_a_vat_number_is_looked_up_for_its_country(
    gate: Gate, vat: str, hit: list[str]
) -> None:
    """GAZPROMBANK OAO's tax number written as a Russian VAT number (country letters first)
    is its CSL entry's; behind another country's letters it is not (the entry is Russian)."""
    party = {"name": "Nordlicht Handel GmbH", "country": "DE", "ids": {"vat": vat}}
    status, doc = await gate.call("POST", "/api/v1/screen", party)
    assert 200 == status, doc
    assert hit == [h["entry"] for h in doc["hits"]]
