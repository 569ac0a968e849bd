"""The demo control list and catalogue follow the current MTCR Annex numbering (issue 12's
corrections), and every catalogue control exists in the control list."""

from __future__ import annotations

import csv

import pytest

from tests.conftest import ROOT

CONFIGS = ROOT / "configs"


def rows(name: str) -> list[dict[str, str]]:
    with open(CONFIGS / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


CONTROLS = {row["code"]: row for row in rows("control-list.csv")}
CATALOGUE = {row["gtin"]: row for row in rows("catalogue.csv")}


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("6.C.5", "radome"),
        ("6.C.6", "ceramic"),
        ("6.C.7.a", "tungsten"),
        ("6.C.7.b", "molybdenum"),
        ("6.C.8", "maraging"),
        ("6.C.9", "duplex"),
        ("9.A.3", "bias and scale-factor"),
        ("11.A.3.b.1", "600 m/s"),
        ("11.A.3.b.2", "decryption"),
        ("11.A.3.b.3", "anti-jam"),
        ("13.A.1", "-45 to +55"),
        ("3.B.3", "more than two"),
        ("15.B.6", "aerothermodynamic"),
        ("4.C.2.g", "hydrazine replacement"),
        ("20.D.1", "20.B.1"),
    ],
)
def test_corrected_entries_say_what_the_annex_says(code: str, words: str) -> None:
    """Each corrected or added code is present with the Annex's subject in its title."""
    assert words.lower() in CONTROLS[code]["title"].lower()


@pytest.mark.parametrize("code", ["15.D.2", "9.A.3.a", "9.A.3.b", "3.A.5.a", "5.A.1", "7.A.1"])
def test_codes_that_do_not_exist_are_absent(code: str) -> None:
    """15.D.2 does not exist, 9.A.3 is one entry, 3.A.5's letters are its Note's criteria,
    items 5 and 7 are reserved."""
    assert code not in CONTROLS


def test_every_catalogue_control_is_in_the_control_list() -> None:
    """No catalogued item points at a code the control list does not have."""
    missing = {row["control"] for row in CATALOGUE.values() if row["control"]} - set(CONTROLS)
    assert set() == missing


@pytest.mark.parametrize(
    ("gtin", "control"),
    [
        ("09506000014692", "9.A.5"),  # 150 g continuous-output MEMS accelerometer
        ("08712345059200", ""),  # 200 mm maraging bar: not an MTCR form
        ("04012345035087", ""),  # flow-forming machine with two contouring axes
        ("08712345059217", "6.C.9"),  # Ti-DSS plate
        ("08712345059057", "6.C.7.c"),  # tungsten heavy alloy bar
    ],
)
def test_catalogue_knock_ons(gtin: str, control: str) -> None:
    """The catalogue rows the corrections touch carry the corrected code (or none)."""
    assert control == CATALOGUE[gtin]["control"]
