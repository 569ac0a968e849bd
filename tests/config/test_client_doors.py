"""``doors`` on a ``[[clients]]`` entry binds a scanner client to its doors: the config loader
takes known door ids only, on scanner clients only, and refuses two clients of one name (scan
ids are scoped to the client's name)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.errors import ConfigError


def set_client(config: Path, name: str, extra: str) -> None:
    """Adds the ``extra`` lines to the ``[[clients]]`` entry named ``name``."""
    pattern = rf'^(name = "{name}"\nrole = "\w+"\ntoken = "[^"]+")\n(doors = .*\n)?'
    text, count = re.subn(pattern, rf"\1\n{extra}\n", config.read_text(), count=1, flags=re.M)
    assert 1 == count, name
    config.write_text(text)


def test_demo_scanners_are_bound_to_one_door_each(demo_config: Path) -> None:
    """The demo config binds each scanner client to its own door; the WMS has no doors."""
    clients = {c.name: c.doors for c in load_config(demo_config).clients}
    assert {
        "scanner-door-1": frozenset({"D1"}),
        "scanner-door-2": frozenset({"D2"}),
        "scanner-door-3": frozenset({"D3"}),
        "wms": None,
    } == clients


def test_doors_left_out_is_every_door(demo_config: Path) -> None:
    """A scanner client without ``doors`` may scan at every door (None)."""
    set_client(demo_config, "scanner-door-2", "")
    doors = {c.name: c.doors for c in load_config(demo_config).clients}["scanner-door-2"]
    assert doors is None


@pytest.mark.parametrize(
    ("client", "extra", "message"),
    [
        (
            "scanner-door-1",
            'doors = ["D1", "D7"]',
            "clients[0].doors: unknown door 'D7' (the doors are D1, D2, D3)",
        ),
        (
            "scanner-door-1",
            "doors = []",
            "clients[0].doors: must name at least one door (leave it out for every door)",
        ),
        ("scanner-door-1", 'doors = "D1"', "clients[0].doors: expected list, got str"),
        ("wms", 'doors = ["D1"]', "clients[3].doors: only scanner clients are bound to doors"),
        (
            "scanner-door-1",
            'doors = ["D1"]\ndoor = ["D2"]',
            "unknown key clients[0].door; did you mean doors?",
        ),
    ],
)
def test_bad_doors_are_refused_naming_the_key(
    demo_config: Path, client: str, extra: str, message: str
) -> None:
    """An unknown door, an empty list, a non-list, doors on a non-scanner and a misspelt key
    stop the load with one line naming the key."""
    set_client(demo_config, client, extra)
    with pytest.raises(ConfigError) as caught:
        load_config(demo_config)
    assert message == str(caught.value)


def test_two_clients_of_one_name_are_refused(demo_config: Path) -> None:
    """Two clients may not share a name: their scan ids would share one scope."""
    text = demo_config.read_text().replace('name = "scanner-door-2"', 'name = "scanner-door-1"')
    demo_config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(demo_config)
    assert "clients: two clients share the name 'scanner-door-1'" == str(caught.value)
