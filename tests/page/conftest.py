"""Fixtures for the status page tests: a fake central office, a gate, a headless Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.fake_office import Office, point_at
from tests.page.browser import Browser, start_chromium
from tests.service.harness import Gate, start_gate, stop_gate


@pytest.fixture
async def office(demo_config: Path) -> AsyncIterator[Office]:
    """A fake central office that takes every licence request (202)."""
    o = Office(free_port())
    point_at(demo_config, o)
    await o.start()
    yield o
    await o.stop()


@pytest.fixture
async def gate(demo_config: Path, office: Office) -> AsyncIterator[Gate]:
    g = await start_gate(demo_config)
    yield g
    await stop_gate(g)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    """Headless Chromium at the size of the dock's 10-inch panel (1280x800)."""
    shots = tmp_path / "screenshots"
    shots.mkdir()
    driver, profile = start_chromium(1280, 800)
    b = Browser(driver, profile, shots)
    yield b
    b.stop()
