"""``gate simulate`` against a real gate: a ``python -m gate serve`` process on the demo
configuration (copied to a temporary folder, free ports; the ``served`` fixture), checked
through the gate's own API.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gate.cli.simulate import Options, Report, check_digit, sgtin96_hex, simulate, sscc18
from gate.core.identifiers import decode
from tests.service.harness import ROOT, Served

SEALED = re.compile(r"^(?P<door>\S+)\s+(?P<id>SIM-\S+)\s+sealed: (?P<state>\w+) ", re.M)
CLOSED = re.compile(
    r"^(?P<door>\S+)\s+(?P<id>SIM-\S+)\s+(?:dispatched: (?P<dispatched>\w+)"
    r"|(?P<cancelled>cancelled) by the simulator)",
    re.M,
)
SCANS = re.compile(
    r"^summary: (?P<sent>\d+) scans sent .*: (?P<accepted>\d+) accepted,"
    r" (?P<duplicate>\d+) duplicate, (?P<rejected>\d+) rejected$",
    re.M,
)
UNITS = re.compile(r"^summary: (?P<units>\d+) units counted into the shipments ", re.M)
SHIPMENTS = re.compile(
    r"^summary: (?P<total>\d+) shipments: (?P<cleared>\d+) cleared, (?P<held>\d+) held,"
    r" (?P<blocked>\d+) blocked; (?P<dispatched>\d+) dispatched, (?P<cancelled>\d+) cancelled$",
    re.M,
)


# --- the gate under test: a real `gate serve` process (the ``served`` fixture) -------------


def scan_counts(served: Served) -> dict[str, int]:
    """The gate's own count of scan answers by status, from /metrics."""
    status, body = served.call("GET", "/metrics")
    assert 200 == status, body
    found = re.findall(r'^gate_scans_total\{status="(\w+)"\} ([0-9.e+]+)$', body, re.M)
    return {name: int(float(value)) for name, value in found}


def _simulate_cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gate", "simulate", "--config", str(config), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _check_shipment(doc: dict[str, Any], sealed: str, final: str) -> None:
    """The gate's document agrees with what the simulator said happened to the shipment."""
    assert final == doc["state"], doc["id"]
    assert doc["sealed_at"] is not None
    active = [line for line in doc["lines"] if not line["removed"]]
    decisions = {line["decision"] for line in active}
    if sealed == "cleared":
        assert "dispatched" == final
        assert {"clear"} == decisions
    elif sealed == "blocked":
        assert "cancelled" == final
        assert "prohibited" in decisions
    else:
        assert "held" == sealed
        assert "cancelled" == final
        assert "prohibited" not in decisions
        assert any(line["decision"] == "licence_required" for line in active)
        assert doc["requests"], "a held shipment has a licence request"


def _check_counts(served: Served, statuses: dict[str, int]) -> None:
    counted = scan_counts(served)
    for status in ("accepted", "duplicate", "rejected"):
        assert counted.get(status, 0) == statuses.get(status, 0), status


# --- the command, as an operator runs it --------------------------------------------------


def test_simulate_reports_what_the_gate_decided(served: Served) -> None:
    """`gate simulate` over HTTP reports shipments that exist in the gate in the states it
    names, and its summary counts are the gate's own counts of scan answers."""
    done = _simulate_cli(
        served.config,
        *("--doors", "D1", "--shipments", "2", "--rate", "200", "--seed", "1", "--close-all"),
    )
    assert 0 == done.returncode, done.stderr
    out = done.stdout
    sealed = {m["id"]: m["state"] for m in SEALED.finditer(out)}
    closed = {m["id"]: m["dispatched"] or m["cancelled"] for m in CLOSED.finditer(out)}
    assert 2 == len(sealed)
    assert set(sealed) == set(closed)
    assert all(m["door"] == "D1" for m in SEALED.finditer(out))

    docs = {doc["id"]: doc for doc in served.api("/shipments?door=D1")["shipments"]}
    assert set(sealed) == set(docs)
    for sid, state in sealed.items():
        _check_shipment(docs[sid], state, closed[sid])

    scans = SCANS.search(out)
    assert scans is not None, out
    statuses = {k: int(scans[k]) for k in ("accepted", "duplicate", "rejected")}
    assert int(scans["sent"]) == sum(statuses.values())
    assert int(scans["sent"]) > 0
    _check_counts(served, statuses)
    units = UNITS.search(out)
    assert units is not None, out
    assert sum(line["quantity"] for doc in docs.values() for line in doc["lines"]) == int(
        units["units"]
    )

    shipments = SHIPMENTS.search(out)
    assert shipments is not None, out
    assert 2 == int(shipments["total"])
    for state in ("cleared", "held", "blocked"):
        assert list(sealed.values()).count(state) == int(shipments[state])
    assert list(closed.values()).count("dispatched") == int(shipments["dispatched"])
    assert list(closed.values()).count("cancelled") == int(shipments["cancelled"])
    door = served.api("/doors/D1")
    assert door["shipment"] is None, "the simulator leaves the door free"


async def test_simulate_over_the_scanner_socket(served: Served) -> None:
    """Over the msgpack scanner socket, the report's shipments and scan counts are the
    gate's."""
    out = io.StringIO()
    options = Options(
        served.config, ("D1", "D2"), shipments=2, rate=500.0, socket=True, seed=5, close_all=True
    )
    report: Report = await simulate(options, out)
    assert 4 == len(report.outcomes)
    docs = {doc["id"]: doc for doc in served.api("/shipments")["shipments"]}
    assert {o.id for o in report.outcomes} == set(docs)
    for outcome in report.outcomes:
        assert outcome.sealed is not None and outcome.final is not None
        assert outcome.door == docs[outcome.id]["door"]
        _check_shipment(docs[outcome.id], outcome.sealed, outcome.final)
    assert report.scans_sent == sum(report.statuses.values())
    _check_counts(served, dict(report.statuses))
    assert "summary:" in out.getvalue()


def test_simulate_without_a_gate_exits_1_with_one_line(demo_config: Path) -> None:
    """`gate simulate` against a gate that is not running exits 1 with one line on stderr."""
    done = _simulate_cli(demo_config, "--doors", "D1", "--shipments", "1", "--seed", "1")
    assert 1 == done.returncode
    lines = done.stderr.splitlines()
    assert 1 == len(lines), done.stderr
    assert lines[0].startswith("gate simulate: cannot reach the gate at http://127.0.0.1:")


# --- the identifiers it encodes ------------------------------------------------------------


def test_sgtin96_known_answer() -> None:
    """SGTIN-96 encodes the EPC Tag Data Standard's example urn:epc:id:sgtin:0614141.812345.6789
    (filter 3) as 3074257BF7194E4000001A85."""
    assert "3074257BF7194E4000001A85" == sgtin96_hex("80614141123458", 6789, filter_value=3)


@given(
    body=st.from_regex(r"[0-9]{13}", fullmatch=True),
    serial=st.integers(0, (1 << 38) - 1),
    filter_value=st.integers(0, 7),
)
def test_sgtin96_decodes_to_the_same_gtin_and_serial(
    body: str, serial: int, filter_value: int
) -> None:
    """The gate decodes every SGTIN-96 the simulator encodes to its GTIN-14 and serial."""
    gtin = body + check_digit(body)
    item = decode(sgtin96_hex(gtin, serial, filter_value=filter_value))
    assert (gtin, str(serial), filter_value) == (item.key, item.serial, item.filter)


@given(extension=st.integers(0, 9), reference=st.integers(0, 10**9 - 1))
def test_sscc18_has_a_valid_check_digit(extension: int, reference: int) -> None:
    """The gate accepts every SSCC the simulator builds, plain and as AI 00."""
    sscc = sscc18(extension, "4012345", reference)
    assert sscc == decode(sscc).sscc
    assert sscc == decode(f"]C100{sscc}").sscc
