"""The ``[epcis]`` table of gate.toml and each door's ``sgln``: EPCIS 2.0 capture at dispatch
(DESIGN.md 4, "Events out").

```toml
[epcis]
capture_url = "https://epcis.example/capture"  # the repository's POST /capture
site_sgln = "urn:epc:id:sgln:0614141.00777.0"   # bizLocation of every event
company_prefixes = ["0614141", "4012345"]       # GTINs/SSCCs written as EPC URIs (optional)
namespace = "https://example.com/epcis/"        # our extension's namespace (optional)
token = "env:GATE_EPCIS_TOKEN"                  # sent as a bearer token (optional)
```

Absent, the gate builds and sends no EPCIS events. The site's own company prefix (from
``site_sgln``) always counts as known; a GTIN under no known prefix is written as its GS1
Digital Link URI (see ``gate.core.epcis``). This module is loaded by gate.config.settings
and imports nothing beyond the core's pure EPCIS values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gate.core.epcis import DEFAULT_NAMESPACE, Origin, check_sgln
from gate.errors import ConfigError

__all__ = ["EpcisConfig", "door_sgln", "parse_epcis"]


class EpcisSection(Protocol):
    """What gate.config.settings hands over for the ``[epcis]`` table (its ``_Reader``)."""

    data: Mapping[str, Any]
    prefix: str
    base: Path

    def get(self, key: str, kind: type, default: Any = ...) -> Any: ...

    def text(self, key: str, default: Any = ...) -> str: ...

    def strings(self, key: str, default: Any = ...) -> tuple[str, ...]: ...

    def url(self, key: str) -> str: ...


@dataclass(frozen=True, slots=True)
class EpcisConfig:
    capture_url: str
    site_sgln: str
    company_prefixes: tuple[str, ...] = ()
    namespace: str = DEFAULT_NAMESPACE
    token: str | None = field(default=None, repr=False)
    timeout_seconds: float = 30.0
    retry_initial_seconds: float = 1.0
    retry_max_seconds: float = 600.0
    unreachable_alert_seconds: int = 900

    def origin(self, gate_id: str, door_sgln: str | None) -> Origin:
        """Where a dispatch at a door with ``door_sgln`` took place, for the documents."""
        return Origin(gate_id, self.site_sgln, door_sgln, self.company_prefixes, self.namespace)


def door_sgln(door: EpcisSection) -> str | None:
    """A ``[[doors]]`` table's ``sgln`` (optional): the door as the events' readPoint."""
    value: str | None = door.get("sgln", str, None)
    if value is not None:
        try:
            check_sgln(value)
        except ValueError as exc:
            raise ConfigError(f"{door.prefix}sgln: {exc}") from None
    return value


def parse_epcis(section: EpcisSection) -> EpcisConfig | None:
    """The ``[epcis]`` table, or None when there is none. Raises ConfigError naming the key."""
    if not section.data:
        return None
    p = section.prefix
    site = section.text("site_sgln")
    try:
        check_sgln(site)
    except ValueError as exc:
        raise ConfigError(f"{p}site_sgln: {exc}") from None
    prefixes = section.strings("company_prefixes", [])
    for i, prefix in enumerate(prefixes):
        if not (prefix.isascii() and prefix.isdigit() and 6 <= len(prefix) <= 12):
            raise ConfigError(f"{p}company_prefixes[{i}]: {prefix!r} is not 6 to 12 digits")
    namespace = section.text("namespace", DEFAULT_NAMESPACE)
    if not namespace.startswith(("https://", "http://", "urn:")) or namespace[-1] not in "/#:":
        raise ConfigError(
            f"{p}namespace: {namespace!r} must be an http(s) or urn IRI ending in / # or :"
        )
    token = section.get("token", str, None)
    if token is not None and (not token.strip() or any(c.isspace() for c in token)):
        raise ConfigError(f"{p}token: must be a non-empty text without spaces")
    config = EpcisConfig(
        capture_url=section.url("capture_url").rstrip("/"),
        site_sgln=site,
        company_prefixes=prefixes,
        namespace=namespace,
        token=token,
        timeout_seconds=section.get("timeout_seconds", float, 30.0),
        retry_initial_seconds=section.get("retry_initial_seconds", float, 1.0),
        retry_max_seconds=section.get("retry_max_seconds", float, 600.0),
        unreachable_alert_seconds=section.get("unreachable_alert_seconds", int, 900),
    )
    if not 0 < config.retry_initial_seconds <= config.retry_max_seconds:
        raise ConfigError(f"{p}retry_initial_seconds: must be positive, at most retry_max_seconds")
    if config.timeout_seconds <= 0 or config.unreachable_alert_seconds < 1:
        raise ConfigError(f"{p}timeout_seconds and unreachable_alert_seconds must be positive")
    return config
