"""What every command shares: ``gate --version`` and log lines with UTC timestamps."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version

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
