"""The table reader under AddressSanitizer and UndefinedBehaviorSanitizer, fed random files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NATIVE = ROOT / "native"
#: Seconds of fuzzing; CI keeps the default, a developer can raise it.
SECONDS = float(os.environ.get("GATE_FUZZ_SECONDS", "15"))

# Every refusal the reader has for a file, by status code (native/table.h).
ATTACH_REFUSALS = {
    -1: "empty",
    -2: "truncated",
    -3: "magic",
    -4: "version",
    -5: "header checksum",
    -7: "bounds",
    -8: "corrupt",
    -14: "oversize",
}


@pytest.mark.slow
def test_reader_survives_random_and_mutated_files(tmp_path: Path) -> None:
    """No byte string crashes the sanitized reader, the run reaches every refusal, and a table
    opened from a file survives the file being truncated and overwritten under it."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    assert compiler is not None, "a C compiler is needed (gcc)"
    binary = tmp_path / "fuzz_table"
    subprocess.run(
        [
            compiler,
            "-std=c11",
            "-O1",
            "-g",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fsanitize=address,undefined",
            "-fno-sanitize-recover=all",
            f"-I{NATIVE}",
            str(NATIVE / "table.c"),
            str(NATIVE / "fuzz_table.c"),
            "-o",
            str(binary),
        ],
        check=True,
    )
    run = subprocess.run(
        [str(binary), str(SECONDS), "20261128"],
        capture_output=True,
        text=True,
        timeout=SECONDS + 120,
        env={**os.environ, "ASAN_OPTIONS": "abort_on_error=1:detect_leaks=1"},
    )
    assert 0 == run.returncode, run.stderr[-4000:]
    counts = {}
    for line in run.stdout.splitlines():
        words = line.split()
        if words[0] == "attach":
            counts[int(words[1])] = int(words[2])
        elif words[0] == "files":
            files = int(words[1])
    assert files > 10_000
    missing = [name for code, name in ATTACH_REFUSALS.items() if counts.get(code, 0) == 0]
    assert [] == missing
    assert counts.get(0, 0) > 0, "some mutated files must open, to exercise lookups on them"
    # An open table whose file is truncated and overwritten under it answers as before.
    assert "file attack ok" in run.stdout.splitlines()
    assert "map check ok" in run.stdout.splitlines()
