"""Hits by identifier: a party's identifier equal to one of an entry's is a hit at score 1,
whatever the names say (matcher.screen adds them after the name hits).

A VAT number is a country's tax number behind the country's two letters ("RU7744001497",
"MT20084637"), and lists write either ("Tax ID No. 7744001497"): a party's identifier that
starts with a country's letters is also looked up without them, for an entry of that country
or of none (attack16: a consignee writing GAZPROMBANK OAO's tax number as a VAT number), and
only for a listed tax or company number, never a person's passport, cédula or identity card
(review18: a Danish VAT number is DK and the eight-digit CVR number, and a Danish company
whose CVR number is a listed Colombian's cédula was prohibited as that person).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from gate.core.countries import ISO_3166_ALPHA2
from gate.core.hits import Hit, HitAction
from gate.core.parties import normalise_id
from gate.core.screening.entries import ListEntry
from gate.core.screening.index import ScreeningIndex, identifier_keys

#: VAT prefixes that are not the country's ISO code: Greece writes EL, Northern Ireland XI.
_VAT_PREFIXES = {"EL": "GR", "XI": "GB"}
#: The shortest number left once the prefix is taken off: shorter ones are too common.
_MIN_NATIONAL = 8
#: The kinds of a person's documents, which no VAT number is without its country letters.
_PERSONS_DOCUMENT = re.compile(
    r"passport|passeport|pasaporte|cedula|c\.?u\.?r\.?p|national|personal|electoral|birth"
    r"|travel|residen|d\.?n\.?i\b",
    re.IGNORECASE,
)


def _forms(key: str) -> Iterator[tuple[str, str | None]]:
    """``key`` itself (any entry), then without a country prefix (an entry of that country
    or of none), when it has one and enough digits after it."""
    yield key, None
    country = _VAT_PREFIXES.get(key[:2], key[:2])
    national = key[2:]
    if (
        key[:2].isalpha()
        and country in ISO_3166_ALPHA2
        and national[:1].isdigit()
        and len(national) >= _MIN_NATIONAL
    ):
        yield national, country


def _kind(entry: ListEntry, key: str) -> str | None:
    """The kind of ``entry``'s identifier indexed under ``key`` (a tax or company number
    before a person's document, when both are), or None when it has none."""
    kinds = [i.kind for i in entry.identifiers if key in identifier_keys(i.value)]
    return next((k for k in kinds if not _PERSONS_DOCUMENT.search(k)), next(iter(kinds), None))


def identifier_hits(
    index: ScreeningIndex, ids: Iterable[str], already: set[tuple[str, str]]
) -> list[Hit]:
    """A hit per entry one of ``ids`` names, but those of ``already`` (the (list, entry)
    pairs hit by name); each entry hit here is added to ``already``."""
    hits: list[Hit] = []
    for value in ids:
        for key, country in _forms(normalise_id(value)):
            for number in index.identifiers.get(key, ()):
                entry = index.entries[number]
                if (entry.list_id, entry.reference) in already:
                    continue
                kind = _kind(entry, key) or "id"
                if country is not None and (
                    (entry.countries and country not in entry.countries)
                    or _PERSONS_DOCUMENT.search(kind)
                ):
                    continue
                already.add((entry.list_id, entry.reference))
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
