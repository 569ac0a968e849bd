"""`gate lookup`: one JSON object per code, from arguments or streamed from standard input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gate.table.compiler import compile_table

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lookup") / "t.gtab"
    compile_table(CONFIGS / "control-list.csv", [CONFIGS / "catalogue.csv"], out)
    return out


def catalogue(control: str) -> str:
    for line in (CONFIGS / "catalogue.csv").read_text().splitlines()[1:]:
        gtin, code = line.partition(",")[0], line.rpartition(",")[2]
        if code == control:
            return gtin
    raise AssertionError(control)


def run(
    table: Path, *codes: str, stdin: str | None = None, describe: bool = False
) -> list[dict[str, object]]:
    flags = ["--describe"] if describe else []
    done = subprocess.run(
        [sys.executable, "-m", "gate", "lookup", "--table", str(table), *flags, *codes],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_codes_from_arguments(table: Path) -> None:
    """A controlled GTIN, a GS1 element string with serial and an SGTIN tag each classify."""
    gyro = catalogue("9.A.4")
    out = run(table, gyro, f"(01){gyro}(21)SN7")
    assert [gyro, gyro] == [o["key"] for o in out]
    assert ("9.A.4", 2, None) == (out[0]["control"], out[0]["category"], out[0]["serial"])
    assert ("9.A.4", "SN7") == (out[1]["control"], out[1]["serial"])
    assert isinstance(out[0]["title"], str) and [] == out[0]["flags"]


def test_stdin_stream_mixed_lines(table: Path) -> None:
    """Each input line gets its object, in order: plain, unlisted, not in table, production
    flagged, a bad check digit and garbage (errors); blank lines are skipped."""
    production = catalogue("1.E.1")
    plain = catalogue("")
    lines = [
        production,
        plain,
        "00000000000017",
        "",
        "09506000134353",
        "not a code",
        production[1:],
    ]
    out = run(table, stdin="\n".join(lines) + "\n")
    assert 6 == len(out)
    assert (["production"], 1) == (out[0]["flags"], out[0]["category"])
    assert (None, 0) == (out[1]["control"], out[1]["category"])
    assert (None, None) == (out[2]["control"], out[2]["category"])
    assert "check digit" in str(out[3]["error"])
    assert "error" in out[4]
    assert production == out[5]["key"]  # a GTIN-13 pads to its GTIN-14 key


def test_many_codes_stream(table: Path) -> None:
    """Thousands of lines (more than one chunk of work) come out one object each, in order."""
    plain = catalogue("")
    codes = [plain, catalogue("9.A.4")] * 3000
    out = run(table, stdin="\n".join(codes))
    assert codes == [o["code"] for o in out]


def test_missing_table_is_one_line_error(tmp_path: Path) -> None:
    """A table that does not exist: exit 1 and one line that says so."""
    done = subprocess.run(
        [sys.executable, "-m", "gate", "lookup", "--table", str(tmp_path / "none.gtab"), "x"],
        capture_output=True,
        text=True,
    )
    assert 1 == done.returncode
    assert 1 == len(done.stderr.strip().splitlines())
    assert "No such file" in done.stderr


def test_descriptions_on_every_path(table: Path) -> None:
    """Codes given as arguments, and standard input with --describe, name each item's
    description from the catalogue, whichever path decoded it (a plain GTIN in C, an element
    string in Python); an unknown GTIN's is null. A bulk stream leaves it out by default."""
    gyro = catalogue("9.A.4")
    described = {
        line.partition(",")[0]: line.partition(",")[2].rpartition(",")[0]
        for line in (CONFIGS / "catalogue.csv").read_text().splitlines()[1:]
    }
    lines = f"{gyro}\n(01){gyro}(21)SN7\n00000000000017\n"
    out = run(table, stdin=lines, describe=True)
    assert [described[gyro], described[gyro], None] == [o["description"] for o in out]
    assert [described[gyro], None] == [o["description"] for o in run(table, gyro, "00000000000017")]
    assert not any("description" in o for o in run(table, stdin=lines))


def test_table_from_the_config(demo_config: Path) -> None:
    """Without --table, `gate lookup --config` uses the config's compiled table, like the
    other commands; before it is compiled, one line says which file is missing."""
    from gate.config.settings import load_config

    path = load_config(demo_config).table.path
    gyro = catalogue("9.A.4")
    command = [sys.executable, "-m", "gate", "lookup", "--config", str(demo_config), gyro]
    missing = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert 1 == missing.returncode
    assert [str(path)] == [x for x in [str(path)] if x in missing.stderr]
    compile_table(
        demo_config.parent / "control-list.csv", [demo_config.parent / "catalogue.csv"], path
    )
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    (found,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert ("9.A.4", gyro) == (found["control"], found["key"])
