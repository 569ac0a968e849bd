"""``[[doors.outputs]]`` is read into frozen values; a mistake stops the start with one line
naming the key, and nothing is driven."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.core.stack_light import AMBER, GREEN, HELD, NOT_LOADED, RED, lamps
from gate.errors import ConfigError
from tests.outputs.support import modbus_output, wire


def refused(config: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    return str(caught.value)


def test_outputs_are_read_per_door(demo_config: Path) -> None:
    """Each door's entries, with its coils, the device they share and the defaults."""
    wire(demo_config, "D1", modbus_output("D1", 1502))
    wire(
        demo_config,
        "D2",
        '[[doors.outputs]]\nkind = "modbus"\naddress = "plc.local"\n'
        "red = 10\namber = 11\ngreen = 12",
    )
    outputs = load_config(demo_config).outputs
    assert [("D1", "modbus:127.0.0.1:1502/1"), ("D2", "modbus:plc.local:502/1")] == [
        (o.door, o.device) for o in outputs
    ]
    assert (("red", 0), ("amber", 1), ("green", 2), ("buzzer", 3)) == outputs[0].ports
    assert (("red", 10), ("amber", 11), ("green", 12)) == outputs[1].ports
    assert (2.0, 1.0) == (outputs[1].reassert_seconds, outputs[1].timeout_seconds)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            'kind = "modbus"\naddress = "127.0.0.1"\nred = 0\namber = 1\ngreen = 2\nbuzer = 3',
            "unknown key doors[0].outputs[0].buzer; did you mean buzzer?",
        ),
        (
            'kind = "modbus"\naddress = "127.0.0.1"\nred = 0\namber = 1',
            "doors[0].outputs[0].green: missing",
        ),
        (
            'kind = "modbus"\naddress = "127.0.0.1"\nred = 0\namber = 0\ngreen = 2',
            "doors[0].outputs[0].amber: output 0 is already the red lamp's",
        ),
        (
            'kind = "relay"\nred = 0\namber = 1\ngreen = 2',
            "doors[0].outputs[0].kind: 'relay' is not one of modbus, llrp-gpo",
        ),
        (
            'kind = "llrp-gpo"\nreader = "nobody"\nred = 1\namber = 2\ngreen = 3',
            "doors[0].outputs[0].reader: no [[readers]] entry is named 'nobody'",
        ),
        (
            'kind = "llrp-gpo"\nreader = "x"\naddress = "a"\nred = 1\namber = 2\ngreen = 3',
            "doors[0].outputs[0].address: not a key of kind llrp-gpo",
        ),
        (
            'kind = "modbus"\naddress = "127.0.0.1:99999"\nred = 0\namber = 1\ngreen = 2',
            "doors[0].outputs[0].address: expected HOST[:PORT], got '127.0.0.1:99999'",
        ),
        (
            'kind = "modbus"\naddress = "h"\nunit = 300\nred = 0\namber = 1\ngreen = 2',
            "doors[0].outputs[0].unit: must be a Modbus unit id (0-255), got 300",
        ),
    ],
)
def test_bad_output_is_refused_naming_the_key(demo_config: Path, toml: str, message: str) -> None:
    """A misspelt, missing or wrong key is one ConfigError that names it."""
    wire(demo_config, "D1", "[[doors.outputs]]\n" + toml)
    assert message == refused(demo_config)


def test_two_doors_on_one_coil_are_refused(demo_config: Path) -> None:
    """Doors may share a device, never an output."""
    wire(demo_config, "D1", modbus_output("D1", 1502))
    wire(demo_config, "D2", modbus_output("D1", 1502))
    assert "is wired to both door D1 red and door D2 red" in refused(demo_config)


@pytest.mark.parametrize(
    ("signal", "loaded", "held", "shown"),
    [
        ("green", False, False, NOT_LOADED),  # never green before the state is loaded
        (None, False, False, NOT_LOADED),
        ("green", True, False, GREEN),
        ("amber", True, False, AMBER),
        ("red", True, False, RED),
        (None, True, False, AMBER),  # an idle door is never green
        ("idle", True, False, AMBER),
        ("green", True, True, HELD),  # goods without a readable tag hold a cleared door
        ("red", True, True, RED),  # red always wins
        ("purple", True, False, RED),  # an unknown signal fails closed
    ],
)
def test_lamp_table(signal: str | None, loaded: bool, held: bool, shown: object) -> None:
    """The door's lamps from its signal, the gate's state and a hold."""
    assert shown == lamps(signal, loaded=loaded, held=held)
