"""The ``[[readers]]`` tables of gate.toml, read once into frozen values.

Each reader names its ``kind``, a unique ``name`` (the ``reader`` of its scans), the
``address`` it talks to, the ``door`` its scans go to, and an ``options`` table whose keys
depend on the kind. Options are a table per kind (name -> TOML type, check, conversion), so
a misspelt option is an error that names it, never a silently ignored setting:
``readers[0].options.dedupe_windw: unknown option for kind llrp (known: ...)``.

This module is loaded by gate.config.settings: it imports nothing beyond the standard library and
the core's list of code kinds, so reading a config never loads an LLRP or serial library.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from gate.core.identifiers import KINDS as CODE_KINDS
from gate.errors import ConfigError

READER_KINDS: Final = ("llrp", "text-tcp", "text-serial")
LLRP_PORT: Final = 5084
READER_KEYS: Final = frozenset({"name", "kind", "address", "door", "options"})
#: A reader's name is the ``reader`` of its scans: Docks.scans allows 128 characters
#: without ``|``; a config keeps to a plainer set so names also read well in metrics.
NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
TERMINATORS: Final = {"\n": b"\n", "\r\n": b"\r\n", "\r": b"\r", "LF": b"\n", "CRLF": b"\r\n"}
TERMINATORS["CR"] = b"\r"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class LlrpOptions:
    """Options of an LLRP reader (``kind = "llrp"``); times are seconds."""

    antennas: tuple[int, ...] = ()  # antenna ports to read with; empty = all of them
    session: int = 1  # Gen2 session 0-3 (1: a tag stays quiet a few seconds once read)
    search_mode: int | None = None  # Impinj search mode (e.g. 2 dual target, 3 TagFocus)
    tx_power_dbm: float | None = None  # None = the reader's configured power
    tag_population: int = 32  # expected tags in the field (Gen2 Q)
    impinj_extensions: bool = True  # enable Octane extensions when the reader is an Impinj
    keepalive: float = 5.0  # reader keepalive period; silence for 2 periods is probed; 0 = off
    connect_timeout: float = 10.0
    response_timeout: float = 5.0
    dedupe_window: float = 2.0  # a tag unseen this long and read again is a new scan
    rejected_retry: float = 5.0  # re-send a tag the door refused (no open shipment) this often
    retry_initial: float = 1.0  # reconnect backoff: first wait ...
    retry_max: float = 60.0  # ... doubling (with jitter) up to this
    max_pending: int = 10_000  # reads kept while the gate cannot take them; oldest dropped
    #: Reads weaker than this (peak RSSI, dBm) are dropped: (antenna, dBm) pairs, antenna 0
    #: for every antenna not named; from ``min_rssi = -65`` or ``min_rssi = { 1 = -60 }``.
    min_rssi: tuple[tuple[int, float], ...] = ()
    #: A new tag waits this long for the readers of other doors before it counts at the door
    #: that read it strongest (only when LLRP readers serve more than one door); 0 = never.
    cross_read_hold: float = 0.5
    #: A sensor (motion sensor, light barrier) on this GPI port opens and closes the read
    #: window; None = always reading. An empty window holds the door (DESIGN 4).
    gpi_port: int | None = None
    gpi_active_high: bool = True  # the sensor is active (goods passing) when the line is high
    window_tail: float = 0.5  # reads this long after the sensor cleared still count

    def rssi_floor(self, antenna: int | None) -> float | None:
        """The weakest peak RSSI counted on ``antenna`` (None: every read counts)."""
        floors = dict(self.min_rssi)
        return floors.get(antenna or 0, floors.get(0))


@dataclass(frozen=True, slots=True)
class TextOptions:
    """Options of a plain-text scanner (``kind = "text-tcp"`` or ``"text-serial"``)."""

    terminator: bytes = b"\n"  # "\n", "\r\n" or "\r" (or LF, CRLF, CR)
    gs_substitute: str | None = None  # e.g. "~" or "<GS>": replaced by GS (ASCII 29)
    max_line: int = 1024  # bytes; a longer line is refused and skipped to its terminator
    code_kind: str | None = None  # the scans' kind (gs1, gtin, ...); None = auto-detect
    reply: str = "json"  # "json": a JSON result per line back; "none" (text-serial's default)
    dedupe_window: float = 0.0  # the same code again within this many seconds is dropped
    idle_timeout: float = 300.0  # text-tcp: close a connection silent this long
    max_connections: int = 8  # text-tcp: at once; more are refused
    allow: tuple[IPNetwork, ...] = ()  # text-tcp: peers allowed; empty = any
    baudrate: int = 9600  # text-serial
    bytesize: int = 8  # text-serial: 5-8
    parity: str = "N"  # text-serial: N, E, O, M, S
    stopbits: float = 1.0  # text-serial: 1, 1.5, 2
    retry_initial: float = 1.0  # re-listen / re-open backoff: first wait ...
    retry_max: float = 60.0  # ... doubling (with jitter) up to this


ReaderOptions = LlrpOptions | TextOptions


@dataclass(frozen=True, slots=True)
class ReaderConfig:
    """One ``[[readers]]`` entry: where the gate reads codes from and which door they go to.

    ``host``/``port`` are set for network kinds (``llrp`` connects to them, ``text-tcp``
    listens on them); ``text-serial`` has the device (or pyserial URL) in ``address``.
    """

    name: str
    kind: str
    address: str
    door: str
    options: ReaderOptions
    host: str | None = None
    port: int | None = None

    @property
    def actor(self) -> str:
        """Who the journal says sent this reader's scans."""
        return f"reader:{self.name}"


class OptionSource(Protocol):
    """What gate.config.settings hands over for one TOML table (its ``_Reader``)."""

    data: Mapping[str, Any]
    prefix: str

    def get(self, key: str, kind: type, default: Any = ...) -> Any: ...

    def section(self, key: str, required: bool = True) -> OptionSource: ...


# --- option tables ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Opt:
    """One option: its TOML type, a check (an error message or None), a conversion."""

    kind: type
    check: Callable[[Any], str | None] = lambda _: None
    convert: Callable[[Any], Any] = lambda v: v


def _at_least(low: float) -> Callable[[Any], str | None]:
    return lambda v: None if v >= low else f"must be at least {low:g}"


def _between(low: float, high: float) -> Callable[[Any], str | None]:
    return lambda v: None if low <= v <= high else f"must be between {low:g} and {high:g}"


def _one_of(choices: Collection[Any]) -> Callable[[Any], str | None]:
    shown = ", ".join(repr(c) for c in choices)
    return lambda v: None if v in choices else f"must be one of {shown}"


def _antennas(values: list[Any]) -> str | None:
    if not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 65535 for v in values):
        return "must be a list of antenna port numbers (1-65535)"
    return None if len(set(values)) == len(values) else "lists an antenna twice"


def _min_rssi(value: Any) -> str | None:
    shape = "must be a dBm value (-128 to 0) or a table of antenna = dBm (such as { 1 = -60 })"
    values = value if isinstance(value, dict) else {"0": value}
    for antenna, dbm in values.items():
        if not str(antenna).isdigit() or not 0 <= int(antenna) <= 65535:
            return shape
        if isinstance(dbm, bool) or not isinstance(dbm, int | float) or not -128 <= dbm <= 0:
            return shape
    return None


def _to_min_rssi(value: Any) -> tuple[tuple[int, float], ...]:
    values = value if isinstance(value, dict) else {"0": value}
    return tuple(sorted((int(antenna), float(dbm)) for antenna, dbm in values.items()))


def _gs_substitute(value: str) -> str | None:
    if not value or len(value) > 16:
        return "must be 1-16 characters"
    if "\r" in value or "\n" in value:
        return "must not contain CR or LF"
    return None


def _networks(values: list[Any]) -> str | None:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except (TypeError, ValueError):
            return f"{value!r} is not an IP address or network (such as '10.1.2.0/24')"
    return None


def _to_networks(values: list[str]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


_RETRY: Final = {
    "retry_initial": _Opt(float, _between(0.01, 3600)),
    "retry_max": _Opt(float, _between(0.01, 86400)),
}

LLRP_OPTIONS: Final[Mapping[str, _Opt]] = {
    "antennas": _Opt(list, _antennas, tuple),
    "session": _Opt(int, _between(0, 3)),
    "search_mode": _Opt(int, _between(0, 65535)),
    "tx_power_dbm": _Opt(float, _between(-10, 40)),
    "tag_population": _Opt(int, _between(1, 65535)),
    "impinj_extensions": _Opt(bool),
    "keepalive": _Opt(float, lambda v: None if v == 0 or 0.1 <= v <= 3600 else "0 or 0.1-3600"),
    "connect_timeout": _Opt(float, _between(0.1, 600)),
    "response_timeout": _Opt(float, _between(0.1, 600)),
    "dedupe_window": _Opt(float, _between(0.05, 3600)),
    "rejected_retry": _Opt(float, _between(0.05, 86400)),
    "max_pending": _Opt(int, _between(1, 10_000_000)),
    "min_rssi": _Opt(object, _min_rssi, _to_min_rssi),
    "cross_read_hold": _Opt(float, _between(0, 10)),
    "gpi_port": _Opt(int, _between(1, 65535)),
    "gpi_active_high": _Opt(bool),
    "window_tail": _Opt(float, _between(0, 60)),
    **_RETRY,
}

_LINE_OPTIONS: Final[Mapping[str, _Opt]] = {
    "terminator": _Opt(str, _one_of(TERMINATORS), TERMINATORS.__getitem__),
    "gs_substitute": _Opt(str, _gs_substitute),
    "max_line": _Opt(int, _between(16, 1 << 20)),
    "code_kind": _Opt(str, _one_of(sorted(CODE_KINDS))),
    "reply": _Opt(str, _one_of(("json", "none"))),
    "dedupe_window": _Opt(float, _between(0, 3600)),
    **_RETRY,
}

TEXT_TCP_OPTIONS: Final[Mapping[str, _Opt]] = {
    **_LINE_OPTIONS,
    "idle_timeout": _Opt(float, _between(0.05, 86400)),
    "max_connections": _Opt(int, _between(1, 1024)),
    "allow": _Opt(list, _networks, _to_networks),
}

TEXT_SERIAL_OPTIONS: Final[Mapping[str, _Opt]] = {
    **_LINE_OPTIONS,
    "baudrate": _Opt(int, _between(50, 4_000_000)),
    "bytesize": _Opt(int, _between(5, 8)),
    "parity": _Opt(str, _one_of(("N", "E", "O", "M", "S"))),
    "stopbits": _Opt(float, _one_of((1.0, 1.5, 2.0))),
}

#: Defaults that differ by kind: a serial scanner may take bytes sent to it as commands.
KIND_DEFAULTS: Final[Mapping[str, Mapping[str, Any]]] = {"text-serial": {"reply": "none"}}

#: kind -> (its options table, the frozen options it builds)
OPTIONS: Final[Mapping[str, tuple[Mapping[str, _Opt], type[LlrpOptions] | type[TextOptions]]]] = {
    "llrp": (LLRP_OPTIONS, LlrpOptions),
    "text-tcp": (TEXT_TCP_OPTIONS, TextOptions),
    "text-serial": (TEXT_SERIAL_OPTIONS, TextOptions),
}


# --- parsing ---------------------------------------------------------------------------------


def parse_readers(
    sections: Sequence[OptionSource], door_ids: Collection[str]
) -> tuple[ReaderConfig, ...]:
    """The ``[[readers]]`` entries. Raises ConfigError naming the key that is wrong."""
    readers = tuple(parse_reader(section, door_ids) for section in sections)
    names = [r.name for r in readers]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ConfigError(f"readers[{i}].name: {name!r} is used by another reader")
    listens = [(r.host, r.port) for r in readers if r.kind == "text-tcp" and r.port]
    if len(set(listens)) != len(listens):
        raise ConfigError("readers: two text-tcp readers listen on the same address")
    devices = [r.address for r in readers if r.kind == "text-serial"]
    if len(set(devices)) != len(devices):
        raise ConfigError("readers: two text-serial readers share a device")
    return readers


def parse_reader(src: OptionSource, door_ids: Collection[str]) -> ReaderConfig:
    """One ``[[readers]]`` table. Raises ConfigError naming the key that is wrong."""
    unknown = sorted(set(src.data) - READER_KEYS)
    if unknown:
        raise ConfigError(
            f"{src.prefix}{unknown[0]}: unknown key{_closest(unknown[0], READER_KEYS)}"
        )
    name = _text(src, "name")
    if not NAME_PATTERN.fullmatch(name):
        raise ConfigError(
            f"{src.prefix}name: {name!r} must be 1-64 letters, digits and . _ : - "
            "(it names the reader in scans, the journal and metrics)"
        )
    kind = _text(src, "kind")
    if kind not in OPTIONS:
        raise ConfigError(f"{src.prefix}kind: {kind!r} is not one of {', '.join(READER_KINDS)}")
    door = _text(src, "door")
    if door not in door_ids:
        raise ConfigError(f"{src.prefix}door: no [[doors]] entry has id {door!r}")
    address = _text(src, "address")
    host, port = _address(src, kind, address)
    options = parse_options(kind, src.section("options", required=False))
    return ReaderConfig(name, kind, address, door, options, host, port)


def parse_options(kind: str, src: OptionSource) -> ReaderOptions:
    """A kind's options table; absent keys take the documented defaults."""
    table, cls = OPTIONS[kind]
    values: dict[str, Any] = dict(KIND_DEFAULTS.get(kind, {}))
    for key in src.data:
        spec = table.get(key)
        if spec is None:
            raise ConfigError(
                f"{src.prefix}{key}: unknown option for kind {kind}{_closest(key, table)}"
            )
        value = src.get(key, spec.kind)
        problem = spec.check(value)
        if problem is not None:
            raise ConfigError(f"{src.prefix}{key}: {problem} (got {value!r})")
        values[key] = spec.convert(value)
    options = cls(**values)
    if options.retry_max < options.retry_initial:
        raise ConfigError(f"{src.prefix}retry_max: must be at least retry_initial")
    if isinstance(options, TextOptions) and options.gs_substitute is not None:
        terminator = options.terminator.decode()
        if terminator in options.gs_substitute:
            raise ConfigError(f"{src.prefix}gs_substitute: must not contain the terminator")
    return options


def option_defaults(kind: str) -> dict[str, Any]:
    """The options a kind takes and their defaults (for documentation and tests)."""
    table, cls = OPTIONS[kind]
    defaults = {f.name: f.default for f in dataclasses.fields(cls) if f.name in table}
    return {**defaults, **KIND_DEFAULTS.get(kind, {})}


def _closest(key: str, known: Collection[str]) -> str:
    """``; did you mean X?`` for the nearest known key, or the list of them when none is near."""
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]}?"
    return f" (known: {', '.join(sorted(known))})"


def _text(src: OptionSource, key: str) -> str:
    value: str = src.get(key, str)
    if not value.strip():
        raise ConfigError(f"{src.prefix}{key}: must not be empty")
    return value


def _address(src: OptionSource, kind: str, address: str) -> tuple[str | None, int | None]:
    """``HOST:PORT`` (the port may be left out for LLRP: 5084); a device for text-serial."""
    if kind == "text-serial":
        return None, None
    host, sep, port = address.rpartition(":")
    if kind == "llrp" and (not sep or "]" in port or (host.count(":") and "]" not in host)):
        host, port = address, str(LLRP_PORT)  # a bare host name or IPv6 address
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        shape = "HOST[:PORT]" if kind == "llrp" else "HOST:PORT"
        raise ConfigError(f"{src.prefix}address: expected {shape}, got {address!r}")
    if kind == "llrp" and int(port) == 0:
        raise ConfigError(f"{src.prefix}address: port 0 is not a reader's port")
    return host.strip("[]"), int(port)
