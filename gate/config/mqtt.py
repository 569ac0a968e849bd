"""The ``[mqtt]`` table of gate.toml: where the gate's events go out over MQTT (DESIGN.md 4,
"Events out"), read once into a frozen value.

The broker is named by one URL, ``mqtt://HOST[:PORT]`` (1883) or ``mqtts://HOST[:PORT]``
(TLS, 8883). Credentials are separate keys (normally ``"env:NAME"``), never part of the URL,
so a URL can be logged and shown; ``ca_file`` names a CA bundle for a broker whose certificate
is not signed by the system's CAs. The topic prefix and the gate id become topic levels, so
they may not hold MQTT wildcards (``+``, ``#``) or empty levels. Unknown keys are refused by the
settings' reader, like in every other table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from gate.errors import ConfigError

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
#: A client id every broker takes (MQTT 3.1.1 only promises 23 of these; brokers take more).
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class MqttSection(Protocol):
    """What gate.config.settings hands over for ``[mqtt]`` (its ``_Reader``)."""

    prefix: str
    base: Path

    def get(self, key: str, kind: type, default: Any = ...) -> Any: ...


@dataclass(frozen=True, slots=True)
class MqttConfig:
    """``[mqtt]``: the broker, the session, and how the link retries."""

    url: str
    host: str
    port: int
    tls: bool
    client_id: str
    topic_prefix: str = "gate"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    keepalive_seconds: int = 30
    timeout_seconds: float = 10.0
    retry_initial_seconds: float = 1.0
    retry_max_seconds: float = 60.0
    #: How often reader health is looked at (it is published when it changed).
    reader_health_seconds: float = 5.0
    #: Messages kept while the broker is away; beyond this the oldest are dropped (alerted).
    max_queue: int = 100_000


def parse_mqtt(src: MqttSection | None, gate_id: str) -> MqttConfig | None:
    """The ``[mqtt]`` table, or None when the config has none. Raises ConfigError naming the
    key that is wrong."""
    if src is None:
        return None
    name = src.prefix
    url = _text(src, "url")
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or any(ch.isspace() for ch in url):
        raise ConfigError(f"{name}url: {url!r} is not an mqtt:// or mqtts:// URL")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(f"{name}url: put credentials in {name}username and {name}password")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"{name}url: {url!r} must be only a scheme, a host and a port")
    try:
        explicit = parts.port
    except ValueError:
        explicit = 0
    if explicit == 0:
        raise ConfigError(f"{name}url: the port is not a number between 1 and 65535")
    port = explicit or DEFAULT_PORTS[parts.scheme]
    if not parts.hostname:
        raise ConfigError(f"{name}url: {url!r} has no host")
    username = src.get("username", str, None)
    password = src.get("password", str, None)
    if password is not None and username is None:
        raise ConfigError(f"{name}password: given without {name}username")
    client_id = src.get("client_id", str, f"gate-{gate_id}")
    if not _CLIENT_ID.fullmatch(client_id):
        raise ConfigError(
            f"{name}client_id: {client_id!r} must be 1-128 letters, digits, '.', '_', ':' or '-'"
        )
    prefix = src.get("topic_prefix", str, "gate")
    if any(not level or "+" in level or "#" in level for level in prefix.split("/")):
        raise ConfigError(
            f"{name}topic_prefix: {prefix!r} must be topic levels without '+', '#' or empty ones"
        )
    for key in ("+", "#", "/"):
        if key in gate_id:
            raise ConfigError(f"gate_id: {gate_id!r} is an MQTT topic level: no {key!r} in it")
    ca = src.get("ca_file", str, None)
    ca_file = None
    if ca is not None:
        ca_file = (src.base / ca).resolve()
        if not ca_file.is_file():
            raise ConfigError(f"{name}ca_file: {ca_file} is not a file")
        if parts.scheme != "mqtts":
            raise ConfigError(f"{name}ca_file: only for an mqtts:// URL")
    keepalive = src.get("keepalive_seconds", int, 30)
    if not 5 <= keepalive <= 3600:
        raise ConfigError(f"{name}keepalive_seconds: must be between 5 and 3600")
    timeout = _positive(src, "timeout_seconds", 10.0)
    initial = _positive(src, "retry_initial_seconds", 1.0)
    maximum = _positive(src, "retry_max_seconds", 60.0)
    if maximum < initial:
        raise ConfigError(f"{name}retry_max_seconds: must not be below retry_initial_seconds")
    max_queue = src.get("max_queue", int, 100_000)
    if max_queue < 100:
        raise ConfigError(f"{name}max_queue: must be at least 100")
    return MqttConfig(
        url=url,
        host=parts.hostname,
        port=port,
        tls=parts.scheme == "mqtts",
        client_id=client_id,
        topic_prefix=prefix,
        username=username,
        password=password,
        ca_file=ca_file,
        keepalive_seconds=keepalive,
        timeout_seconds=timeout,
        retry_initial_seconds=initial,
        retry_max_seconds=maximum,
        reader_health_seconds=_positive(src, "reader_health_seconds", 5.0),
        max_queue=max_queue,
    )


def _text(src: MqttSection, key: str) -> str:
    value: str = src.get(key, str)
    if not value.strip():
        raise ConfigError(f"{src.prefix}{key}: must not be empty")
    return value


def _positive(src: MqttSection, key: str, default: float) -> float:
    value: float = src.get(key, float, default)
    if not 0 < value <= 86400:
        raise ConfigError(f"{src.prefix}{key}: must be more than 0 and at most 86400")
    return value
