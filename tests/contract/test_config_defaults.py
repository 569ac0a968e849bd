"""The configuration's documented defaults (DESIGN.md 4, "Scanner socket": "Fixed readers
keep one TCP connection (default port 7070)")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate.config.settings import load_config


@pytest.mark.parametrize(
    ("pattern", "replacement"),
    [
        (r"\[scanner\]\nlisten = [^\n]*\n", "[scanner]\n"),
        (r"\[scanner\]\nlisten = [^\n]*\nmax_connections = [^\n]*\n", ""),
    ],
    ids=["no listen key", "no [scanner] table"],
)
def test_the_scanner_socket_listens_on_port_7070_by_default(
    demo_config: Path, pattern: str, replacement: str
) -> None:
    """A config that does not say where the scanner socket listens gets 127.0.0.1:7070."""
    text = demo_config.read_text()
    edited = re.sub(pattern, replacement, text)
    assert edited != text
    demo_config.write_text(edited)
    scanner = load_config(demo_config).scanner
    assert ("127.0.0.1", 7070) == (scanner.host, scanner.port)
