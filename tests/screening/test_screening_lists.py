"""The list loader keeps the last good version of a list and says why it refused a new one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gate.service import screening_lists
from gate.service.screening import list_changes
from gate.service.screening_lists import ListSource, load_lists
from tests.screening.lists import LISTS


def sources(folder: Path) -> list[ListSource]:
    return [
        ListSource("notices", "gate-csv", (folder / "notices.csv",), "licence"),
        ListSource("bis_dpl", "dpl-tsv", (folder / "dpl.txt",), "prohibit"),
    ]


def copy_lists(folder: Path) -> None:
    for name in ("notices.csv", "dpl.txt"):
        shutil.copy(LISTS / name, folder / name)


def test_loads_every_configured_list(tmp_path: Path) -> None:
    """Both files load, with no refusal, into one index."""
    copy_lists(tmp_path)
    snapshot, refusals = load_lists(sources(tmp_path))
    assert () == refusals
    assert {"notices": 21, "bis_dpl": 417} == {
        key: len(item.parsed.entries) for key, item in snapshot.lists.items()
    }
    assert 21 + 417 == len(snapshot.index.entries)


def test_broken_list_is_refused_and_the_old_one_stays(tmp_path: Path) -> None:
    """A reload with a truncated notices file refuses it, says why, and keeps the old entries."""
    copy_lists(tmp_path)
    first, _ = load_lists(sources(tmp_path))
    (tmp_path / "notices.csv").write_text("name,aliases,country,reference,date\n")
    second, refusals = load_lists(sources(tmp_path), first)
    assert ["notices"] == [r.list_id for r in refusals]
    assert "no entry" in refusals[0].reason
    assert first.lists["notices"] is second.lists["notices"]


def test_missing_file_on_first_load_leaves_the_list_out(tmp_path: Path) -> None:
    """A list whose file is missing at start is absent, with a refusal naming the file."""
    copy_lists(tmp_path)
    (tmp_path / "dpl.txt").unlink()
    snapshot, refusals = load_lists(sources(tmp_path))
    assert ["notices"] == list(snapshot.lists)
    assert "cannot read" in refusals[0].reason
    assert str(tmp_path / "dpl.txt") in refusals[0].reason


def test_unchanged_files_keep_the_snapshot(tmp_path: Path) -> None:
    """A reload with the same bytes returns the same snapshot (nothing parsed again)."""
    copy_lists(tmp_path)
    first, _ = load_lists(sources(tmp_path))
    second, refusals = load_lists(sources(tmp_path), first)
    assert () == refusals
    assert first is second


def test_changed_list_rebuilds_the_index(tmp_path: Path) -> None:
    """A changed notices file is parsed again and its new entry is in the new index."""
    copy_lists(tmp_path)
    first, _ = load_lists(sources(tmp_path))
    with open(tmp_path / "notices.csv", "a", encoding="utf-8") as handle:
        handle.write("Quillfeather Rotors Ltd,,GB,DEMO-DN-2026-001,2026-01-05\n")
    second, refusals = load_lists(sources(tmp_path), first)
    assert () == refusals
    assert first.lists["bis_dpl"] is second.lists["bis_dpl"]
    assert 22 == len(second.lists["notices"].parsed.entries)


def test_oversized_file_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file over the size limit is refused with its size, and the old version stays."""
    copy_lists(tmp_path)
    first, _ = load_lists(sources(tmp_path))
    monkeypatch.setattr(screening_lists, "MAX_LIST_BYTES", 10_000)
    second, refusals = load_lists(sources(tmp_path), first)
    assert ["bis_dpl"] == [r.list_id for r in refusals]
    assert "over 10000" in refusals[0].reason
    assert first.lists["bis_dpl"] is second.lists["bis_dpl"]


def test_a_list_whose_places_alone_changed_is_a_change(tmp_path: Path) -> None:
    """A reload where only an address's city changed (no entry's version does) still reports
    the list as changed, so the shipments are screened again: the places a party's name may
    end with come from the lists' addresses (gate.core.screening.places), and a new one can
    make a hit ("Rosoboronexport Quillfeather" once the lists name Quillfeather). review13:
    on screen12 ``list_changes`` said nothing changed, and nothing was re-decided."""
    copy_lists(tmp_path)
    first, _ = load_lists(sources(tmp_path))
    lines = (tmp_path / "dpl.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[1].split("\t")
    cells[2] = "Quillfeather"  # the City column of the first entry
    lines[1] = "\t".join(cells)
    (tmp_path / "dpl.txt").write_text("".join(lines), encoding="utf-8")
    second, refusals = load_lists(sources(tmp_path), first)
    assert () == refusals
    assert ("quillfeather",) in second.index.places
    assert ["bis_dpl"] == list(list_changes(first, second))
