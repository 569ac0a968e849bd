"""The ``[page]`` table of gate.toml: how the operator's panel stays up unattended.

```toml
[page]
display_token = "env:GATE_DISPLAY_TOKEN"  # optional: a read-only display (see below)
remember_sessions = true                  # a login survives a restart of the gate
```

- ``display_token`` (optional, at least 24 characters, not any client's token): a screen
  that opens ``/display?token=...`` once shows the doors, the alerts and the health, live,
  without a login, and can change nothing (no buttons; the gate refuses every change made with
  the display's cookie) nor read anything else (its cookie reads the doors, the side panel and
  the event stream only: no shipment documents, licences, clearances or reports). It survives
  restarts: the token is the config's.
- ``remember_sessions`` (default true): an operator's login is a signed cookie (HMAC-SHA256
  with a key the gate keeps beside its database, ``page-session.key``, created at the first
  login), so a panel stays logged in across a restart of the gate until the session's
  lifetime ends. A logout is remembered beside the key (``page-session.revoked``). False:
  sessions live in memory and a restart logs everyone out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gate.errors import ConfigError

__all__ = ["PageConfig", "parse_page"]

MIN_DISPLAY_TOKEN = 24


class PageSection(Protocol):
    """What gate.config.settings hands over for the ``[page]`` table (its ``_Reader``)."""

    data: Mapping[str, Any]
    prefix: str
    base: Path

    def get(self, key: str, kind: type, default: Any = ...) -> Any: ...

    def text(self, key: str, default: Any = ...) -> str: ...


@dataclass(frozen=True, slots=True)
class PageConfig:
    """The panel's settings; the defaults are those of a config without ``[page]``."""

    display_token: str | None = field(default=None, repr=False)
    remember_sessions: bool = True


def parse_page(section: PageSection, client_tokens: Iterable[str]) -> PageConfig:
    """The ``[page]`` table (defaults when absent). Raises ConfigError naming the key."""
    token: str | None = section.text("display_token", None)
    if token is not None:
        if len(token) < MIN_DISPLAY_TOKEN:
            raise ConfigError(
                f"{section.prefix}display_token: must be at least {MIN_DISPLAY_TOKEN} characters"
            )
        if token in set(client_tokens):
            raise ConfigError(f"{section.prefix}display_token: is also a client's token")
    remember: bool = section.get("remember_sessions", bool, True)
    return PageConfig(display_token=token, remember_sessions=remember)
