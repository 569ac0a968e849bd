"""Hits by identifier: a party's identifier equal to one of an entry's is a hit at score 1,
whatever the names say (matcher.screen adds them after the name hits)."""

from __future__ import annotations

from collections.abc import Iterable

from gate.core.hits import Hit, HitAction
from gate.core.screening.index import ScreeningIndex, normalise_identifier


def identifier_hits(index: ScreeningIndex, ids: Iterable[str], already: set[str]) -> list[Hit]:
    """A hit per entry one of ``ids`` names, but those of ``already`` (entries hit by name);
    each entry hit here is added to ``already``."""
    hits: list[Hit] = []
    for value in ids:
        key = normalise_identifier(value)
        for number in index.identifiers.get(key, ()):
            entry = index.entries[number]
            if entry.reference in already:
                continue
            already.add(entry.reference)
            kind = next(
                (i.kind for i in entry.identifiers if normalise_identifier(i.value) == key), "id"
            )
            policy = index.policies[entry.list_id]
            hits.append(
                Hit(
                    entry.list_id,
                    entry.reference,
                    entry.version,
                    entry.primary_name,
                    1.0,
                    HitAction(policy.action),
                    f"identifier {kind} {value} of {entry.list_id} {entry.reference}",
                )
            )
    return hits
