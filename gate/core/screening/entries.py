"""What a loaded list is made of: entries, their names, identifiers, and the parse error.

An entry is the list's own record (a UN reference number, an SDN ``ent_num``, ...) with every
name and alias it carries. Its ``version`` is a hash of its content, not of the file: a
clearance names an entry and a version, and must lapse exactly when that entry changes (a new
alias, a new address, a new programme), not when an unrelated entry of the same list does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from gate.errors import GateError


class ListFormatError(GateError):
    """A list's data could not be read: malformed, truncated, wrong columns, empty.

    ``str()`` is one line naming the list format and what is wrong, so a refusal can be logged
    and shown as it is.
    """

    def __init__(self, fmt: str, reason: str) -> None:
        super().__init__(f"{fmt}: {reason}")
        self.format = fmt
        self.reason = reason


class EntryKind(StrEnum):
    """What an entry designates."""

    PERSON = "person"
    ENTITY = "entity"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class EntryName:
    """One name or alias of an entry. ``weak`` marks the list's own low-quality aliases."""

    name: str
    weak: bool = False
    alias: bool = False


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identifier the list gives for an entry (passport, tax id, LEI, IMO number, ...)."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One record of a list, with everything the matcher and a hit need."""

    list_id: str
    reference: str
    kind: EntryKind
    names: tuple[EntryName, ...]
    countries: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    programmes: tuple[str, ...] = ()
    version: str = ""

    @property
    def primary_name(self) -> str:
        """The entry's first (main) name."""
        return self.names[0].name


@dataclass(frozen=True, slots=True)
class ParsedList:
    """A whole list as parsed: its entries and the publication date found inside the data."""

    list_id: str
    format: str
    entries: tuple[ListEntry, ...]
    published: date | None = None
    #: The places (cities, countries) the list's addresses name, as written ("Moscow 117452",
    #: "Tijuana, Baja California"): the words a party's name may end with that name no party
    #: (gate.core.screening.places). Not part of any entry, so no entry's version depends on
    #: them.
    places: tuple[str, ...] = ()

    @property
    def alias_count(self) -> int:
        """How many names and aliases the list holds in all."""
        return sum(len(entry.names) for entry in self.entries)


def make_entry(
    list_id: str,
    reference: str,
    kind: EntryKind,
    names: list[EntryName],
    countries: list[str] | tuple[str, ...] = (),
    identifiers: list[Identifier] | tuple[Identifier, ...] = (),
    programmes: list[str] | tuple[str, ...] = (),
) -> ListEntry:
    """Build an entry with duplicates removed (first occurrence kept) and its content version.

    Raises ``ValueError`` when no name is left: an entry nobody can match is a parse defect the
    importer must report, not an entry to keep.
    """
    seen: set[str] = set()
    kept: list[EntryName] = []
    for item in names:
        clean = " ".join(item.name.split())
        if clean and clean.casefold() not in seen:
            seen.add(clean.casefold())
            kept.append(EntryName(clean, item.weak, item.alias))
    if not kept:
        raise ValueError(f"entry {reference!r} has no name")
    entry = ListEntry(
        list_id=list_id,
        reference=reference,
        kind=kind,
        names=tuple(kept),
        countries=tuple(dict.fromkeys(c for c in countries if c)),
        identifiers=tuple(dict.fromkeys(i for i in identifiers if i.value)),
        programmes=tuple(dict.fromkeys(p for p in programmes if p)),
    )
    return ListEntry(
        list_id=entry.list_id,
        reference=entry.reference,
        kind=entry.kind,
        names=entry.names,
        countries=entry.countries,
        identifiers=entry.identifiers,
        programmes=entry.programmes,
        version=entry_version(entry),
    )


def places_of(cells: Iterable[str]) -> tuple[str, ...]:
    """The distinct places of a list's address cells (ParsedList.places), each part between
    commas once ("Tijuana, Baja California" and "al-Awja, near Tikrit" are two), empty cells
    left out."""
    parts = (part.strip() for cell in cells for part in cell.split(","))
    return tuple(dict.fromkeys(part for part in parts if part))


def entry_version(entry: ListEntry) -> str:
    """A stable hash of the entry's content (everything but the version itself)."""
    content = {
        "list": entry.list_id,
        "reference": entry.reference,
        "kind": entry.kind.value,
        "names": [[n.name, n.weak, n.alias] for n in entry.names],
        "countries": list(entry.countries),
        "identifiers": [[i.kind, i.value] for i in entry.identifiers],
        "programmes": list(entry.programmes),
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()[:16]
