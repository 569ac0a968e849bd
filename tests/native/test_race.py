"""The table registry under ThreadSanitizer: threads open, probe by tag and close at once."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NATIVE = ROOT / "native"


@pytest.mark.slow
def test_registry_has_no_data_race_and_tags_answer_for_their_own_table(tmp_path: Path) -> None:
    """Eight threads opening, probing by tag and closing tables at once (as Python threads do:
    cffi releases the GIL for every call) race on nothing, and every tagged lookup answers
    from the thread's own table."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    assert compiler is not None, "a C compiler is needed (gcc)"
    binary = tmp_path / "race_table"
    subprocess.run(
        [
            compiler,
            "-std=c11",
            "-O1",
            "-g",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fsanitize=thread",
            "-pthread",
            f"-I{NATIVE}",
            str(NATIVE / "table.c"),
            str(NATIVE / "race_table.c"),
            "-o",
            str(binary),
        ],
        check=True,
    )
    run = subprocess.run(
        [str(binary), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TSAN_OPTIONS": "halt_on_error=1"},
    )
    assert (0, "") == (run.returncode, run.stderr[-4000:])
    assert "lookups 48000" == run.stdout.strip()
