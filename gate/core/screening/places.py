"""A place written after a party's name without a comma: "Rosoboronexport Moscow", "Tariq Aziz
Baghdad Iraq".

A consignee field often ends with the city or the country. After a comma or a dash the place is
a part of its own (name_parts); without punctuation it is one more word of the name, unknown to
the lists or rare on them, and it sank the listed name: "Rosoboronexport Moscow" scored 0.74
against the SDN's "ROSOBORONEXPORT", and a one-word name is never looked for inside a longer
one (IndexedName.specific).

The places are the lists' own: the cities and countries their addresses name
(ParsedList.places), folded as names are (``place_key``), so the gate knows "Moscow", "Tehran"
and "Cali" without a gazetteer of its own. A place is taken off the end of the name, up to
MAX_PLACES of them ("Baghdad Iraq"), and the rest is screened as a part that counts only as a
listed name exactly (matcher.screen), as the name before a comma is: a place name is also a
family name ("Maria Lima") or a company's word ("Golden Gate"), so the rest alone must be
listed as written, not merely close to a listed name.
"""

from __future__ import annotations

from collections.abc import Iterable

from gate.core.screening.names import UNINFORMATIVE, fold_name

#: A place is one to this many words ("Moscow", "Panama City", "Ras Al Khaimah").
MAX_PLACE_WORDS = 3
#: At most this many places are taken off one name ("Tariq Aziz Baghdad Iraq").
MAX_PLACES = 2
#: A place has at least this many letters: shorter ones are codes and initials ("CH", "AZ").
MIN_PLACE_LETTERS = 3


def place_key(text: str) -> tuple[str, ...] | None:
    """The folded words of one place as a list writes it, up to its postal code ("Moscow
    117452" is "moscow", "Reading, Berkshire RG10 0SQ" a caller splits at the comma first),
    without a trailing code ("Zurich CH-8022" is "zurich"); None when nothing is left that can
    be told from a name word (only generic words or particles, too short, too long)."""
    words: list[str] = []
    for token in fold_name(text)[0].tokens:
        if any(c.isdigit() for c in token):
            break
        words.append(token)
    while words and len(words[-1]) < MIN_PLACE_LETTERS:
        words.pop()
    if (
        not words
        or len(words) > MAX_PLACE_WORDS
        or all(word in UNINFORMATIVE for word in words)
        or not all(word.isalpha() for word in words)
    ):
        return None
    return tuple(words)


def place_keys(places: Iterable[str]) -> frozenset[tuple[str, ...]]:
    """The keys (``place_key``) of every place the lists name that has one."""
    return frozenset(key for text in places if (key := place_key(text)) is not None)


def without_places(
    places: frozenset[tuple[str, ...]], tokens: tuple[str, ...]
) -> tuple[str, ...] | None:
    """``tokens`` with the places (up to MAX_PLACES, the longest first) that end them taken off,
    or None when none ends them or nothing would be left."""
    end = len(tokens)
    for _ in range(MAX_PLACES):
        cut = next(
            (
                size
                for size in range(min(MAX_PLACE_WORDS, end - 1), 0, -1)
                if tokens[end - size : end] in places
            ),
            0,
        )
        if not cut:
            break
        end -= cut
    return tokens[:end] if end < len(tokens) else None
