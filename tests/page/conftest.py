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
