"""Review22: ``gate callback`` (86ef148) says a refusal in one line, whatever answered.

LOW: the refusal's line is "the gate answered STATUS: DETAIL", DETAIL the problem document's
``detail`` or else the whole answer. A proxy in front of the gate, or a ``--url`` that names
something else, answers an HTML page: its every line went to standard error, the one-line
refusal the README promises was dozens, and its start was a ``<!DOCTYPE``. The detail is one
line now (its whitespace runs read as one space, cut at 300 characters); the whole answer
still goes to standard output.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from gate.cli.main import main

PAGE = (
    "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n"
    + ("<p>upstream unreachable</p>\n" * 40)
    + "</body>\n</html>\n"
)


class _Proxy(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = self.server.page.encode()  # type: ignore[attr-defined]
        self.send_response(502)
        self.send_header("Content-Type", self.server.kind)  # type: ignore[attr-defined]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("kind", "page"),
    [
        ("text/html", PAGE),
        ("application/problem+json", json.dumps({"detail": "line one\nline two\n\tthree"})),
    ],
)
def test_a_refusal_is_one_line_whatever_answered(
    demo_config: Path,
    tmp_path: Path,
    proxy: ThreadingHTTPServer,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    page: str,
) -> None:
    """An HTML error page, or a detail of several lines: exit 1, one line on standard error
    with the status, the answer on standard output."""
    proxy.page, proxy.kind = page, kind  # type: ignore[attr-defined]
    body = tmp_path / "clearance.json"
    body.write_text(json.dumps({"party": {"name": "X", "country": "US"}, "list": "notices"}))
    url = f"http://127.0.0.1:{proxy.server_address[1]}/api/v1/clearances"
    key = str(demo_config.parent / "demo-office.key")
    argv = ["callback", "clearances", str(body), "--config", str(demo_config), "--url", url]
    code = main([*argv, "--key-file", key])
    out, err = capsys.readouterr()
    assert 1 == code
    lines = err.strip().splitlines()
    assert 1 == len(lines) and lines[0].startswith("gate callback: the gate answered 502"), lines
    assert len(lines[0]) <= 400, lines
    assert page.strip() == out.strip()
