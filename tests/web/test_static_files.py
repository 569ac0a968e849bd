"""The page's static files are served without an ERROR in the log: the outermost middleware
sends each answer itself, and aiohttp's own send afterwards must find a file answer done, as
it finds any other (a fresh clone's first look at the page logged a traceback per file)."""

from __future__ import annotations

import logging

import pytest

from tests.service.harness import Gate


async def test_static_files_log_no_error(gate: Gate, caplog: pytest.LogCaptureFixture) -> None:
    """The script, the style and the icon: each 200 with its whole body, and no ERROR."""
    caplog.set_level(logging.INFO)
    sizes = []
    for name in ("page.js", "page.css", "favicon.svg", "page.css"):
        async with gate.session.get(f"{gate.url}/static/{name}") as r:
            sizes.append((r.status, len(await r.read()) > 0))
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert ([(200, True)] * 4, []) == (sizes, errors)
