"""The parts a party's name is also screened as: what separators divide it into, the name
without a title or a vessel's prefix, and the name before each comma (``name_parts``).

A consignee field holds more than a name: "X c/o Y", "Dr. X", "M/V X", "X, Damascus". Each
part is screened as a name of its own (``gate.core.screening.matcher.screen``); the name before
a comma counts only where it is a listed name exactly, since a comma also stands between the
words of one name.
"""

from __future__ import annotations

import re
from itertools import islice

from gate.core.screening.given_names import ABD_WORDS

#: Where one party name holds several: "X c/o Y", "X on behalf of Y", "X; Tehran", "X (Y)".
#: Not "," ("MAKENGA, Sultani" is one name), "/" (punctuation between the words of one name,
#: "Saddam / Hussein") nor " for " ("Yousser Company for Finance and Investment" is one
#: listed name); a listed name after those is found whole inside the longer name anyway.
_SEPARATORS = re.compile(
    r"\s(?:c/o|care\s+of|on\s+behalf\s+of|acting\s+for|via|attn\.?)\s|[;()\[\]|]",
    re.IGNORECASE,
)
#: Where the name before a place or a note may end: a comma, or a dash between spaces ("Tariq
#: Aziz - Baghdad"; one within a word, "Al-Qaida", joins it). Either also stands between the
#: words of one name ("MAKENGA, Sultani", "DEV - SOL"), so the name before it counts only
#: as a listed name exactly (``name_parts``).
_HEAD_ENDS = re.compile(r",|\s[-\u2013\u2014]+\s")
#: A listed name holds three commas at most: the name before each of the first four is tried.
_MAX_HEADS = 4


#: A person's title ("Dr.", "H.E.", "Eng.", "Capt.") or a vessel's prefix ("M/V", "MV"). The
#: titles that are also names ("Eng Kok Leong", "Gen Li") only with their dot.
_TITLE = (
    r"(?:mr|mrs|ms|miss|dr|prof|sheikh|shaikh|shaykh|haji|hajji|alhaji|mullah|mawlawi|maulvi"
    r"|h\.\s*e\.|(?:eng|engr|col|gen|brig)\.|capt|m\s*/\s*[vt]|m\.\s*[vt]|mv|mt|ship|vessel)"
    r"[.,]*\s+"
)
#: Words a party's name may open with that are no part of the name: a person's title, a
#: vessel's prefix ("Dr. Andrey Serbin", "M/V Sanchi"). Unknown to the lists, each weighed as
#: the rarest word and sank the listed name (names9 probe: 183 of 323 prefixed vessels missed).
_PREFIX = re.compile(rf"^\s*(?:{_TITLE})+", re.IGNORECASE)
#: The same after the comma of a name written family name first ("Ahmadian, Dr. Ali Akbar"):
#: there the words are out of the listed order, so a listed name is not found inside the
#: longer one either (screen12 probe: 167 of 200 listed persons cleared written "Family, Dr.
#: Given"; one title is taken, as a listed name may hold one: "Barech, Mullah Naim").
_TITLE_AFTER_COMMA = re.compile(rf",[\s.,/-]*{_TITLE}", re.IGNORECASE)


#: The words before a comma that do not make it a name of its own: the titles of ``_PREFIX``
#: and the particles a family name opens with ("Al Shammari", "Abu Ali", "van Dijk").
_TITLES_AND_PARTICLES = frozenset((
    "mr", "mrs", "ms", "miss", "dr", "prof", "sheikh", "shaikh", "shaykh", "haji", "hajji",
    "alhaji", "mullah", "mawlawi", "maulvi", "h.e", "capt",
    "al", "el", "abu", "bin", "ibn", "ben", "bint", "van", "von", "der", "den", "de", "del",
    "della", "la", "le", "da", "das", "do", "dos", "di",
))  # fmt: skip
#: Titles that are also names ("Eng Kok Leong", "Gen Li"), titles only written with their dot
#: (as in ``_TITLE``): "ENG Kiat, Singapore" holds two name words before its comma.
_DOTTED_TITLES = frozenset(("eng", "engr", "col", "gen", "brig"))


def name_parts(name: str) -> list[tuple[str, int]]:
    """The parts ``name`` is also screened as, each with 0, or its rank when it counts only as
    a listed name exactly: those separators divide it into; the name without a title or vessel
    prefix; and, exactly, the name before each comma or spaced dash, its last first ("TARIQ
    AZIZ, Damascus, Syria", "Tariq Aziz - Baghdad": a place or a note, as a consignee field
    often carries) with two name words or more (not "Al Shammari, Ahmed"), screened only while
    the name as written, or before a later comma, is no listed name exactly (``screen``): a
    comma also stands between the words of one name ("MAKENGA, Sultani"), and its parts must
    not find what the whole name does not."""
    parts = [(part, 0) for part in _SEPARATORS.split(name) if part.strip()]
    if len(parts) < 2:
        parts = []
    bare = _TITLE_AFTER_COMMA.sub(", ", _PREFIX.sub("", name, count=1))
    if bare != name and bare.strip():
        parts.append((bare, 0))
    ends = list(islice(_HEAD_ENDS.finditer(name), _MAX_HEADS))
    for rank, end in enumerate(reversed(ends), start=1):
        head, tail = name[: end.start()], name[end.end() :]
        # One name word with a title, a particle or an "Abd al-" before the comma is a family
        # name ("Al Shammari, Ahmed", "Abdul Rahman, Jamal"), found as a listed alias alone.
        named = [
            w
            for w in _HEAD_ENDS.sub(" ", head).split()
            if (word := w.casefold().strip(".")) not in _TITLES_AND_PARTICLES
            and not (word in _DOTTED_TITLES and w.endswith("."))
            and word not in ABD_WORDS
        ]
        if len(named) >= 2 and _HEAD_ENDS.sub(" ", tail).strip():
            parts.append((head, rank))
            bare_head = _TITLE_AFTER_COMMA.sub(", ", _PREFIX.sub("", head, count=1))
            if bare_head != head and bare_head.strip():
                parts.append((bare_head, rank))
    return parts
