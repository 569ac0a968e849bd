"""The configuration file (TOML), read once into frozen values.

Relative paths are resolved against the config file's folder; any string may be written
``"env:NAME"`` to read it from the environment. Every problem is a ConfigError that names
the key (``central.signing_secret: environment variable GATE_SIGNING_SECRET is not set``).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.config.readers import ReaderConfig, parse_readers
from gate.core.signatures import SignatureError, parse_public_key, parse_secret
from gate.errors import ConfigError

DEFAULT_CONFIG = Path("configs/gate.toml")
ROLES = frozenset({"scanner", "wms", "operator"})


@dataclass(frozen=True, slots=True)
class Listen:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-client request rate (token bucket) and body size for the HTTP API."""

    rate: float = 2000.0
    burst: int = 1000
    max_body_bytes: int = 1 << 20
    max_scans_per_request: int = 1000


@dataclass(frozen=True, slots=True)
class TableConfig:
    path: Path
    control_list: Path
    catalogues: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    countries: Path
    cat2_exempt_groups: tuple[str, ...]
    denials: Path
    max_list_age_days: int
    catch_all_end_uses: tuple[str, ...]
    denial_match_threshold: float = 0.88


@dataclass(frozen=True, slots=True)
class CentralConfig:
    url: str
    signing_secret: str = field(repr=False)
    callback_secret: str = field(repr=False)
    callback_public_key: str | None = None
    unreachable_alert_seconds: int = 900
    retry_initial_seconds: float = 1.0
    retry_max_seconds: float = 600.0
    timeout_seconds: float = 15.0


@dataclass(frozen=True, slots=True)
class Door:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Client:
    name: str
    role: str
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Config:
    """A loaded gate configuration."""

    path: Path
    gate_id: str
    http: Listen
    limits: Limits
    scanner: Listen
    database: Path
    table: TableConfig
    policy: PolicyConfig
    central: CentralConfig
    doors: tuple[Door, ...]
    clients: tuple[Client, ...]
    operators: tuple[Operator, ...]
    readers: tuple[ReaderConfig, ...] = ()  # [[readers]]: see gate/readers/options.py

    def door(self, door_id: str) -> Door | None:
        return next((d for d in self.doors if d.id == door_id), None)


class _Reader:
    """Typed access to one table of the TOML document, naming keys in its errors."""

    def __init__(self, data: Mapping[str, Any], prefix: str, base: Path) -> None:
        self.data = data
        self.prefix = prefix
        self.base = base

    def _name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def _resolve(self, key: str, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("env:"):
            var = value[4:]
            if var not in os.environ:
                raise ConfigError(f"{self._name(key)}: environment variable {var} is not set")
            return os.environ[var]
        return value

    def get(self, key: str, kind: type, default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise ConfigError(f"{self._name(key)}: missing")
            return default
        value = self._resolve(key, self.data[key])
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(
                f"{self._name(key)}: expected {kind.__name__}, got {type(value).__name__}"
            )
        return value

    def text(self, key: str, default: Any = ...) -> str:
        value: str = self.get(key, str, default)
        if value is not None and not value.strip():
            raise ConfigError(f"{self._name(key)}: must not be empty")
        return value

    def strings(self, key: str, default: Any = ...) -> tuple[str, ...]:
        values = self.get(key, list, default)
        out = []
        for i, item in enumerate(values):
            item = self._resolve(f"{key}[{i}]", item)
            if not isinstance(item, str):
                raise ConfigError(f"{self._name(key)}[{i}]: expected str")
            out.append(item)
        return tuple(out)

    def path(self, key: str) -> Path:
        return (self.base / self.text(key)).resolve()

    def listen(self, key: str) -> Listen:
        value = self.text(key)
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ConfigError(f"{self._name(key)}: expected HOST:PORT, got {value!r}")
        return Listen(host.strip("[]"), int(port))

    def section(self, key: str, required: bool = True) -> _Reader:
        value = self.data.get(key)
        if value is None and not required:
            value = {}
        if not isinstance(value, dict):
            raise ConfigError(f"{self._name(key)}: missing section [{self._name(key)}]")
        return _Reader(value, f"{self._name(key)}.", self.base)

    def sections(self, key: str) -> list[_Reader]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ConfigError(f"{self._name(key)}: expected [[{self._name(key)}]] tables")
        return [_Reader(v, f"{self._name(key)}[{i}].", self.base) for i, v in enumerate(value)]


def load_config(path: str | os.PathLike[str] = DEFAULT_CONFIG) -> Config:
    """Reads and checks a config file. Raises ConfigError naming the key that is wrong."""
    config_path = Path(path).resolve()
    try:
        with open(config_path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist") from exc
    except OSError as exc:
        raise ConfigError(f"config file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: {exc}") from exc
    return parse_config(data, config_path)


def parse_config(data: Mapping[str, Any], config_path: Path) -> Config:
    """Builds a Config from parsed TOML; paths resolve against ``config_path``'s folder."""
    root = _Reader(data, "", config_path.parent)
    table = root.section("table")
    policy = root.section("policy")
    central = root.section("central")
    catalogues = tuple((table.base / p).resolve() for p in table.strings("catalogues"))
    if not catalogues:
        raise ConfigError("table.catalogues: at least one catalogue is needed")
    max_age = policy.get("max_list_age_days", int, 90)
    if max_age < 1:
        raise ConfigError("policy.max_list_age_days: must be at least 1")
    threshold = policy.get("denial_match_threshold", float, 0.88)
    if not 0.5 <= threshold <= 1.0:
        raise ConfigError("policy.denial_match_threshold: must be between 0.5 and 1.0")

    doors = []
    for door in root.sections("doors"):
        doors.append(Door(door.text("id"), door.text("name", door.data.get("id", ""))))
    if not doors:
        raise ConfigError("doors: at least one [[doors]] entry is needed")
    if len({d.id for d in doors}) != len(doors):
        raise ConfigError("doors: door ids must be unique")

    clients = []
    for client in root.sections("clients"):
        role = client.text("role")
        if role not in ROLES - {"operator"}:
            raise ConfigError(f"{client.prefix}role: {role!r} is not one of scanner, wms")
        token = client.text("token")
        if len(token) < 16:
            raise ConfigError(f"{client.prefix}token: must be at least 16 characters")
        clients.append(Client(client.text("name"), role, token))
    if len({c.token for c in clients}) != len(clients):
        raise ConfigError("clients: two clients share a token")

    operators = []
    for op in root.sections("operators"):
        operators.append(Operator(op.text("name"), op.text("password")))

    for key in ("signing_secret", "callback_secret"):
        try:
            parse_secret(central.text(key))
        except SignatureError as exc:
            raise ConfigError(f"central.{key}: {exc}") from None
    public_key = central.get("callback_public_key", str, None)
    if public_key is not None:
        try:
            parse_public_key(public_key)
        except SignatureError as exc:
            raise ConfigError(f"central.callback_public_key: {exc}") from None

    return Config(
        path=config_path,
        gate_id=root.text("gate_id"),
        http=root.section("http").listen("listen"),
        limits=_limits(root.section("http")),
        scanner=root.section("scanner").listen("listen"),
        database=root.section("storage").path("database"),
        table=TableConfig(
            path=table.path("path"),
            control_list=table.path("control_list"),
            catalogues=catalogues,
        ),
        policy=PolicyConfig(
            countries=policy.path("countries"),
            cat2_exempt_groups=policy.strings("cat2_exempt_groups", []),
            denials=policy.path("denials"),
            max_list_age_days=max_age,
            catch_all_end_uses=policy.strings("catch_all_end_uses", []),
            denial_match_threshold=threshold,
        ),
        central=CentralConfig(
            url=central.text("url").rstrip("/"),
            signing_secret=central.text("signing_secret"),
            callback_secret=central.text("callback_secret"),
            callback_public_key=central.get("callback_public_key", str, None),
            unreachable_alert_seconds=central.get("unreachable_alert_seconds", int, 900),
            retry_initial_seconds=central.get("retry_initial_seconds", float, 1.0),
            retry_max_seconds=central.get("retry_max_seconds", float, 600.0),
            timeout_seconds=central.get("timeout_seconds", float, 15.0),
        ),
        doors=tuple(doors),
        clients=tuple(clients),
        operators=tuple(operators),
        readers=parse_readers(root.sections("readers"), {d.id for d in doors}),
    )


def _limits(http: _Reader) -> Limits:
    rate = http.get("rate_limit", float, 2000.0)
    burst = http.get("burst", int, 1000)
    body = http.get("max_body_bytes", int, 1 << 20)
    scans = http.get("max_scans_per_request", int, 1000)
    if rate <= 0 or burst < 1 or body < 1024 or scans < 1:
        raise ConfigError(
            "http: rate_limit, burst, max_body_bytes, max_scans_per_request must be positive"
        )
    return Limits(rate, burst, body, scans)
