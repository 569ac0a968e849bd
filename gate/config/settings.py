"""The configuration file (TOML), read once into frozen values.

Relative paths are resolved against the config file's folder; any string may be written
``"env:NAME"`` to read it from the environment. Every problem is a ConfigError that names
the key (``central.signing_secret: environment variable GATE_SIGNING_SECRET is not set``).

A key the gate does not know is an error, in every section, never a setting quietly ignored:
``catch_all_enduses`` for ``catch_all_end_uses`` would otherwise start the gate with the
catch-all rule empty. Each ``_Reader`` records the keys the parser asks it for; once the whole
file is read, any key nobody asked for is refused, naming the closest one that exists
(``unknown key policy.catch_all_enduses; did you mean catch_all_end_uses?``). Recording what
is asked, rather than keeping a second list of keys, means a new setting is known the moment
the parser reads it. A key the gate used to read and no longer does (``_RENAMED``) is refused
naming the key that replaced it. URLs (http or https, with a host), listen addresses (a host
and a port 1-65535) and the files the gate reads (present, not folders) are checked here too,
so a bad value stops ``gate serve`` at once with one line instead of failing, or retrying,
later.
"""

from __future__ import annotations

import datetime as dt
import difflib
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gate.config.bundle_manifest import Manifest
from gate.config.epcis import EpcisConfig, door_sgln, parse_epcis
from gate.config.lists import ListConfig, parse_lists
from gate.config.mqtt import MqttConfig, parse_mqtt
from gate.config.outputs import OutputConfig, parse_outputs
from gate.config.page import PageConfig, parse_page
from gate.config.readers import ReaderConfig, parse_readers
from gate.config.reference import ReferenceConfig, parse_reference
from gate.core.access import Role
from gate.core.signatures import SignatureError, parse_public_key, parse_secret
from gate.errors import ConfigError

DEFAULT_CONFIG = Path("configs/gate.toml")
#: ``[scanner] listen`` when the config leaves it out (DESIGN.md 4: "default port 7070").
DEFAULT_SCANNER_LISTEN = "127.0.0.1:7070"
#: A host name: dot-separated labels of letters, digits and inner hyphens (RFC 1123).
_HOSTNAME = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
#: The role names a configuration may use: ``gate.core.access.Role``'s.
ROLES = frozenset(role.value for role in Role)


#: The longest the control list may go unrenewed (ten years: a larger number only overflows
#: the date arithmetic, which then holds every line).
MAX_AGE_DAYS = 3660


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
    """``[table]``: the control list and catalogues, and the control list's own date.

    ``annex`` and ``annex_date`` are the MTCR Annex edition the control list follows and its
    date: the control list's age (DESIGN.md 2.3), never the file's modification time.
    """

    path: Path
    control_list: Path
    catalogues: tuple[Path, ...]
    annex: str = ""
    annex_date: dt.date | None = None
    max_age_days: int = 400


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """``[policy]``: the country groups, which of them are embargoes (rows 2 and 8) and
    general licences (row 13) and the catch-all end uses added to the built-in vocabulary.
    Partners' denial notices are a ``[[lists]]`` entry of format ``gate-csv`` (rows 4 and 6
    read every configured list)."""

    countries: Path
    embargo_groups: tuple[str, ...]
    general_licences: tuple[str, ...]
    catch_all_end_uses: tuple[str, ...]
    #: The country groups the policy relies on that may be empty on purpose. Any other that is
    #: empty is refused (an emptied embargo group would switch a rule off without a word).
    allow_empty: tuple[str, ...] = ()


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
    sgln: str | None = None  # the door as an EPCIS readPoint (gate/config/epcis.py)


@dataclass(frozen=True, slots=True)
class Client:
    """A client of the API or the scanner socket. ``doors`` binds a scanner client to the
    doors it may scan for (None: every door; production configs should bind every scanner)."""

    name: str
    role: str
    token: str = field(repr=False)
    doors: frozenset[str] | None = None


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
    readers: tuple[ReaderConfig, ...] = ()  # [[readers]]: see gate/config/readers.py
    lists: tuple[ListConfig, ...] = ()  # [[lists]]: see gate/config/lists.py
    epcis: EpcisConfig | None = None  # [epcis]: see gate/config/epcis.py
    outputs: tuple[OutputConfig, ...] = ()  # [[doors.outputs]]: see gate/config/outputs.py
    page: PageConfig = field(default_factory=PageConfig)  # [page]: gate/config/page.py
    #: How often the gate sends a signed checkpoint of its journal to the central office.
    journal_checkpoint_seconds: float = 900.0
    #: Signed reference-data bundles from the office (gate/config/reference.py), or None.
    reference: ReferenceConfig | None = None
    #: The signed bundle this config's data files come from (gate/service/reference_swap.py).
    bundle: Manifest | None = None
    mqtt: MqttConfig | None = None  # [mqtt]: see gate/config/mqtt.py
    #: ``[scanner] max_connections``: scanner socket connections open at once.
    scanner_connections: int = 64

    def door(self, door_id: str) -> Door | None:
        return next((d for d in self.doors if d.id == door_id), None)


class _Reader:
    """Typed access to one table of the TOML document, naming keys in its errors.

    Every key asked for (present or not) is recorded in ``asked``; ``check_unknown`` refuses
    the keys of the document that nothing asked for. Readers made by ``section``/``sections``
    share one ``family`` list, so the root can check them all.
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        prefix: str,
        base: Path,
        family: list[_Reader] | None = None,
    ) -> None:
        self.data = data
        self.prefix = prefix
        self.base = base
        self.asked: set[str] = set()
        self.family: list[_Reader] = family if family is not None else []
        self.family.append(self)

    def _name(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def _missing(self, key: str) -> ConfigError:
        """``KEY: missing``, pointing at a present key that looks like a misspelling of it."""
        strangers = [k for k in self.data if k not in self.asked and k != key]
        close = difflib.get_close_matches(key, strangers, n=1, cutoff=0.75)
        hint = f" ({self._name(close[0])} is not a key: did you mean {key}?)" if close else ""
        return ConfigError(f"{self._name(key)}: missing{hint}")

    def _resolve(self, key: str, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("env:"):
            var = value[4:]
            if var not in os.environ:
                raise ConfigError(f"{self._name(key)}: environment variable {var} is not set")
            return os.environ[var]
        return value

    def get(self, key: str, kind: type, default: Any = ...) -> Any:
        self.asked.add(key)
        if key not in self.data:
            if default is ...:
                raise self._missing(key)
            return default
        value = self._resolve(key, self.data[key])
        if isinstance(value, list):
            # "Any string value" (DESIGN.md 4) includes the strings of an array.
            value = [self._resolve(f"{key}[{i}]", item) for i, item in enumerate(value)]
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
            if not isinstance(item, str):
                raise ConfigError(f"{self._name(key)}[{i}]: expected str")
            out.append(item)
        return tuple(out)

    def path(self, key: str) -> Path:
        return (self.base / self.text(key)).resolve()

    def input_file(self, key: str) -> Path:
        """A file the gate reads: it must exist and not be a folder."""
        path = self.path(key)
        _check_input(self._name(key), path)
        return path

    def output_file(self, key: str) -> Path:
        """A file the gate writes: not a folder, and its folder is not a file."""
        path = self.path(key)
        if path.is_dir():
            raise ConfigError(f"{self._name(key)}: {path} is a folder, not a file")
        folder = next((p for p in path.parents if p.exists()), None)
        if folder is not None and not folder.is_dir():
            raise ConfigError(f"{self._name(key)}: {folder} is a file, not a folder")
        return path

    def url(self, key: str) -> str:
        """An http or https URL with a host (and a valid port, if one is given)."""
        value = self.text(key)
        problem = _url_problem(value)
        if problem:
            raise ConfigError(f"{self._name(key)}: {value!r} {problem}")
        return value

    def listen(self, key: str, default: Any = ...) -> Listen:
        value = self.text(key, default)
        host, sep, port = value.rpartition(":")
        shape = f"{self._name(key)}: expected HOST:PORT (such as 127.0.0.1:8080), got {value!r}"
        if not sep or not host or not port.isdigit():
            raise ConfigError(shape)
        if not 1 <= int(port) <= 65535:
            raise ConfigError(f"{self._name(key)}: port {port} is not between 1 and 65535")
        bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        if not _is_host(bare) or (":" in bare and bare == host):
            # An IPv6 address must be written in brackets: [::1]:8080.
            raise ConfigError(shape)
        return Listen(bare, int(port))

    def section(self, key: str, required: bool = True) -> _Reader:
        self.asked.add(key)
        value = self.data.get(key)
        if value is None and not required:
            value = {}
        if value is None:
            raise self._missing(key)
        if not isinstance(value, dict):
            raise ConfigError(f"{self._name(key)}: missing section [{self._name(key)}]")
        return _Reader(value, f"{self._name(key)}.", self.base, self.family)

    def sections(self, key: str) -> list[_Reader]:
        self.asked.add(key)
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ConfigError(f"{self._name(key)}: expected [[{self._name(key)}]] tables")
        return [
            _Reader(v, f"{self._name(key)}[{i}].", self.base, self.family)
            for i, v in enumerate(value)
        ]

    def check_unknown(self) -> None:
        """Refuses the first key, in this reader and every one made from it, that nothing
        asked for: ``unknown key policy.catch_all_enduses; did you mean catch_all_end_uses?``"""
        for reader in self.family:
            for key in reader.data:
                if key in reader.asked:
                    continue
                close = difflib.get_close_matches(key, sorted(reader.asked), n=1, cutoff=0.6)
                if close:
                    hint = f"; did you mean {close[0]}?"
                else:
                    hint = f" (known: {', '.join(sorted(reader.asked))})"
                raise ConfigError(f"unknown key {reader._name(key)}{hint}")


def _is_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(_HOSTNAME.fullmatch(host))
    return True


def _url_problem(value: str) -> str | None:
    """Why ``value`` is not an http(s) URL with a host that paths can be added to, or None."""
    if any(ch.isspace() for ch in value):
        return "contains white space"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        return "is not an http:// or https:// URL (such as 'https://office.example/gate')"
    if not parts.hostname or not _is_host(parts.hostname):
        return "has no valid host"
    try:
        port = parts.port
    except ValueError:
        return "has a port that is not a number between 0 and 65535"
    if port == 0:
        return "has port 0"
    if parts.query or parts.fragment:
        return "must not have a query or fragment (the gate adds paths to it)"
    return None


def _check_input(name: str, path: Path) -> None:
    if not path.exists():
        raise ConfigError(f"{name}: {path} does not exist")
    if path.is_dir():
        raise ConfigError(f"{name}: {path} is a folder, not a file")


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


#: Keys the gate read once and no longer does, with what replaces them: refused by name, so
#: an old config cannot start a gate whose rules quietly lost a setting.
_RENAMED: Mapping[str, str] = {
    "policy.cat2_exempt_groups": "policy.general_licences (groups in countries.toml with"
    " members, basis and excluded_controls)",
    "policy.max_list_age_days": "table.max_age_days for the control list (with"
    " table.annex_date); each [[lists]] entry has its own max_age_hours",
    "policy.denials": 'a [[lists]] entry with format = "gate-csv" and action = "licence"'
    " (partners' denial notices; see configs/gate.toml's notices)",
    "policy.denials_max_age_days": "max_age_hours of the [[lists]] entry with format ="
    ' "gate-csv" that holds the denial notices',
    "policy.denial_match_threshold": "threshold of each [[lists]] entry",
}


def _refuse_renamed(data: Mapping[str, Any]) -> None:
    for dotted, new in _RENAMED.items():
        section, key = dotted.split(".")
        value = data.get(section)
        if isinstance(value, dict) and key in value:
            raise ConfigError(f"{dotted}: no longer read; use {new}")


def _annex_date(table: _Reader) -> dt.date:
    """``table.annex_date``: a TOML date or an ISO date text. Raises ConfigError."""
    table.asked.add("annex_date")
    if "annex_date" not in table.data:
        raise table._missing("annex_date")
    value = table._resolve("annex_date", table.data["annex_date"])
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"table.annex_date: expected a date such as 2024-10-01, got {value!r}")


def parse_config(data: Mapping[str, Any], config_path: Path) -> Config:
    """Builds a Config from parsed TOML; paths resolve against ``config_path``'s folder."""
    _refuse_renamed(data)
    root = _Reader(data, "", config_path.parent)
    table = root.section("table")
    policy = root.section("policy")
    central = root.section("central")
    catalogues = tuple((table.base / p).resolve() for p in table.strings("catalogues"))
    if not catalogues:
        raise ConfigError("table.catalogues: at least one catalogue is needed")
    for i, catalogue in enumerate(catalogues):
        _check_input(f"table.catalogues[{i}]", catalogue)
    max_age = table.get("max_age_days", int, 400)
    if not 1 <= max_age <= MAX_AGE_DAYS:
        raise ConfigError(f"table.max_age_days: must be at least 1 and at most {MAX_AGE_DAYS}")
    embargo_groups = policy.strings("embargo_groups")
    if not embargo_groups:
        raise ConfigError("policy.embargo_groups: name at least one group (rows 2 and 8 read it)")

    doors = []
    door_tables = root.sections("doors")
    for door in door_tables:
        door_id = door.text("id")
        doors.append(Door(door_id, door.text("name", door_id), door_sgln(door)))
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
        clients.append(Client(client.text("name"), role, token, _bound_doors(client, role, doors)))
    if len({c.token for c in clients}) != len(clients):
        raise ConfigError("clients: two clients share a token")
    names = [c.name for c in clients]
    shared = sorted({n for n in names if names.count(n) > 1})
    if shared:
        # Scan ids are scoped to the client's name, and the journal names clients by it.
        raise ConfigError(f"clients: two clients share the name {shared[0]!r}")

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

    http = root.section("http")
    scanner_section = root.section("scanner", required=False)
    scanner = scanner_section.listen("listen", DEFAULT_SCANNER_LISTEN)
    scanner_connections = scanner_section.get("max_connections", int, 64)
    if not 1 <= scanner_connections <= 10_000:
        raise ConfigError("scanner.max_connections: must be between 1 and 10000")
    if http.listen("listen") == scanner:
        raise ConfigError(f"scanner.listen: {scanner} is also http.listen")
    storage = root.section("storage")
    checkpoint_every = storage.get("journal_checkpoint_seconds", float, 900.0)
    if not 1.0 <= checkpoint_every <= 86400.0:
        raise ConfigError("storage.journal_checkpoint_seconds: must be between 1 and 86400")

    gate_id = root.text("gate_id")
    if len(gate_id) > 64 or not gate_id.isprintable() or "|" in gate_id:
        # Named in every licence request id and in the office's callbacks (``gate_id``).
        raise ConfigError("gate_id: at most 64 printable characters other than '|'")
    config = Config(
        path=config_path,
        gate_id=gate_id,
        http=http.listen("listen"),
        limits=_limits(http),
        scanner=scanner,
        database=storage.output_file("database"),
        table=TableConfig(
            path=table.output_file("path"),
            control_list=table.input_file("control_list"),
            catalogues=catalogues,
            annex=table.text("annex"),
            annex_date=_annex_date(table),
            max_age_days=max_age,
        ),
        policy=PolicyConfig(
            countries=policy.input_file("countries"),
            embargo_groups=embargo_groups,
            general_licences=policy.strings("general_licences", []),
            catch_all_end_uses=policy.strings("catch_all_end_uses", []),
            allow_empty=policy.strings("allow_empty", []),
        ),
        central=CentralConfig(
            url=central.url("url").rstrip("/"),
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
        readers=(readers := parse_readers(root.sections("readers"), {d.id for d in doors})),
        lists=parse_lists(root.sections("lists")),
        epcis=parse_epcis(root.section("epcis", required=False)),
        outputs=parse_outputs(list(zip([d.id for d in doors], door_tables, strict=True)), readers),
        page=parse_page(root.section("page", required=False), (c.token for c in clients)),
        journal_checkpoint_seconds=checkpoint_every,
        reference=parse_reference(
            central, root.section("reference", required=False), storage.output_file("database")
        ),
        mqtt=parse_mqtt(root.section("mqtt") if "mqtt" in data else None, root.text("gate_id")),
        scanner_connections=scanner_connections,
    )
    root.check_unknown()
    return config


def _bound_doors(client: _Reader, role: str, doors: Sequence[Door]) -> frozenset[str] | None:
    """A client's ``doors``: absent is every door; present, a non-empty list of known door
    ids, on a scanner client only (no other role scans)."""
    if client.get("doors", list, None) is None:
        return None
    bound = client.strings("doors")
    known = [d.id for d in doors]
    if role != "scanner":
        raise ConfigError(f"{client.prefix}doors: only scanner clients are bound to doors")
    if not bound:
        raise ConfigError(
            f"{client.prefix}doors: must name at least one door (leave it out for every door)"
        )
    unknown = [d for d in bound if d not in known]
    if unknown:
        raise ConfigError(
            f"{client.prefix}doors: unknown door {unknown[0]!r} (the doors are {', '.join(known)})"
        )
    return frozenset(bound)


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
