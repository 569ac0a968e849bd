"""After a reload of changed lists, the process keeps no screening index but the one the gate
screens with: the index kept for other gates of the process to reuse is replaced as well,
so the index of the first load is not held for the life of the process."""

from __future__ import annotations

from pathlib import Path

from gate.service import screening
from gate.web import app_keys
from tests.service.harness import Gate


async def test_a_reload_leaves_only_the_index_in_use(gate: Gate, demo_config: Path) -> None:
    """After a reload of a changed list, the kept snapshot is the one the gate screens with,
    not the first load's."""
    state = gate.app[app_keys.SCREENING]
    assert state.snapshot is not None
    first = state.snapshot.index
    notices = demo_config.parent / "lists" / "notices.csv"
    added = "Vantorel Dynamics SA,,CH,DEMO-DN-2026-902,2026-11-02\n"
    notices.write_text(notices.read_text() + added)
    await gate.app[app_keys.RELOADER].reload("test")
    kept = screening._LAST
    assert kept is not None
    assert (True, False) == (kept[1] is state.snapshot, kept[1].index is first)
