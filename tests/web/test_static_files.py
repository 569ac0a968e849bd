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


@pytest.mark.parametrize(
    "path", ["/static/nope.css", "/static/..%2Fresponses.py", "/static/page.js/x", "/static/"]
)
async def test_a_missing_static_file_is_a_problem_document(gate: Gate, path: str) -> None:
    """A name that is not one of the page's files: 404 as a problem document, like every
    other error (it was an empty 404 from aiohttp's static handler); no file outside served."""
    async with gate.session.get(f"{gate.url}{path}") as r:
        body = await r.json(content_type=None)
        assert (404, "application/problem+json") == (r.status, r.content_type), body
    assert 404 == body["status"]
