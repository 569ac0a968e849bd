"""What every command shares: ``gate --version``, log lines with UTC timestamps, and a file
that cannot be read refused in one line."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from gate.cli.main import main
from tests.service.harness import ROOT, Served

STAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR) \S+: ")


def test_version() -> None:
    """`gate --version` prints the installed package's version."""
    done = subprocess.run(
        [sys.executable, "-m", "gate", "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert f"gate {version('gate')}" == done.stdout.strip()


async def test_serve_log_lines_carry_utc_timestamps(served: Served) -> None:
    """Every line `gate serve` logs starts with its UTC time, level and logger."""
    lines = [x for x in served.stderr().splitlines() if x.strip()]
    assert lines
    assert [] == [x for x in lines if not STAMPED.match(x)]


def test_approve_without_the_office_key_where_the_gate_requires_it_is_one_line(
    demo_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gate approve` without --key-file, for a gate whose config names the office's public
    key (it takes only v1a): exit 1 and one line that says to give --key-file, nothing sent."""
    args = ["approve", "--config", str(demo_config), "--request", "S1-r1@dock-a"]
    assert 1 == main([*args, "--shipment", "S1", "--licence", "EXP-1"])
    out, err = capsys.readouterr()
    assert ("", 1) == (out, len(err.splitlines())), err
    assert "give --key-file" in err


@pytest.mark.parametrize("key_file", ["no-such.key", "."])
def test_approve_with_an_unreadable_key_file_is_one_line(
    demo_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], key_file: str
) -> None:
    """`gate approve --key-file` naming a missing file or a folder: exit 1 and one line that
    names the option and the file (it was a traceback), before anything is sent."""
    path = str(tmp_path / key_file)
    args = ["approve", "--config", str(demo_config), "--request", "S1-r1", "--shipment", "S1"]
    assert 1 == main([*args, "--licence", "EXP-1", "--key-file", path])
    out, err = capsys.readouterr()
    assert ("", 1) == (out, len(err.splitlines())), err
    assert err.startswith(f"gate approve: --key-file {path}: ")
