"""Reads the configured screening lists from disk and keeps the last good version of each.

The invariant: a list that cannot be read, fails to parse or parses to nothing never replaces
the version already loaded. ``load_lists`` returns a new snapshot (the lists and an index built
over all of them) together with the refusals, each with its reason; the previous snapshot is
never changed, so the caller can publish the new one in a single assignment after it has
written whatever it must (decide, write, then publish). A list refused on its first load is
simply absent, and the refusal says why: the caller decides whether the service may start
without it.

A file whose bytes have not changed since the last load is not parsed again (its SHA-256 is
kept), so a reload triggered by one list costs little for the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gate.core.screening import (
    FORMATS,
    SDN_FORMAT,
    ListFormatError,
    ListPolicy,
    ParsedList,
    ScreeningIndex,
    parse_list,
    parse_sdn_csv,
)

#: Larger list files are refused unread: the largest published list (the full SDN with
#: aliases and addresses) is well under this.
MAX_LIST_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ListSource:
    """One configured list: where its file(s) are, their format and how a hit is used.

    ``paths`` holds one file, or for ``sdn-csv`` the ``sdn.csv`` path then optionally
    ``alt.csv`` and ``add.csv``.
    """

    list_id: str
    format: str
    paths: tuple[Path, ...]
    action: str
    threshold: float = 0.88

    @property
    def policy(self) -> ListPolicy:
        """The matcher's view of this list (raises ValueError on a bad action or threshold)."""
        return ListPolicy(self.list_id, self.action, self.threshold)


@dataclass(frozen=True, slots=True)
class LoadedList:
    """A list as loaded: where from, what it parsed to, and the digest of its bytes."""

    source: ListSource
    parsed: ParsedList
    digest: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """A list that was not (re)loaded, and why, in one line."""

    list_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ScreeningSnapshot:
    """The loaded lists by id and the index over all of them."""

    lists: Mapping[str, LoadedList]
    index: ScreeningIndex


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_LIST_BYTES:
            raise ListFormatError("file", f"{path} is {size} bytes, over {MAX_LIST_BYTES}")
        return path.read_bytes()
    except OSError as exc:
        raise ListFormatError("file", f"cannot read {path}: {exc.strerror}") from exc


def read_list(source: ListSource, previous: LoadedList | None = None) -> LoadedList:
    """Read and parse one list; reuse ``previous`` when the bytes are unchanged.

    Raises ListFormatError when a file cannot be read, is too large, or does not parse.
    """
    if source.format not in FORMATS:
        raise ListFormatError(source.format, "unknown list format")
    if not source.paths or (source.format != SDN_FORMAT and len(source.paths) != 1):
        raise ListFormatError(source.format, f"list {source.list_id}: wrong number of files")
    blobs = [_read(path) for path in source.paths]
    digest = hashlib.sha256(b"\0".join(hashlib.sha256(b).digest() for b in blobs)).hexdigest()
    if previous is not None and previous.digest == digest and previous.source == source:
        return previous
    if source.format == SDN_FORMAT:
        extra = [*blobs[1:3], None, None]
        parsed = parse_sdn_csv(blobs[0], extra[0], extra[1], source.list_id)
    else:
        parsed = parse_list(source.format, blobs[0], source.list_id)
    return LoadedList(source, parsed, digest)


def load_lists(
    sources: Sequence[ListSource], previous: ScreeningSnapshot | None = None
) -> tuple[ScreeningSnapshot, tuple[Refusal, ...]]:
    """Load every source; a refused one keeps its previous version (or stays absent).

    Never raises for a bad list file: each failure is a Refusal. Raises ValueError only for a
    source whose action or threshold is invalid (a configuration error, caught at start).
    """
    old = previous.lists if previous is not None else {}
    loaded: dict[str, LoadedList] = {}
    refusals: list[Refusal] = []
    for source in sources:
        source.policy  # noqa: B018 - validates action and threshold before any I/O
        try:
            loaded[source.list_id] = read_list(source, old.get(source.list_id))
        except ListFormatError as exc:
            refusals.append(Refusal(source.list_id, str(exc)))
            if source.list_id in old:
                loaded[source.list_id] = old[source.list_id]
    unchanged = (
        previous is not None
        and all(old.get(key) is value for key, value in loaded.items())
        and loaded.keys() == old.keys()
    )
    if unchanged and previous is not None:
        return previous, tuple(refusals)
    index = ScreeningIndex.build(
        (item.parsed for item in loaded.values()),
        [item.source.policy for item in loaded.values()],
    )
    return ScreeningSnapshot(loaded, index), tuple(refusals)
