"""``[[readers]]`` in gate.toml: typed values, defaults, and errors that name the key."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from gate.config.readers import LlrpOptions, TextOptions, option_defaults
from gate.config.settings import load_config
from gate.errors import ConfigError
from tests.service.harness import add_readers


def load_with(config_path: Path, toml: str) -> object:
    add_readers(config_path, toml)
    return load_config(config_path)


def test_demo_config_without_readers_still_loads(demo_config: Path) -> None:
    """A config with no [[readers]] has none, and everything else as before."""
    assert () == load_config(demo_config).readers


def test_each_kind_parses_into_typed_options(demo_config: Path) -> None:
    """Each kind's options become frozen values; what is not given takes its default."""
    config = load_with(
        demo_config,
        """
[[readers]]
name = "portal-1"
kind = "llrp"
address = "10.0.0.5"
door = "D1"
options = { antennas = [1, 2], dedupe_window = 3, tx_power_dbm = 27.5 }

[[readers]]
name = "d2-scanner"
kind = "text-tcp"
address = "0.0.0.0:7071"
door = "D2"
[readers.options]
terminator = "CRLF"
gs_substitute = "<GS>"
allow = ["10.1.2.0/24", "10.1.3.4"]

[[readers]]
name = "d3-serial"
kind = "text-serial"
address = "/dev/ttyUSB0"
door = "D3"
""",
    )
    portal, tcp, serial = config.readers  # type: ignore[attr-defined]
    assert ("llrp", "10.0.0.5", 5084, "reader:portal-1") == (
        portal.kind,
        portal.host,
        portal.port,
        portal.actor,
    )
    assert LlrpOptions(antennas=(1, 2), dedupe_window=3.0, tx_power_dbm=27.5) == portal.options
    assert ("0.0.0.0", 7071) == (tcp.host, tcp.port)
    assert isinstance(tcp.options, TextOptions)
    assert (b"\r\n", "<GS>", "json") == (
        tcp.options.terminator,
        tcp.options.gs_substitute,
        tcp.options.reply,
    )
    assert (
        ipaddress.ip_network("10.1.2.0/24"),
        ipaddress.ip_network("10.1.3.4/32"),
    ) == tcp.options.allow
    assert (None, None, "/dev/ttyUSB0") == (serial.host, serial.port, serial.address)
    assert TextOptions(reply="none") == serial.options  # a serial scanner is not written to


def test_llrp_addresses(demo_config: Path) -> None:
    """An LLRP address is a host, a host and port, or a bracketed IPv6 address and port."""
    config = load_with(
        demo_config,
        "\n".join(
            f'[[readers]]\nname = "r{i}"\nkind = "llrp"\naddress = "{a}"\ndoor = "D1"\n'
            for i, a in enumerate(["reader.dock", "10.0.0.5:5085", "[fe80::1]:5084", "fe80::2"])
        ),
    )
    assert [("reader.dock", 5084), ("10.0.0.5", 5085), ("fe80::1", 5084), ("fe80::2", 5084)] == [
        (r.host, r.port)
        for r in config.readers  # type: ignore[attr-defined]
    ]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('kind = "rfid"', "readers[0].kind: 'rfid' is not one of llrp, text-tcp, text-serial"),
        ('door = "D9"', "readers[0].door: no [[doors]] entry has id 'D9'"),
        ('name = "a b"', "readers[0].name: 'a b' must be 1-64 letters"),
        ('address = "nohost"', "readers[0].address: expected HOST:PORT, got 'nohost'"),
        ("door = 7", "readers[0].door: expected str, got int"),
        ('colour = "red"', "readers[0].colour: unknown key"),
        ("options = { idle = 3 }", "readers[0].options.idle: unknown option for kind text-tcp"),
        ("options = { baudrate = 9600 }", "readers[0].options.baudrate: unknown option"),
        ('options = { terminator = "\\t" }', "readers[0].options.terminator: must be one of"),
        ("options = { max_line = 1 }", "readers[0].options.max_line: must be between 16"),
        ('options = { allow = ["10.0.0.300"] }', "readers[0].options.allow: '10.0.0.300' is not"),
        ('options = { gs_substitute = "" }', "readers[0].options.gs_substitute: must be 1-16"),
        (
            'options = { gs_substitute = "\\n" }',
            "readers[0].options.gs_substitute: must not contain CR or LF",
        ),
        (
            "options = { retry_initial = 10, retry_max = 1 }",
            "readers[0].options.retry_max: must be at least retry_initial",
        ),
        (
            'options = { idle_timeout = "env:GATE_NO_SUCH_VARIABLE" }',
            "readers[0].options.idle_timeout: environment variable GATE_NO_SUCH_VARIABLE",
        ),
    ],
)
def test_errors_name_the_key(demo_config: Path, toml: str, message: str) -> None:
    """A wrong [[readers]] entry stops the load with an error that names the key."""
    fields = {"name": '"d1-scanner"', "kind": '"text-tcp"', "address": '"127.0.0.1:7071"'}
    fields["door"] = '"D1"'
    key = toml.split("=", 1)[0].strip()
    lines = [f"{k} = {v}" for k, v in fields.items() if k != key] + [toml]
    with pytest.raises(ConfigError) as caught:
        load_with(demo_config, "[[readers]]\n" + "\n".join(lines))
    assert message in str(caught.value)


def test_names_are_unique(demo_config: Path) -> None:
    """Two readers may not share a name: their scan ids would mix."""
    one = '[[readers]]\nname = "a"\nkind = "text-tcp"\naddress = "127.0.0.1:7071"\ndoor = "D1"\n'
    with pytest.raises(ConfigError, match=r"readers\[1\].name: 'a' is used by another reader"):
        load_with(demo_config, one + one)


def test_same_listen_address_is_refused(demo_config: Path) -> None:
    """Two text-tcp readers cannot listen on one address."""
    toml = "".join(
        f'[[readers]]\nname = "{n}"\nkind = "text-tcp"\naddress = "127.0.0.1:7071"\ndoor = "D1"\n'
        for n in "ab"
    )
    with pytest.raises(ConfigError, match="two text-tcp readers listen on the same address"):
        load_with(demo_config, toml)


def test_documented_defaults() -> None:
    """The defaults the README documents."""
    assert 2.0 == option_defaults("llrp")["dedupe_window"]
    assert 5.0 == option_defaults("llrp")["keepalive"]
    assert (b"\n", 1024, 300.0, "json") == tuple(
        option_defaults("text-tcp")[k] for k in ("terminator", "max_line", "idle_timeout", "reply")
    )
    assert "none" == option_defaults("text-serial")["reply"]
    assert "idle_timeout" not in option_defaults("text-serial")


def test_commented_examples_in_the_demo_config_are_valid(demo_config: Path) -> None:
    """The [[readers]] examples in configs/gate.toml, uncommented, load as documented."""
    text = demo_config.read_text()
    start = text.index("# [[readers]]")
    end = text.index("\n\n", start)
    block = [line.removeprefix("#").removeprefix(" ") for line in text[start:end].splitlines()]
    demo_config.write_text(text[:start] + "\n".join(block) + text[end:])
    readers = load_config(demo_config).readers
    assert [("d1-portal", "llrp"), ("d2-scanner", "text-tcp"), ("d3-serial", "text-serial")] == [
        (r.name, r.kind) for r in readers
    ]
