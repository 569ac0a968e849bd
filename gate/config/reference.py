"""``[central] reference_url`` and ``[reference]``: where the gate pulls the office's signed
reference-data bundles from, and the key it trusts them by (DESIGN 4, "Reference data").

``reference_url`` is the base URL of the office's TUF repository (its ``timestamp.json``, its
versioned root, snapshot and targets metadata, and ``targets/``). ``[reference] root`` is the
office's root metadata (``root.json``, made by ``gate bundle make``): the gate's trust anchor,
delivered with the gate's configuration, never fetched. ``poll_seconds`` is how often the
gate asks for a new bundle. The gate keeps the verified metadata and bundles in a folder of
its own, ``reference/`` beside the database (no key for it: one gate per database folder).

Both or neither: a ``reference_url`` without a ``root`` would have nothing to check bundles
against, and a ``[reference]`` section without a URL would be a setting quietly ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gate.errors import ConfigError

#: The folder, beside the database, that holds the verified metadata and bundles.
CACHE_NAME = "reference"


class Section(Protocol):
    """What gate.config.settings hands over for a table (its ``_Reader``)."""

    data: Any
    prefix: str

    def get(self, key: str, kind: type, default: Any = ...) -> Any: ...

    def url(self, key: str) -> str: ...

    def input_file(self, key: str) -> Path: ...


@dataclass(frozen=True, slots=True)
class ReferenceConfig:
    """Where the signed bundles come from and how they are checked.

    ``url`` ends with ``/``; ``root`` is the trusted root metadata file; ``cache`` the gate's
    own folder for verified metadata and bundles."""

    url: str
    root: Path
    cache: Path
    poll_seconds: float = 300.0
    timeout_seconds: float = 30.0

    @property
    def metadata_dir(self) -> Path:
        return self.cache / "metadata"

    @property
    def bundles_dir(self) -> Path:
        return self.cache / "bundles"

    @property
    def applied_file(self) -> Path:
        """Holds the version of the bundle in use (the one a restart loads)."""
        return self.cache / "applied"


def parse_reference(central: Section, section: Section, database: Path) -> ReferenceConfig | None:
    """The reference settings, or None when ``reference_url`` is not set. Raises ConfigError
    naming the key that is wrong."""
    raw = central.get("reference_url", str, None)
    present = bool(section.data)
    if raw is None:
        if present:
            raise ConfigError(
                f"{section.prefix.rstrip('.')}: set central.reference_url too (the office's"
                " bundle repository), or remove the section"
            )
        return None
    url = central.url("reference_url")
    if not present or "root" not in section.data:
        raise ConfigError(
            "reference.root: missing (the office's root.json, made by `gate bundle make`:"
            " the key bundles from central.reference_url are checked against)"
        )
    root = section.input_file("root")
    poll = section.get("poll_seconds", float, 300.0)
    if not 1.0 <= poll <= 86400.0:
        raise ConfigError(f"{section.prefix}poll_seconds: must be between 1 and 86400")
    timeout = section.get("timeout_seconds", float, 30.0)
    if not 0.1 <= timeout <= 600.0:
        raise ConfigError(f"{section.prefix}timeout_seconds: must be between 0.1 and 600")
    return ReferenceConfig(
        url=url if url.endswith("/") else url + "/",
        root=root,
        cache=database.parent / CACHE_NAME,
        poll_seconds=poll,
        timeout_seconds=timeout,
    )
