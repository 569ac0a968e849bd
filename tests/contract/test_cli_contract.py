"""The CLI as DESIGN.md 4 ("Commands") writes it: ``gate compile [--config PATH]
[--control-list CSV] [--catalogue CSV ...] [-o TABLE]``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gate.table.native import Table
from tests.test_compile import CATALOGUE, write

MORE = """gtin,description,control
09506000134376,Accelerometer AX-9,9.A.4
"""


def compile_with(tmp_path: Path, *catalogue_args: str) -> subprocess.CompletedProcess[str]:
    cl, _ = write(tmp_path)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "gate",
            "compile",
            "--control-list",
            str(cl),
            *catalogue_args,
            "-o",
            str(tmp_path / "t.gtab"),
        ],
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("form", ["one flag, several files", "the flag repeated"])
def test_compile_takes_several_catalogues(tmp_path: Path, form: str) -> None:
    """``--catalogue A B`` (the contract's ``--catalogue CSV ...``) and ``--catalogue A
    --catalogue B`` both compile the entries of both catalogues."""
    first = tmp_path / "first.csv"
    second = tmp_path / "second.csv"
    first.write_text(CATALOGUE)
    second.write_text(MORE)
    if form == "one flag, several files":
        args = ["--catalogue", str(first), str(second)]
    else:
        args = ["--catalogue", str(first), "--catalogue", str(second)]
    run = compile_with(tmp_path, *args)
    assert (0, "") == (run.returncode, run.stderr)
    found = Table.open(tmp_path / "t.gtab").lookup("09506000134376")
    assert found is not None and "9.A.4" == found.control
