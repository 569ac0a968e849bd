"""The service maps only its own snapshots of the table (gate/table/snapshots.py, issue 11.6).

The configured table file is written by others, so a gate that mapped it died of SIGBUS when
it was truncated; one that copied it privately lost the constant-time open and the shared
pages. These tests hold the snapshot to its invariant: what is mapped is a read-only file in
the gate's folder, made once per table version, reused without a copy, never the configured
file, and old snapshots go.
"""

from __future__ import annotations

import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.table import errors as te
from gate.table import native as lt
from gate.table import snapshots
from tests.native.test_table import CONTROLS, build
from tests.native.test_table_rewritten_in_place import (
    _cut_in_half,
    _overwrite_with_another_table,
    _overwrite_with_garbage,
    _rows,
    _truncate,
    assert_reader_survives,
)
from tests.service.harness import Served, call, catalogue_rows, until


def _mapped_paths(pid: int | str = "self") -> set[str]:
    """The files a process maps (the path column of /proc/PID/maps)."""
    paths = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) == 6:
            paths.add(fields[5])
    return paths


def _permissions_of(path: Path) -> set[str]:
    """The permissions column of this process's mappings of ``path``."""
    lines = Path("/proc/self/maps").read_text().splitlines()
    return {line.split()[1] for line in lines if line.endswith(f" {path}")}


def _snapshot_files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


def test_the_snapshot_is_what_is_mapped_not_the_configured_file(tmp_path: Path) -> None:
    """A table opened for the service maps a file in the snapshot folder, shared and
    read-only; the configured file appears in no mapping of the process."""
    configured = tmp_path / "table.gtab"
    build(configured, _rows())
    folder = tmp_path / "db" / "tables"
    table = snapshots.open_snapshot(configured, folder)
    assert "item 0" == table.lookup(9506000134352).description
    mapped = _mapped_paths()
    [snapshot] = _snapshot_files(folder)
    assert str(snapshot) == table.info.path
    assert (True, False) == (str(snapshot) in mapped, str(configured) in mapped)
    # Shared and read-only ("r--s"): the pages are the page cache's, one copy for every
    # process that maps this snapshot.
    assert {"r--s"} == _permissions_of(snapshot)


def test_a_snapshot_is_read_only_and_holds_the_configured_table(tmp_path: Path) -> None:
    """The snapshot has no write permission bit and the same bytes as the configured file."""
    configured = tmp_path / "table.gtab"
    build(configured, _rows())
    folder = tmp_path / "tables"
    snapshots.open_snapshot(configured, folder)
    [snapshot] = _snapshot_files(folder)
    assert 0o444 == stat.S_IMODE(snapshot.stat().st_mode)
    assert configured.read_bytes() == snapshot.read_bytes()


def test_a_second_open_of_the_same_version_reuses_the_snapshot(tmp_path: Path) -> None:
    """Opening the same table version again maps the snapshot already there: no new file,
    no copy (same inode, same modification time)."""
    configured = tmp_path / "table.gtab"
    build(configured, _rows())
    folder = tmp_path / "tables"
    first = snapshots.open_snapshot(configured, folder)
    [snapshot] = _snapshot_files(folder)
    before = snapshot.stat()
    second = snapshots.open_snapshot(configured, folder)
    after = snapshot.stat()
    assert [snapshot] == _snapshot_files(folder)
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert first.info.path == second.info.path


def test_a_new_version_gets_a_new_snapshot_and_prune_removes_the_old(tmp_path: Path) -> None:
    """A rebuilt table gets its own snapshot; pruning keeps only the one in use, and the old
    table, whose file is gone, still answers from its mapping."""
    configured = tmp_path / "table.gtab"
    build(configured, _rows())
    folder = tmp_path / "tables"
    old = snapshots.open_snapshot(configured, folder)
    build(configured, {key: ("swapped", 0) for key in _rows()})
    new = snapshots.open_snapshot(configured, folder)
    assert 2 == len(_snapshot_files(folder))
    (folder / ".leftover.tmp").write_bytes(b"half a copy")
    snapshots.prune(folder, [new])
    assert [Path(new.info.path)] == _snapshot_files(folder)
    assert ("item 1", "swapped") == (
        old.lookup(9506000134362).description,
        new.lookup(9506000134362).description,
    )


def test_a_snapshot_made_writable_is_replaced_not_mapped(tmp_path: Path) -> None:
    """A file under a snapshot name that anyone may write is never mapped: the next open
    copies the table again into a new read-only file."""
    configured = tmp_path / "table.gtab"
    build(configured, _rows())
    folder = tmp_path / "tables"
    snapshots.open_snapshot(configured, folder)
    [snapshot] = _snapshot_files(folder)
    snapshot.chmod(0o644)
    with pytest.raises(te.TableWritable):
        lt.Table.map(snapshot)
    table = snapshots.open_snapshot(configured, folder)
    assert [snapshot] == _snapshot_files(folder)
    assert 0o444 == stat.S_IMODE(snapshot.stat().st_mode)
    assert "item 0" == table.lookup(9506000134352).description


def test_the_snapshot_folder_is_writable_by_the_gate_alone(tmp_path: Path) -> None:
    """A snapshot folder that group or others may write loses those bits at the next load:
    whoever could write it could put another file under a snapshot's name."""
    configured = tmp_path / "table.gtab"
    build(configured, _rows())
    folder = tmp_path / "tables"
    folder.mkdir()
    folder.chmod(0o777)
    snapshots.open_snapshot(configured, folder)
    assert 0o755 == stat.S_IMODE(folder.stat().st_mode)


@pytest.mark.parametrize(
    ("attack", "error"),
    [
        (_truncate, te.TableEmpty),
        (_cut_in_half, te.TableTruncated),
        (_overwrite_with_garbage, te.TableBadMagic),
    ],
    ids=["truncated to 0", "cut in half", "overwritten with garbage"],
)
def test_a_broken_configured_file_is_refused_and_leaves_no_snapshot(
    tmp_path: Path, attack: Callable[[Path], None], error: type[te.TableError]
) -> None:
    """A configured file that is no usable table is refused by name, and nothing new (no
    snapshot, no temporary file) is left in the folder."""
    configured = tmp_path / "table.gtab"
    build(configured, _rows())
    folder = tmp_path / "tables"
    snapshots.open_snapshot(configured, folder)
    before = _snapshot_files(folder)
    attack(configured)
    with pytest.raises(error):
        snapshots.open_snapshot(configured, folder)
    assert before == _snapshot_files(folder)


# The reader of test_table_rewritten_in_place, through the service's way in: the snapshot.
READER = """
import json, sys
from pathlib import Path
from gate.table.snapshots import open_snapshot
table = open_snapshot(Path(sys.argv[1]), Path(sys.argv[2]))
print("open", flush=True)
keys = json.loads(sys.stdin.readline())
found = {}
for key in keys:
    c = table.lookup(key)
    found[key] = None if c is None else [c.description, c.control]
print(json.dumps(found), flush=True)
"""


@pytest.mark.parametrize(
    "attack",
    [_truncate, _cut_in_half, _overwrite_with_garbage, _overwrite_with_another_table],
    ids=["truncated to 0", "cut in half", "overwritten with garbage", "overwritten by cp"],
)
def test_configured_file_rewritten_under_a_mapped_snapshot(
    tmp_path: Path, attack: Callable[[Path], None]
) -> None:
    """A reader that mapped the snapshot looks up keys it never looked up before, after the
    configured file was truncated or overwritten in place, without a crash and with the
    answers of the table it opened."""
    rows = _rows()
    configured = tmp_path / "table.gtab"
    build(configured, rows)
    assert_reader_survives(
        [READER, str(configured), str(tmp_path / "tables")], configured, attack, rows
    )


# --- a running gate -------------------------------------------------------------------------------


def _gate_snapshots(served: Served, folder: Path) -> list[str]:
    """The gate's mapped files that lie in its snapshot folder."""
    return sorted(p for p in _mapped_paths(served.proc.pid) if p.startswith(f"{folder}/"))


@pytest.mark.slow
async def test_a_gate_maps_its_snapshot_and_a_reload_replaces_it(
    demo_config: Path, serve: Callable[..., Awaitable[Served]]
) -> None:
    """A running gate maps a read-only snapshot in the folder beside its database, never the
    configured table file; a new table written to the configured path is reloaded from a
    new snapshot, and the old snapshot is removed from the folder."""
    config = load_config(demo_config)
    folder = snapshots.folder_for(config.database)
    served = await serve(demo_config)
    [first] = _snapshot_files(folder)
    assert [str(first)] == _gate_snapshots(served, folder)
    assert str(config.table.path) not in _mapped_paths(served.proc.pid)
    assert 0o444 == stat.S_IMODE(first.stat().st_mode)

    gtin, _, control = catalogue_rows(demo_config)[0]
    other = next(i for i, row in enumerate(CONTROLS) if row[0] != control)
    build(config.table.path, {int(gtin): ("rebuilt", other)})
    await until(lambda: [first] != _snapshot_files(folder), "the new table snapshotted")
    [second] = await until(
        lambda: (lambda f: f if len(f) == 1 and f[0] != first else None)(_snapshot_files(folder)),
        "the old snapshot removed",
    )
    # The old table may still be mapped (as "(deleted)") until its last reader lets go.
    await until(lambda: str(second) in _gate_snapshots(served, folder), "the new one mapped")
    status, body = call(served.url, "GET", f"/api/v1/items/{gtin}")
    assert (200, CONTROLS[other][0]) == (status, body["classification"]["control"])
    assert str(config.table.path) not in _mapped_paths(served.proc.pid)
    assert 0 == await served.stop(), served.stderr()
