"""Fixtures for the status page tests: a headless Chromium (the gate and the fake office are
tests/conftest.py's)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.page.browser import Browser, start_chromium


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    """Headless Chromium at the size of the dock's 10-inch panel (1280x800)."""
    shots = tmp_path / "screenshots"
    shots.mkdir()
    driver, profile = start_chromium(1280, 800)
    b = Browser(driver, profile, shots)
    yield b
    b.stop()


#: The dock's 10-inch panel and a phone.
SIZES = {"panel": (1280, 800), "phone": (400, 800)}


@pytest.fixture(params=sorted(SIZES), ids=sorted(SIZES))
def screen(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Browser]:
    """Headless Chromium at the dock's panel size (1280x800) and at a phone's (400x800)."""
    width, height = SIZES[request.param]
    shots = tmp_path / "screenshots"
    shots.mkdir(exist_ok=True)
    driver, profile = start_chromium(width, height)
    b = Browser(driver, profile, shots)
    yield b
    b.stop()
