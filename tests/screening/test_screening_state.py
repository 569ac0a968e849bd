"""The live screening state (gate.service.screening) over a real SQLite store: fail closed
until the lists are loaded, a list with no date is stale, and a change of a configured
``published`` date is journaled."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate.config.lists import ListConfig
from gate.core.screening import Party
from gate.service.events import Events
from gate.service.screening import ScreeningState, ScreeningUnavailable
from gate.storage.store import Store
from tests.screening.lists import LISTS

NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "gate.db")
    yield opened
    await opened.close()


def notices(folder: Path, published: dt.datetime | None) -> ListConfig:
    shutil.copy(LISTS / "notices.csv", folder / "notices.csv")
    return ListConfig(
        "notices", "gate-csv", (folder / "notices.csv",), "licence", 0.88, 72.0, published
    )


def state(store: Store, *lists: ListConfig) -> ScreeningState:
    return ScreeningState(lists, store, Events(), lambda: NOW)


async def test_nothing_is_screened_before_the_lists_are_loaded(
    store: Store, tmp_path: Path
) -> None:
    """Before the first load the state is not ready, screening raises (a caller holds) and
    every list is stale; after it, the party is screened."""
    screening = state(store, notices(tmp_path, NOW))
    await screening.open()
    assert (False, ("notices",)) == (screening.ready, screening.stale(NOW))
    with pytest.raises(ScreeningUnavailable, match="not loaded: notices"):
        screening.screen(Party("Orbital Tradewinds LLC"))
    await screening.first_load()
    assert (True, ()) == (screening.ready, screening.stale(NOW))
    assert ["DEMO-DN-2024-021"] == [
        h.entry for h in screening.screen(Party("Orbital Tradewinds LLC", "US"))
    ]


async def test_a_list_refused_at_start_keeps_the_state_not_ready(
    store: Store, tmp_path: Path
) -> None:
    """A list whose file does not parse at the first load is absent: not ready, screening
    raises naming it, and GET /lists would show it unloaded, refused and stale."""
    config = notices(tmp_path, NOW)
    config.paths[0].write_text("garbage\n")
    screening = state(store, config)
    await screening.first_load()
    assert False is screening.ready
    with pytest.raises(ScreeningUnavailable, match="notices"):
        screening.screen(Party("Orbital Tradewinds LLC"))
    doc = screening.status_docs(NOW)[0]
    assert (0, False, False) == (doc["entries"], doc["loaded"], doc["fresh"])
    assert "refused" in doc


async def test_a_list_without_a_date_is_stale(store: Store, tmp_path: Path) -> None:
    """A gate-csv list with no configured ``published`` has no date at all: stale, never
    dated by its file's modification time."""
    screening = state(store, notices(tmp_path, None))
    await screening.first_load()
    doc = screening.status_docs(NOW)[0]
    assert (21, None, None, False) == (
        doc["entries"],
        doc["published"],
        doc["age_hours"],
        doc["fresh"],
    )


async def test_a_change_of_the_configured_published_date_is_journaled(
    store: Store, tmp_path: Path
) -> None:
    """Starting again with another ``published`` for a list journals the old and new date;
    the same date again journals nothing."""
    first = NOW - dt.timedelta(hours=30)
    await state(store, notices(tmp_path, first)).first_load()
    await state(store, notices(tmp_path, first)).first_load()
    await state(store, notices(tmp_path, NOW)).first_load()

    def read(conn: sqlite3.Connection) -> list[dict[str, object]]:
        rows = conn.execute(
            "SELECT data FROM audit WHERE kind = 'lists.published_changed'"
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    assert [
        {
            "why": "start",
            "lists": {"notices": {"before": first.isoformat(), "after": NOW.isoformat()}},
        }
    ] == await store.read(read)
