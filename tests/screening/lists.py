"""The sample list files the screening tests read, and one index over all of them.

The files are copies of the published samples in configs/lists/ (see its README for source and
date) and small files built for the tests in tests/screening/data/.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from gate.core.screening import (
    ListPolicy,
    ParsedList,
    Party,
    ScreeningIndex,
    parse_csl_csv,
    parse_dpl_tsv,
    parse_eu_fsf_xml,
    parse_gate_csv,
    parse_sdn_csv,
    parse_un_xml,
    screen,
)

ROOT = Path(__file__).resolve().parents[2]
LISTS = ROOT / "configs" / "lists"
DATA = Path(__file__).resolve().parent / "data"

POLICIES = (
    ListPolicy("un", "prohibit"),
    ListPolicy("ofac_sdn", "prohibit"),
    ListPolicy("us_csl", "licence"),
    ListPolicy("bis_dpl", "prohibit"),
    ListPolicy("eu_fsf", "prohibit"),
    ListPolicy("notices", "licence"),
)


def read(name: str) -> bytes:
    """The bytes of a sample list file in configs/lists/."""
    return (LISTS / name).read_bytes()


@cache
def demo_lists() -> tuple[ParsedList, ...]:
    """Every demo list parsed: UN, SDN, the CSL sample, DPL, the notices and the EU test file."""
    return (
        parse_un_xml(read("UN_consolidated.xml")),
        parse_sdn_csv(read("sdn.csv"), read("alt.csv"), read("add.csv")),
        parse_csl_csv(read("csl.csv")),
        parse_dpl_tsv(read("dpl.txt")),
        parse_gate_csv(read("notices.csv")),
        parse_eu_fsf_xml((DATA / "eu_fsf.xml").read_bytes()),
    )


@cache
def demo_index() -> ScreeningIndex:
    """One index over demo_lists(), built once per test session (it takes a few seconds)."""
    return ScreeningIndex.build(demo_lists(), POLICIES)


def scores(name: str) -> dict[tuple[str, str], float]:
    """The demo index's hits for a party named ``name``: (list, entry) -> score."""
    return {(h.list, h.entry): h.score for h in screen(demo_index(), Party(name))}
