"""``gate compile``: good sources make a table; each bad source is named and writes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gate.errors import CompileError
from gate.table.compiler import compile_table, gtin_check_digit
from gate.table.native import Table

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"

CONTROL_LIST = """code,category,title,flags
1.A.1,1,Complete rocket systems,
1.E.1,1,Production technology for 1.A,production
2.A.1.c,1,Solid rocket motors,
9.A.4,2,Gyros,
"""

CATALOGUE = """gtin,description,control
09506000134352,Hex bolt M8x40 A2,
09506000134369,Gyro unit HG-100,9.A.4
40123455,Washer M8,
"""


def write(
    tmp_path: Path, control_list: str = CONTROL_LIST, catalogue: str = CATALOGUE
) -> tuple[Path, Path]:
    cl = tmp_path / "control-list.csv"
    cat = tmp_path / "catalogue.csv"
    cl.write_text(control_list)
    cat.write_text(catalogue)
    return cl, cat


def test_check_digit_known_answers() -> None:
    """The GS1 mod-10 check digit of GS1's own example GTINs (GS1 General Specifications 7.9)."""
    assert 2 == gtin_check_digit("0950600013435")
    assert 5 == gtin_check_digit("4012345")
    assert 6 == gtin_check_digit("61414100003")


def test_compile_round_trip(tmp_path: Path) -> None:
    """A good control list and catalogue compile into a table that classifies each row."""
    cl, cat = write(tmp_path)
    out = tmp_path / "t.gtab"
    result = compile_table(cl, [cat], out)
    assert 3 == result.entries
    table = Table.open(out)
    gyro = table.lookup("09506000134369")
    assert ("9.A.4", 2, "Gyros") == (gyro.control, gyro.category, gyro.title)
    washer = table.lookup(40123455)
    assert ("Washer M8", "", 0) == (washer.description, washer.control, washer.category)
    assert table.info.source_digest == result.source_digest


def test_demo_configuration_compiles(tmp_path: Path) -> None:
    """The demo control list and catalogue compile cleanly, with all 17 non-reserved items."""
    result = compile_table(
        CONFIGS / "control-list.csv", [CONFIGS / "catalogue.csv"], tmp_path / "demo.gtab"
    )
    assert result.entries >= 500
    table = Table.open(result.path)
    items = {int(c.code.split(".")[0]) for c in table.controls}
    assert set(range(1, 21)) - {5, 7, 8} == items
    assert any("production" in c.flags for c in table.controls)


BAD_SOURCES = [
    (
        "catalogue",
        "gtin,description,control\n09506000134353,Bolt,\n",
        2,
        "check digit is 3, expected 2",
    ),
    (
        "catalogue",
        "gtin,description,control\n09506000134352,Bolt,4.Z.9\n",
        2,
        "not MTCR|unknown control code",
    ),
    (
        "catalogue",
        "gtin,description,control\n09506000134352,Bolt,3.A.1\n",
        2,
        "unknown control code '3.A.1'",
    ),
    (
        "catalogue",
        "gtin,description,control\n09506000134352,Bolt,\n9506000134352,Gyro,9.A.4\n",
        3,
        "appears again with another control code .first at .*:2",
    ),
    ("catalogue", 'gtin,description,control\n09506000134352,"Bolt,\n', 2, "malformed CSV"),
    (
        "catalogue",
        "gtin,description,control\n09506000134352,Bolt\n",
        2,
        "expected 3 fields, found 2",
    ),
    (
        "catalogue",
        "gtin,description,control\n0950600013435X,Bolt,\n",
        2,
        "must be 8, 12, 13 or 14 digits",
    ),
    ("catalogue", "gtin,description,control\n09506000134352,,\n", 2, "no description"),
    ("catalogue", "", 1, "empty file"),
    ("catalogue", "gtin,control\n", 1, "header is"),
    ("control", "code,category,title,flags\n5.A.1,2,Reserved item,\n", 2, "item 5 is reserved"),
    ("control", "code,category,title,flags\n3.A.1,1,Turbojets,\n", 2, "item 3 is Category 2"),
    ("control", "code,category,title,flags\n3.A.1,2,Turbojets,secret\n", 2, "unknown flag"),
    ("control", "code,category,title,flags\n3.A.1,2,Turbojets,production\n", 2, "Category I only"),
    (
        "control",
        "code,category,title,flags\n3.A.1,2,Turbojets,\n3.A.1,2,Again,\n",
        3,
        "appears twice",
    ),
    ("control", "code,category,title,flags\n21.A.1,2,Nothing,\n", 2, "items 1 to 20"),
    ("control", "code,category,title,flags\nmissiles,2,Nothing,\n", 2, "not MTCR Annex numbering"),
]


@pytest.mark.parametrize(("which", "text", "line", "problem"), BAD_SOURCES)
def test_bad_source_is_named_and_old_table_stays(
    tmp_path: Path, which: str, text: str, line: int, problem: str
) -> None:
    """A bad row stops the compile with file, line and problem; the old table is untouched."""
    cl, cat = write(tmp_path)
    out = tmp_path / "t.gtab"
    compile_table(cl, [cat], out)
    before = out.read_bytes()
    (cat if which == "catalogue" else cl).write_text(text)
    with pytest.raises(CompileError, match=problem) as caught:
        compile_table(cl, [cat], out)
    assert (str(cat if which == "catalogue" else cl), line) == (
        caught.value.path,
        caught.value.line,
    )
    assert before == out.read_bytes()
    assert {out.name, cat.name, cl.name} == {p.name for p in tmp_path.iterdir()}


def test_same_gtin_same_control_is_kept_once(tmp_path: Path) -> None:
    """A GTIN listed twice with the same control is one entry, not an error."""
    cl, cat = write(tmp_path, catalogue=CATALOGUE + "9506000134369,Gyro again,9.A.4\n")
    result = compile_table(cl, [cat], tmp_path / "t.gtab")
    assert (3, 1) == (result.entries, result.skipped_duplicates)


def test_cli_compile_error_is_one_line_and_nonzero(tmp_path: Path) -> None:
    """`gate compile` prints file:line: problem on one line and exits 1, writing nothing."""
    cl, cat = write(tmp_path, catalogue="gtin,description,control\n09506000134353,Bolt,\n")
    out = tmp_path / "t.gtab"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "gate",
            "compile",
            "--control-list",
            str(cl),
            "--catalogue",
            str(cat),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert 1 == run.returncode
    assert (
        f"gate compile: {cat}:2: GTIN 09506000134353: check digit is 3, expected 2\n" == run.stderr
    )
    assert not out.exists()


def test_output_that_cannot_be_written_is_a_compile_error(tmp_path: Path) -> None:
    """An output path that cannot be written (here a folder) is a CompileError naming it,
    not an OSError traceback."""
    cl, cat = write(tmp_path)
    out = tmp_path / "t.gtab"
    out.mkdir()
    with pytest.raises(CompileError, match="cannot write the table") as caught:
        compile_table(cl, [cat], out)
    assert str(out) == caught.value.path
    assert str(caught.value).startswith(f"{out}: cannot write the table: "), "no line 0"


def test_a_missing_source_is_named_without_a_line(tmp_path: Path) -> None:
    """A catalogue that does not exist: its name and why, with no `:0` line number."""
    cl, _ = write(tmp_path)
    missing = tmp_path / "nope.csv"
    with pytest.raises(CompileError) as caught:
        compile_table(cl, [missing], tmp_path / "t.gtab")
    assert f"{missing}: cannot read: No such file or directory" == str(caught.value)


def test_spreadsheet_csv_with_a_byte_order_mark_compiles(tmp_path: Path) -> None:
    """A catalogue and control list saved by a spreadsheet as "CSV UTF-8" (a BOM first)
    compile as without it."""
    cl, cat = write(tmp_path)
    for path in (cl, cat):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    out = tmp_path / "t.gtab"
    assert 3 == compile_table(cl, [cat], out).entries
    assert "9.A.4" == Table.open(out).lookup("09506000134369").control


@pytest.mark.parametrize(
    ("which", "code", "hint"),
    [
        ("catalogue", "9.a.4", "did you mean 9.A.4?"),
        ("catalogue", "2.a.1.C", "did you mean 2.A.1.c?"),
        ("control", "9.a.4", "did you mean 9.A.4?"),
    ],
)
def test_a_control_code_in_the_wrong_case_gets_a_suggestion(
    tmp_path: Path, which: str, code: str, hint: str
) -> None:
    """A control code in the wrong case is refused (never guessed), and the error names the
    code it probably is."""
    if which == "catalogue":
        cl, cat = write(tmp_path, catalogue=CATALOGUE.replace(",9.A.4", f",{code}"))
    else:
        cl, cat = write(tmp_path, control_list=CONTROL_LIST.replace("9.A.4,", f"{code},"))
    with pytest.raises(CompileError) as caught:
        compile_table(cl, [cat], tmp_path / "t.gtab")
    assert str(caught.value).endswith(hint), str(caught.value)
    assert not (tmp_path / "t.gtab").exists()


def test_an_unknown_code_in_no_case_gets_no_suggestion(tmp_path: Path) -> None:
    cl, cat = write(tmp_path, catalogue=CATALOGUE.replace(",9.A.4", ",9.a.9"))
    with pytest.raises(CompileError) as caught:
        compile_table(cl, [cat], tmp_path / "t.gtab")
    assert "did you mean" not in str(caught.value)
