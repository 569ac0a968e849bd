"""The central office's clearances of false positives (DESIGN 2.1), and applying them to hits.

A clearance says "this party is not that entry": it names a party {name, country, ids}, a
list, an entry and the entry's version as a hit reported them. It stops exactly that entry at
exactly that version from matching that party: when the list publishes the entry again with
anything changed (a new alias, a new address), the version changes and the hit comes back, to
be looked at again.

"That party" has the same country and the same name as the screening folds it (case,
accents, punctuation, legal form) and, when either side has an identifier, shares one. An
identifier alone is not enough: it is public, and the listed entity quoting a cleared
company's LEI would otherwise be cleared under that company's clearance. A clearance never
widens: a party with a different country, name or identifier is not covered. An identifier is
its scheme and value when the office names the scheme (``{"vat": "DE123"}``): that clears a
party whose VAT number is DE123, not one whose LEI or EORI happens to read the same, nor a
party whose identifiers came without schemes. Identifiers sent as a bare list (``["DE123"]``)
say no scheme, and match the value under any.

Pure: values in, values out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from gate.core.hits import Hit
from gate.core.parties import normalise_id
from gate.core.screening.matcher import Party
from gate.core.screening.names import fold_name

#: An identifier a clearance names: its scheme (lower case; None when the office named
#: none) and its value.
ClearedId = tuple[str | None, str]


def party_name_key(name: str) -> str:
    """The name as the screening compares it: folded tokens, legal form removed."""
    return " ".join(fold_name(name)[0].tokens)


@dataclass(frozen=True, slots=True)
class Clearance:
    """One clearance as the office sent it, with when and under which webhook id."""

    list: str
    entry: str
    version: str
    name: str
    country: str
    ids: tuple[ClearedId, ...]
    cleared_at: dt.datetime
    webhook_id: str = ""

    @property
    def name_key(self) -> str:
        """The folded name the clearance covers."""
        return party_name_key(self.name)

    def covers(self, hit: Hit, party: Party) -> bool:
        """Whether this clearance stops ``hit`` for ``party``."""
        if (hit.list, hit.entry, hit.version) != (self.list, self.entry, self.version):
            return False
        # The same country and folded name always: an identifier is public, and the listed
        # entity itself quoting a cleared company's LEI (in any country) is not that company.
        if self.country != party.country or self.name_key != party_name_key(party.name):
            return False
        if self.ids or party.ids:
            theirs: tuple[tuple[str | None, str], ...] = party.schemes or tuple(
                (None, value) for value in party.ids
            )
            return any(_same_id(mine, other) for mine in self.ids for other in theirs)
        return True

    def doc(self) -> dict[str, object]:
        """The clearance as ``GET /clearances`` shows it and the journal records it."""
        return {
            "party": {"name": self.name, "country": self.country, "ids": ids_doc(self.ids)},
            "list": self.list,
            "entry": self.entry,
            "version": self.version,
            "cleared_at": self.cleared_at.isoformat(),
        }


def cleared_ids(ids: object) -> tuple[ClearedId, ...]:
    """The identifiers of a clearance as the office sends them: an object of scheme -> value,
    or a list of values (no scheme). Raises ValueError for anything else."""
    if ids is None:
        return ()
    if isinstance(ids, Mapping):
        pairs = list(ids.items())
    elif isinstance(ids, list | tuple):
        pairs = [(None, value) for value in ids]
    else:
        raise ValueError("ids must be an object of scheme -> value or a list of values")
    if not all(isinstance(v, str) and (s is None or isinstance(s, str)) for s, v in pairs):
        raise ValueError("each identifier and its scheme must be text")
    return tuple((None if s is None else s.strip().lower(), v) for s, v in pairs)


def ids_doc(ids: tuple[ClearedId, ...]) -> object:
    """The identifiers as the office sent them: an object when they came with schemes."""
    if ids and all(scheme is not None for scheme, _ in ids):
        return {scheme: value for scheme, value in ids}
    return [value for _, value in ids]


def _same_id(mine: ClearedId, theirs: tuple[str | None, str]) -> bool:
    """Whether a cleared identifier is the party's: the same value, and the same scheme when
    the clearance names one (a party identifier with no scheme is then not the same)."""
    scheme, value = mine
    if normalise_id(value) != normalise_id(theirs[1]):
        return False
    return scheme is None or (theirs[0] is not None and scheme == theirs[0].strip().lower())


@dataclass(frozen=True, slots=True)
class ClearanceBook:
    """Every clearance, found by (list, entry); immutable, ``with_added`` makes a new book."""

    by_entry: Mapping[tuple[str, str], tuple[Clearance, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    @classmethod
    def of(cls, clearances: Iterable[Clearance]) -> ClearanceBook:
        """A book holding ``clearances``."""
        found: dict[tuple[str, str], tuple[Clearance, ...]] = {}
        for item in clearances:
            key = (item.list, item.entry)
            found[key] = (*found.get(key, ()), item)
        return cls(MappingProxyType(found))

    def with_added(self, clearance: Clearance) -> ClearanceBook:
        """A new book with ``clearance`` added (the book itself does not change)."""
        return ClearanceBook.of([*self.all(), clearance])

    def all(self) -> tuple[Clearance, ...]:
        """Every clearance, oldest first."""
        items = [c for group in self.by_entry.values() for c in group]
        return tuple(sorted(items, key=lambda c: c.cleared_at))

    def __len__(self) -> int:
        return sum(len(group) for group in self.by_entry.values())

    def clearing(self, hit: Hit, party: Party) -> Clearance | None:
        """The clearance that stops ``hit`` for ``party``, or None."""
        for item in self.by_entry.get((hit.list, hit.entry), ()):
            if item.covers(hit, party):
                return item
        return None

    def apply(self, hits: Iterable[Hit], party: Party) -> tuple[Hit, ...]:
        """``hits`` without those a clearance stops for ``party``, in their order."""
        return tuple(hit for hit in hits if self.clearing(hit, party) is None)
