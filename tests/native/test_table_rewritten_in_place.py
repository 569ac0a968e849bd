"""Attack: the table file truncated or overwritten in place under a running reader (issue 11.6).

A table that mapped its file died of SIGBUS on the next lookup of an uncached key once the
file was truncated, and answered from whatever was written over it. Each test here does that
to a reader in another process (so a SIGBUS kills the child, not the test run) and checks that
it keeps answering from the table it opened; then that a gate started on a broken table file
rebuilds it from its sources.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.table import native as lt
from gate.table.compiler import compile_table, is_stale
from tests.conftest import ROOT
from tests.native.test_table import CONTROLS, build
from tests.service.harness import Served, call, catalogue_rows, until

# The reader: opens the table, says so, waits for the parent's go, then looks every key up
# for the first time (no answer cache can help) and prints what it found.
READER = """
import json, sys
from gate.table.native import Table
table = Table.open(sys.argv[1])
print("open", flush=True)
keys = json.loads(sys.stdin.readline())
found = {}
for key in keys:
    c = table.lookup(key)
    found[key] = None if c is None else [c.description, c.control]
print(json.dumps(found), flush=True)
"""


def _truncate(path: Path) -> None:
    os.truncate(path, 0)


def _cut_in_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def _overwrite_with_garbage(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.write(bytes((i * 7 + 3) & 0xFF for i in range(size)))


def _overwrite_with_another_table(path: Path) -> None:
    """`cp other.gtab table.gtab`: the same inode, rewritten with a valid table of other rows."""
    other = path.with_name("other.gtab")
    build(other, {key: ("swapped", 0) for key in _rows()})
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(other.read_bytes())


def _rows() -> dict[int, tuple[str, int]]:
    return {9506000134352 + 10 * i: (f"item {i}", i % len(CONTROLS)) for i in range(20000)}


@pytest.mark.parametrize(
    "attack",
    [_truncate, _cut_in_half, _overwrite_with_garbage, _overwrite_with_another_table],
    ids=["truncated to 0", "cut in half", "overwritten with garbage", "overwritten by cp"],
)
def test_table_rewritten_in_place_keeps_answering_from_the_table_it_opened(
    tmp_path: Path, attack: Callable[[Path], None]
) -> None:
    """A reader whose table file is truncated or overwritten in place looks up keys it never
    looked up before without a crash, and every answer is the one of the table it opened."""
    rows = _rows()
    path = tmp_path / "table.gtab"
    build(path, rows)
    assert_reader_survives([READER, str(path)], path, attack, rows)


def assert_reader_survives(
    script: list[str],
    path: Path,
    attack: Callable[[Path], None],
    rows: dict[int, tuple[str, int]],
) -> None:
    """Runs ``python -c SCRIPT...`` (a reader that opens the table, prints "open", then
    answers the keys it reads as JSON), attacks ``path`` while it holds the table, and checks
    that it neither died nor answered anything but the table it opened (``rows``)."""
    keys = [*list(rows)[::97], 9506000134352 + 5]
    reader = subprocess.Popen(
        [sys.executable, "-c", *script],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert "open" == reader.stdout.readline().strip(), reader.stderr
        attack(path)
        out, err = reader.communicate(json.dumps(keys) + "\n", timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
        reader.wait()
    assert (0, "") == (reader.returncode, err), f"reader died: signal {-reader.returncode}"
    expected = {
        str(key): (None if key not in rows else [rows[key][0], CONTROLS[rows[key][1]][0]])
        for key in keys
    }
    assert expected == json.loads(out)


def test_a_table_never_maps_its_file(tmp_path: Path) -> None:
    """An open table is a private copy: its file appears in no mapping of the process."""
    path = tmp_path / "never-mapped.gtab"
    build(path, _rows())
    table = lt.Table.open(path)
    assert "item 0" == table.lookup(9506000134352).description
    assert str(path) not in Path("/proc/self/maps").read_text()


# --- a corrupt table at start -------------------------------------------------------------------


@pytest.mark.parametrize("attack", [_truncate, _cut_in_half, _overwrite_with_garbage])
def test_table_file_broken_after_compile_counts_as_stale(
    tmp_path: Path, attack: Callable[[Path], None]
) -> None:
    """A table file newer than its sources but refused by the reader must be compiled again
    (`serve` rebuilds it from the sources instead of refusing to start)."""
    control_list = tmp_path / "control-list.csv"
    catalogue = tmp_path / "catalogue.csv"
    control_list.write_text("code,category,title,flags\n9.A.4,2,Gyros,\n")
    catalogue.write_text("gtin,description,control\n09506000134369,Gyro unit,9.A.4\n")
    output = tmp_path / "table.gtab"
    compile_table(control_list, [catalogue], output)
    assert not is_stale(output, [control_list, catalogue])
    attack(output)
    assert is_stale(output, [control_list, catalogue])


# --- a running gate -------------------------------------------------------------------------------


def _logged_refusal(log: str) -> bool:
    """True once the gate's log says a reload was refused (the watcher saw the change)."""
    return any("reload" in line and "refused" in line for line in log.splitlines())


def _classified(url: str, gtin: str) -> str | None:
    status, body = call(url, "GET", f"/api/v1/items/{gtin}")
    assert 200 == status, body
    classification = body["classification"]
    return None if classification is None else str(classification["control"])


@pytest.mark.slow
async def test_gate_survives_its_table_rewritten_in_place_and_restarts_from_sources(
    demo_config: Path, serve: Callable[..., Awaitable[Served]]
) -> None:
    """A running gate whose table file is truncated, then overwritten with garbage, keeps
    classifying items it never looked up from the table it loaded, refuses the broken file
    when it notices the change, and a restart on the broken file rebuilds the table from its
    sources."""
    table_path = load_config(demo_config).table.path
    rows = catalogue_rows(demo_config)
    controls = {gtin: (control or None) for gtin, _, control in rows}
    batches = [rows[i::3] for i in range(3)]
    served = await serve(demo_config)
    assert controls[batches[0][0][0]] == _classified(served.url, batches[0][0][0])
    _truncate(table_path)
    for gtin, _, _ in batches[0][1:]:
        assert controls[gtin] == _classified(served.url, gtin), gtin
    _overwrite_with_garbage(table_path)
    await until(lambda: _logged_refusal(served.stderr()), "the broken table refused")
    for gtin, _, _ in batches[1]:
        assert controls[gtin] == _classified(served.url, gtin), gtin
    assert served.proc.poll() is None
    assert 0 == await served.stop(), served.stderr()

    # The file is still garbage and newer than its sources: a start compiles it again.
    with pytest.raises(lt.TableError):
        lt.Table.open(table_path)
    served = await serve(demo_config)
    for gtin, _, _ in batches[2]:
        assert controls[gtin] == _classified(served.url, gtin), gtin
    assert 0 == await served.stop(), served.stderr()
    assert len(rows) == lt.Table.open(table_path).info.entries
