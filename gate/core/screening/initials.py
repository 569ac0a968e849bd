"""A listed person written with initials for the given names: "A. Q. Khan", "Khan, A.Q.".

Weighted Dice (matcher) sees an initial as a word of one letter the lists do not hold, and
weighs it as the rarest: every listed person written with initials for the given names cleared
(screen13 probe over the demo lists: 300 of 300 written "A. Q. Khan", 299 of 300 "Khan,
A.Q."). A trained screener reads "A. Q. Khan" as "Abdul Qadeer Khan", and so does
``initials_scores``: the party's whole words each match a listed word of their own, as written
or as another romanisation or spelling of it beginning with the same letter (not one letter
off, unless the word is long: a misspelt name with initials is too little to go on; nor
"Hill" for the "il" of "Pak Mun-il", whose sound keys agree), among them a family name
(abridged.first_and_family), and its initials, in the order written, are the first letters of
every other word of the listed name, in the listed order: given names only (its particles,
"al", "bin", may be left out, and a generation, "Jr.", is no name): "P.L. Lopez" is not
"LOPEZ PALACIOS, Liliana". Or the name as listed with its first words written as initials
and its last ones whole, the last rare enough on the lists to be a family name
(abridged.ABRIDGED_FAMILY_RARE): "K. J. Un" is the SDN's "KIM, Jong Un", "A.L. Martin" not
"AVENDANO LOPEZ, Martin" (300 of 300 listed persons written in their own order cleared so,
59 now).

Initials tell less than names: "J. Smith" is not "John Smith". What the party's name tells is
weighed as the matcher weighs words: each whole word's rarity on the lists, and each initial's
(ScreeningIndex.initials: "a", which begins Abdul, Ahmad and Ali, tells 1.4; "q" 4.7). A hit
needs INITIALS_RARE together ("A. Q. Khan" 11.6; not "M. A. Hassan" 7.7, nor "A. Khan" 6.9),
and three words and initials at least: one initial and a family name name a crowd
("S. Schneider"). Only a person's listed names are read so: a company's legal form
written with dots ("BETANIA S.A.") reads as initials too, and finds no person.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rigour.text.translit import ascii_text

from gate.core.screening.abridged import ABRIDGED_FAMILY_RARE, first_and_family
from gate.core.screening.entries import EntryKind
from gate.core.screening.index import IndexedName, ScreeningIndex
from gate.core.screening.names import NAME_PARTICLES, FoldedName, fold_name

#: A listed person written with initials scores this: above a list's usual threshold, as a
#: screener would stop at it, below a whole match and below a name abridged.
INITIALS_FACTOR = 0.9
#: What the party's whole words and initials must tell together (rarity weights).
INITIALS_RARE = 11.0
#: A whole word matches a listed word as written or as another spelling of one name.
INITIALS_SIMILAR = 0.95
#: ... or one letter off when it is this long (1 - 1 / (2 * 10) = INITIALS_SIMILAR): a shorter
#: word is not looked up by its near spellings, which are most of what a lookup costs.
INITIALS_FUZZY = 10
#: A whole word whose listed names number more than this finds no person by initials: only
#: names a few hundred persons share are looked through ("Khan" 93; "Mohamed" 201 weighs
#: 2.8, too little to reach INITIALS_RARE anyway).
INITIALS_CANDIDATE_CAP = 400

#: A word of initials: "A.", "A", "A.Q.", "A.Q", "D.N.E.".
_INITIALS = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]?|[^\W\d_]")
#: Initials written against the word after them ("A.Q.Khan"), a word with them.
_WORDS = re.compile(r"(?:[^\W\d_]\.)+(?=[^\W\d_]{2})|[^\s,]+")
_GENERATIONS = frozenset({"jr", "sr", "ii", "iii", "iv"})


def _latin_initial(letter: str) -> str:
    """The Latin letter an initial is, as the family name beside it is read: a look-alike or
    an accented letter is its Latin one ("А." with a Cyrillic "А", "Á.", a fullwidth "Ａ."),
    which fold_name does for a word but an initial, matched by its letter, was not (review16).
    Empty for a letter of a script without case (a Chinese or Arabic character is a syllable
    or a consonant, not an initial)."""
    if letter.isascii():
        return letter.casefold()
    if not (letter.isupper() or letter.islower()):
        return ""
    return "".join(c for c in ascii_text(letter).casefold() if c.isascii() and c.isalpha())[:1]


def split_initials(name: str) -> tuple[tuple[str, ...], FoldedName] | None:
    """The initials of ``name`` in order ("a", "q") and its other words folded, or None when
    it has no initial, no other word, or a legal form (no person)."""
    letters: list[str] = []
    words: list[str] = []
    for word in _WORDS.findall(name):
        if _INITIALS.fullmatch(word):
            letters.extend(_latin_initial(c) for c in word if c.isalpha())
        else:
            words.append(word)
    if not letters or not words or not all(letters):
        return None
    form = fold_name(" ".join(words))[0]
    # A generation ("A. Q. Khan Jr.") is no name, on the party's side as on the list's.
    tokens = tuple(token for token in form.tokens if token not in _GENERATIONS)
    if form.legal_form or not tokens:
        return None
    return tuple(letters), FoldedName(tokens, False)


def initials_scores(
    index: ScreeningIndex, name: str, near: Callable[[str], dict[int, float]]
) -> dict[int, tuple[float, FoldedName, str]]:
    """Per listed person's name that ``name`` writes with initials (see the module's
    docstring): the score, the party's name with the listed words for its initials, and how
    it was read. ``near`` gives a word's listed spellings with their similarity
    (matcher.expand)."""
    split = split_initials(name)
    if split is None:
        return {}
    letters, form = split
    # A spelling that begins with another letter is another name with initials ("Hill" is
    # not the "il" of "Pak Mun-il", though the sound keys agree).
    spellings = {
        token: {
            n: s
            for n, s in near(token).items()
            if s >= INITIALS_SIMILAR and index.tokens[n][0] == token[0]
        }
        for token in form.tokens
    }
    sizes = {t: sum(len(index.postings[n]) for n in found) for t, found in spellings.items()}
    driver = min(form.tokens, key=lambda token: sizes[token])
    if not spellings[driver] or sizes[driver] > INITIALS_CANDIDATE_CAP:
        return {}
    told = sum(index.initials.get(letter, index.max_weight) for letter in letters)
    found: dict[int, tuple[float, FoldedName, str]] = {}
    for number in {n for t in spellings[driver] for n in index.postings[t]}:
        indexed = index.names[number]
        if indexed.weak or index.entries[indexed.entry].kind is not EntryKind.PERSON:
            continue
        read = _read(index, letters, form.tokens, spellings, indexed, told)
        if read is not None:
            tokens, how = read
            found[number] = (INITIALS_FACTOR, FoldedName(tokens, False), how)
    return found


def _read(
    index: ScreeningIndex,
    letters: tuple[str, ...],
    words: tuple[str, ...],
    spellings: dict[str, dict[int, float]],
    indexed: IndexedName,
    told: float,
) -> tuple[tuple[str, ...], str] | None:
    """The party's name with the listed words its initials stand for, and how it was read,
    when ``words`` and ``letters`` are the listed name ``indexed``; else None."""
    listed = indexed.tokens
    taken: dict[str, int] = {}
    for word in words:
        at = max(
            (p for p, n in enumerate(listed) if n in spellings[word] and p not in taken.values()),
            key=lambda p: spellings[word][listed[p]],
            default=None,
        )
        if at is None:
            return None
        taken[word] = at
        told += min(index.weight(word), index.weights[listed[at]])
    rest = [
        (p, index.tokens[n])
        for p, n in enumerate(listed)
        if p not in taken.values() and index.tokens[n] not in _GENERATIONS
    ]
    for given in (rest, [(p, word) for p, word in rest if word not in NAME_PARTICLES]):
        if [word[0] for _, word in given] == list(letters):
            break
    else:
        return None
    if told < INITIALS_RARE or len(letters) + len(words) < 3:
        return None
    # The name as listed with its first words written as initials ("K. J. Un" for "KIM, Jong
    # Un"): its last word must then tell persons apart as a family name must (abridged).
    last = max(p for p, n in enumerate(listed) if index.tokens[n] not in _GENERATIONS)
    leading = max(p for p, _ in given) < min(taken.values()) and last in taken.values()
    family = first_and_family(index, indexed)[1]
    as_listed = leading and index.weights[listed[last]] >= ABRIDGED_FAMILY_RARE
    given_family = any(p in family for p, _ in given)
    if not as_listed and (given_family or not any(p in family for p in taken.values())):
        return None  # initials are given names: "P.L. Lopez" is not "LOPEZ PALACIOS, Liliana"
    how = f"initials {' '.join(letters)!r} read as {' '.join(word for _, word in given)!r}"
    # In the listed order: the initials and words stand where the listed words do.
    read = sorted([*given, *((p, word) for word, p in taken.items())])
    return tuple(word for _, word in read), how
