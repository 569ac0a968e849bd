"""The configuration as DESIGN.md 4 documents it: its defaults ("Scanner socket": "Fixed
readers keep one TCP connection (default port 7070)"), and "Any string value may be written
"env:NAME" to read it from the environment"."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from gate.config.readers import TextOptions
from gate.config.settings import load_config
from tests.service.harness import add_readers


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


def test_the_annex_date_may_come_from_the_environment(
    demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``annex_date = "env:NAME"`` reads the date from the environment, like any string."""
    text = demo_config.read_text()
    edited = re.sub(r'annex_date = "[^"]*"', 'annex_date = "env:GATE_TEST_ANNEX_DATE"', text)
    assert edited != text
    demo_config.write_text(edited)
    monkeypatch.setenv("GATE_TEST_ANNEX_DATE", "2025-03-01")
    assert dt.date(2025, 3, 1) == load_config(demo_config).table.annex_date


def test_a_door_named_by_its_id_from_the_environment_is_named_by_the_value(
    demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A door without a ``name`` is named by its id, the environment's value when the id is
    written ``"env:NAME"``."""
    text = demo_config.read_text()
    edited = text.replace('id = "D3"\nname = "Door 3 (south)"\n', 'id = "env:GATE_TEST_DOOR"\n')
    assert edited != text
    demo_config.write_text(edited)
    monkeypatch.setenv("GATE_TEST_DOOR", "D3")
    door = load_config(demo_config).doors[-1]
    assert ("D3", "D3") == (door.id, door.name)


def test_strings_in_an_array_may_come_from_the_environment(
    demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A string inside an array (a reader's ``allow`` list) may be ``"env:NAME"`` too."""
    add_readers(
        demo_config,
        """
        [[readers]]
        name = "d2-scanner"
        kind = "text-tcp"
        address = "127.0.0.1:17071"
        door = "D2"
        options = { allow = ["env:GATE_TEST_SCANNER_HOST"] }
        """,
    )
    monkeypatch.setenv("GATE_TEST_SCANNER_HOST", "10.0.0.7")
    (reader,) = load_config(demo_config).readers
    assert isinstance(reader.options, TextOptions)
    assert ["10.0.0.7/32"] == [str(n) for n in reader.options.allow]
