"""`gate callback KIND FILE`: a body written by hand (a standing licence, a clearance) signed
with the office's key and sent to a running gate, as the central office would."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gate.storage.store import connect_readonly
from tests.central.test_central_link import licence_body
from tests.service.harness import Gate

pytestmark = pytest.mark.slow  # `gate callback` processes


async def run_callback(
    gate: Gate, config: Path, kind: str, body: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "gate", "callback", kind, str(body), "--config", str(config)]
    command += ["--url", f"{gate.url}/api/v1/{kind}", *extra]
    return await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True)


def journal_count(gate: Gate, kind: str) -> int:
    conn = connect_readonly(gate.config.database)
    try:
        (count,) = conn.execute("SELECT count(*) FROM audit WHERE kind = ?", (kind,)).fetchone()
    finally:
        conn.close()
    return int(count)


async def test_a_standing_licence_written_by_hand_is_signed_and_stored(
    gate: Gate, demo_config: Path, tmp_path: Path
) -> None:
    """The licence body from a file, signed v1a with the office's key file: the gate stores
    it (answered on stdout) and lists it."""
    body = tmp_path / "licence.json"
    body.write_text(json.dumps(licence_body(4, number="SL-HAND")))
    key = str(demo_config.parent / "demo-office.key")
    run = await run_callback(gate, demo_config, "licences", body, "--key-file", key)
    assert 0 == run.returncode, run.stderr
    assert {"stored": True, "number": "SL-HAND"} == json.loads(run.stdout)
    _, listed = await gate.call("GET", "/api/v1/licences")
    assert [("SL-HAND", 4)] == [(x["number"], x["remaining"]) for x in listed["licences"]]


async def test_a_body_the_gate_refuses_is_one_line_naming_the_answer(
    gate: Gate, demo_config: Path, tmp_path: Path
) -> None:
    """A clearance missing its entry: the gate's 400 and its detail in one line, exit 1,
    nothing journaled."""
    body = tmp_path / "clearance.json"
    party = {"name": "Orbital Tradewinds Holding LLC", "country": "US"}
    body.write_text(json.dumps({"party": party, "list": "notices", "version": "1"}))
    key = str(demo_config.parent / "demo-office.key")
    run = await run_callback(gate, demo_config, "clearances", body, "--key-file", key)
    assert 1 == run.returncode
    lines = run.stderr.strip().splitlines()
    assert 1 == len(lines) and lines[0].startswith("gate callback: the gate answered 400"), lines
    assert "entry" in lines[0]
    assert 0 == journal_count(gate, "clearance.added")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("{not json", "not JSON"),
        ('["a", "list"]', "a callback's body is a JSON object"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_refused_before_sending(
    gate: Gate, demo_config: Path, tmp_path: Path, text: str, why: str
) -> None:
    """Not JSON, or JSON but not an object: one line naming the file, exit 1, and the gate
    never asked (its licences unchanged)."""
    body = tmp_path / "body.json"
    body.write_text(text)
    key = str(demo_config.parent / "demo-office.key")
    run = await run_callback(gate, demo_config, "licences", body, "--key-file", key)
    assert 1 == run.returncode
    lines = run.stderr.strip().splitlines()
    assert 1 == len(lines) and lines[0].startswith(f"gate callback: {body}: {why}"), lines
    _, listed = await gate.call("GET", "/api/v1/licences")
    assert [] == listed["licences"]


async def test_without_the_office_key_where_the_gate_requires_it(
    gate: Gate, demo_config: Path, tmp_path: Path
) -> None:
    """The demo config names the office's public key: without --key-file the command says so
    in one line and sends nothing."""
    body = tmp_path / "licence.json"
    body.write_text(json.dumps(licence_body(1)))
    run = await run_callback(gate, demo_config, "licences", body)
    assert 1 == run.returncode
    assert "give --key-file" in run.stderr and 1 == len(run.stderr.strip().splitlines())
    _, listed = await gate.call("GET", "/api/v1/licences")
    assert [] == listed["licences"]
