"""A list file edited while a reload is reading the lists is loaded afterwards, by the file
watch: the reload remembers the files as they were before it read them (a verifier's edit,
written while a big list was being read, was taken as seen and never screened, while the
gate said its lists were fresh)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gate.web import app_keys
from tests.screening.test_screening_api import refs, screen
from tests.service.harness import Gate, until

NAME = "Quellmark Avionik AG"
NOTICE = ("notices", "DEMO-DN-2026-960")


async def test_an_edit_made_while_a_reload_reads_is_loaded_next(
    gate: Gate, demo_config: Path
) -> None:
    """A reload is held at its lock once it has read the lists; the notices file is edited
    then; released, the reload ends, and the file watch loads the edit."""
    reloader = gate.app[app_keys.RELOADER]
    outcomes = gate.app[app_keys.SCREENING].outcomes
    read = sum(outcomes.values())
    await reloader.lock.acquire()
    try:
        reload = asyncio.ensure_future(reloader.reload("test"))
        await until(lambda: sum(outcomes.values()) > read, "the lists read by the reload")
        notices = demo_config.parent / "lists" / "notices.csv"
        notices.write_text(notices.read_text() + f"{NAME},,CH,{NOTICE[1]},2026-11-02\n")
    finally:
        reloader.lock.release()
    await reload

    async def screened() -> bool:
        return NOTICE in refs(await screen(gate, NAME))

    await until(screened, "the edit loaded by the watch")
