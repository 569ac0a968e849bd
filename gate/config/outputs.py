"""The ``[[doors.outputs]]`` tables of gate.toml: where each door's stack light is wired.

A door's light (red, amber, green and a buzzer) hangs on the coils of a Modbus TCP device
(``kind = "modbus"``: an I/O module or a PLC at ``address``, Modbus unit ``unit``) or on the
GPO ports of one of the gate's LLRP readers (``kind = "llrp-gpo"``, ``reader`` = a
``[[readers]]`` name). ``red``, ``amber`` and ``green`` are required (coil numbers from 0, or
GPO port numbers from 1); ``buzzer`` is optional. Several doors may share one device, never
one coil. Timing keys (seconds) have defaults: ``reassert_seconds`` (2: every output is
written again this often, so a device that restarted shows the truth again),
``timeout_seconds`` (1: one write), ``retry_initial``/``retry_max`` (0.5 / 30: the backoff
while a device is unreachable).

A misspelt key is an error naming it, like every other section of the config.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from gate.config.readers import ReaderConfig
from gate.errors import ConfigError

OUTPUT_KINDS: Final = ("modbus", "llrp-gpo")
LAMPS: Final = ("red", "amber", "green", "buzzer")
MODBUS_PORT: Final = 502
#: key -> (TOML type, default; ... = required). Lamp keys are checked by kind below.
_TIMING: Final[Mapping[str, tuple[float, float, float]]] = {
    # key: (default, lowest, highest)
    "reassert_seconds": (2.0, 0.05, 3600.0),
    "timeout_seconds": (1.0, 0.05, 60.0),
    "retry_initial": (0.5, 0.01, 3600.0),
    "retry_max": (30.0, 0.01, 86400.0),
}
_KEYS: Final = frozenset({"kind", "address", "unit", "reader", *LAMPS, *_TIMING})


@dataclass(frozen=True, slots=True)
class OutputConfig:
    """One ``[[doors.outputs]]`` entry: a door's lamps on one device."""

    door: str
    kind: str
    ports: tuple[tuple[str, int], ...]  # (lamp, coil or GPO port), lamps in LAMPS order
    address: str = ""  # modbus: HOST[:PORT]
    host: str = ""
    port: int = MODBUS_PORT
    unit: int = 1
    reader: str = ""  # llrp-gpo: the [[readers]] name
    reassert_seconds: float = 2.0
    timeout_seconds: float = 1.0
    retry_initial: float = 0.5
    retry_max: float = 30.0

    @property
    def device(self) -> str:
        """The device's name: doors that name the same device share its connection."""
        if self.kind == "modbus":
            return f"modbus:{self.host}:{self.port}/{self.unit}"
        return f"llrp-gpo:{self.reader}"


class Section(Protocol):
    """What gate.config.settings hands over for one TOML table (its ``_Reader``)."""

    data: Mapping[str, Any]
    prefix: str

    def get(self, key: str, kind: type, default: Any = ...) -> Any: ...

    def sections(self, key: str) -> Sequence[Section]: ...


def parse_outputs(
    doors: Sequence[tuple[str, Section]], readers: Sequence[ReaderConfig]
) -> tuple[OutputConfig, ...]:
    """Every door's ``outputs``. Raises ConfigError naming the key that is wrong."""
    names = {r.name: r for r in readers}
    outputs = [
        parse_output(src, door, names) for door, table in doors for src in table.sections("outputs")
    ]
    used: dict[tuple[str, int], str] = {}
    for out in outputs:
        for lamp, number in out.ports:
            owner = used.setdefault((out.device, number), f"door {out.door} {lamp}")
            if owner != f"door {out.door} {lamp}":
                raise ConfigError(
                    f"doors.outputs: {out.device} output {number} is wired to both {owner}"
                    f" and door {out.door} {lamp}"
                )
    settings: dict[str, tuple[float, ...]] = {}
    for out in outputs:
        timing = (out.reassert_seconds, out.timeout_seconds, out.retry_initial, out.retry_max)
        if settings.setdefault(out.device, timing) != timing:
            raise ConfigError(
                f"doors.outputs: the doors sharing {out.device} give it different timing keys"
            )
    return tuple(outputs)


def parse_output(src: Section, door: str, readers: Mapping[str, ReaderConfig]) -> OutputConfig:
    """One ``[[doors.outputs]]`` table of ``door``."""
    unknown = sorted(set(src.data) - _KEYS)
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(_KEYS), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else f" (known: {', '.join(sorted(_KEYS))})"
        raise ConfigError(f"unknown key {src.prefix}{unknown[0]}{hint}")
    kind = src.get("kind", str)
    if kind not in OUTPUT_KINDS:
        raise ConfigError(f"{src.prefix}kind: {kind!r} is not one of {', '.join(OUTPUT_KINDS)}")
    low = 0 if kind == "modbus" else 1
    ports = []
    for lamp in LAMPS:
        number = src.get(lamp, int, None if lamp == "buzzer" else ...)
        if number is None:
            continue
        if not low <= number <= 65535:
            what = "a coil number (0-65535)" if kind == "modbus" else "a GPO port (1-65535)"
            raise ConfigError(f"{src.prefix}{lamp}: must be {what}, got {number}")
        ports.append((lamp, number))
    seen: dict[int, str] = {}
    for lamp, number in ports:
        if seen.setdefault(number, lamp) != lamp:
            raise ConfigError(
                f"{src.prefix}{lamp}: output {number} is already the {seen[number]} lamp's"
            )
    timing = {key: _timing(src, key) for key in _TIMING}
    if timing["retry_max"] < timing["retry_initial"]:
        raise ConfigError(f"{src.prefix}retry_max: must be at least retry_initial")
    common: dict[str, Any] = {"door": door, "kind": kind, "ports": tuple(ports), **timing}
    if kind == "modbus":
        _refuse(src, ("reader",), kind)
        address = src.get("address", str)
        host, port = _host_port(src, address)
        unit = src.get("unit", int, 1)
        if not 0 <= unit <= 255:
            raise ConfigError(f"{src.prefix}unit: must be a Modbus unit id (0-255), got {unit}")
        return OutputConfig(**common, address=address, host=host, port=port, unit=unit)
    _refuse(src, ("address", "unit"), kind)
    reader = src.get("reader", str)
    found = readers.get(reader)
    if found is None:
        raise ConfigError(f"{src.prefix}reader: no [[readers]] entry is named {reader!r}")
    if found.kind != "llrp":
        raise ConfigError(f"{src.prefix}reader: {reader!r} is not an llrp reader (no GPO ports)")
    return OutputConfig(**common, reader=reader)


def _refuse(src: Section, keys: Collection[str], kind: str) -> None:
    for key in keys:
        if key in src.data:
            raise ConfigError(f"{src.prefix}{key}: not a key of kind {kind}")


def _timing(src: Section, key: str) -> float:
    default, low, high = _TIMING[key]
    value: float = src.get(key, float, default)
    if not low <= value <= high:
        raise ConfigError(f"{src.prefix}{key}: must be between {low:g} and {high:g}, got {value}")
    return value


def _host_port(src: Section, address: str) -> tuple[str, int]:
    """``HOST[:PORT]`` (502 when left out; IPv6 in brackets)."""
    text = address.strip()
    host, sep, port = text.rpartition(":")
    if not sep or "]" in port or (host.count(":") and "]" not in host):
        host, port = text, str(MODBUS_PORT)
    host = host.strip("[]")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(f"{src.prefix}address: expected HOST[:PORT], got {address!r}")
    return host, int(port)
