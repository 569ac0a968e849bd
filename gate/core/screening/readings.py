"""The other readings of a party's name: words written together that the lists write apart,
and apart that they write together.

The matcher compares words; these readings give it the words as the lists would have them.
A word made of a listed word and a business word ("Mahan Airlines" as "Mahan Air Lines"), two
words that spell one listed word ("Rosoboron Export"), and the Arabic compound names written
either way ("Abd al Rosyid" and "Abdul Rosyid", "Abdulaziz" and "Abdul Aziz"), and the
"Abd al-" names as the lists write them ("Abdurrahman" as "Abd Rahman" and "Abdulrahman").
Each reading comes with how it was read, which a hit's explanation repeats.
"""

from __future__ import annotations

from dataclasses import dataclass

from gate.core.screening.given_names import ABD_WORDS, GIVEN_NAME_OF, given_name
from gate.core.screening.index import ScreeningIndex
from gate.core.screening.names import GENERIC_WORDS, UNINFORMATIVE, FoldedName


@dataclass(frozen=True, slots=True)
class Reading:
    """One other reading of a party's name: the name so read, and how it was read."""

    form: FoldedName
    how: str
    #: Listed words (index numbers) one of which a listed name must hold for a hit through
    #: this reading to count; empty when any listed name may.
    needs: frozenset[int] = frozenset()


def readings(index: ScreeningIndex, form: FoldedName) -> list[Reading]:
    """Every other reading of ``form`` (see the module's docstring), each with how it was
    read; none when nothing in it reads otherwise."""
    found = [
        Reading(read, how)
        for read, how in (
            *compounds(index, form),
            *joins(index, form),
            *given_joins(index, form),
            *given_splits(index, form),
            *word_splits(index, form),
        )
    ]
    # An "Abd al-" name read apart leaves a light word ("abd", "abdul") where the party wrote
    # one rare word ("Abdussamad"): only a listed name that writes such a name too may use it,
    # or "Abdussamad Shammari" reads "SA'AD AL-SHAMMARI" with a word to spare.
    found.extend(Reading(read, how, index.abd_words) for read, how in abd_compounds(index, form))
    return found


#: Words naming a kind of business that are often written joined to the name word before them
#: ("Airlines", "Airways", "Petroservices"): the generic words of four letters or more, and
#: the carriers' "lines" and "ways" (the lists write one airline "Mahan Air" and "Mahan
#: Airways", another "Dena Airways" and "Dena Airlines"). Shorter generic words ("co", "sa",
#: "ag") end too many ordinary words.
JOINED_BUSINESS_WORDS = frozenset(
    {word for word in GENERIC_WORDS if len(word) >= 4} | {"lines", "line", "ways"}
)
#: The listed word a business word is joined to has at least this many letters ("air").
COMPOUND_MIN_HEAD = 3


def compounds(index: ScreeningIndex, form: FoldedName) -> list[tuple[FoldedName, str]]:
    """``form`` with one of its words read as a listed word (not a generic one) and a business
    word written together (JOINED_BUSINESS_WORDS), each reading with how it was read: "Mahan
    Airlines" is also "Mahan Air Lines", which holds the listed "Mahan Air" whole and is
    screened as any name is. Any other cut of a word reads too many ordinary words as listed
    ones ("Sprite" as "spr ite"), and a name needs another word that is not generic: alone, a
    word read so ("Biotechnologies" as "Bio Technologies") is too weak a sign."""
    readings: list[tuple[FoldedName, str]] = []
    informative = [at for at, token in enumerate(form.tokens) if token not in GENERIC_WORDS]
    if len(informative) < 2:
        return readings
    for at, token in enumerate(form.tokens):
        for cut in range(COMPOUND_MIN_HEAD, len(token) - 3):
            head, tail = token[:cut], token[cut:]
            if tail in JOINED_BUSINESS_WORDS and head in index.token_of:
                if head in GENERIC_WORDS:
                    continue
                tokens = (*form.tokens[:at], head, tail, *form.tokens[at + 1 :])
                reading = f"{token!r} read as {head + ' ' + tail!r}"
                readings.append((FoldedName(tokens, form.legal_form), reading))
    return readings


#: A listed word the party wrote in two ("Rosoboron Export") is read whole when the join is
#: at least this long: shorter joins of two ordinary words meet listed words by chance.
JOINED_MIN = 8
#: The first words of Arabic compound names, which are written apart or joined: "Abd al-Aziz",
#: "Abdel Aziz", "Abdulaziz"; "Abd al Rosyid" and "Abdul Rosyid"; "Abu Bakar". Such a word and
#: the next are also read as one given name (given_names) when the lists hold that name: two
#: ordinary words joined could spell an Arabic name by chance ("Has San"), these cannot.
COMPOUND_HEADS = frozenset(
    {"abd", *(spelling for spelling, name in GIVEN_NAME_OF.items() if name in ("abdul", "abu"))}
)


def joins(index: ScreeningIndex, form: FoldedName) -> list[tuple[FoldedName, str]]:
    """``form`` with two neighbouring words read as the one listed word they spell together,
    each reading with how it was read. The whole name written without spaces is matched
    already (``compact``); this finds the split word beside other words ("Rosoboron Export
    Company", "Rosoboron Export Group"), which a space-free comparison of the whole misses."""
    readings: list[tuple[FoldedName, str]] = []
    tokens = form.tokens
    for at in range(len(tokens) - 1):
        joined = tokens[at] + tokens[at + 1]
        if len(joined) >= JOINED_MIN and joined in index.token_of and joined not in GENERIC_WORDS:
            read = (*tokens[:at], joined, *tokens[at + 2 :])
            reading = f"{tokens[at] + ' ' + tokens[at + 1]!r} read as {joined!r}"
            readings.append((FoldedName(read, form.legal_form), reading))
    return readings


def given_joins(index: ScreeningIndex, form: FoldedName) -> list[tuple[FoldedName, str]]:
    """``form`` with every Arabic compound name written in two (COMPOUND_HEADS: "Abd al
    Rosyid", "Abd el Aziz", "Abu Bakar") read as the one given name it spells ("abdal", which
    is "Abdul"; "abdelaziz"), when the lists hold that name: one reading (with how it was
    read), or none. One reading for all of them, so a name with two such pairs costs one more
    scoring, not two."""
    tokens = list(form.tokens)
    read: list[str] = []
    joins: list[str] = []
    at = 0
    while at < len(tokens):
        if at + 1 < len(tokens) and tokens[at] in COMPOUND_HEADS:
            joined = tokens[at] + tokens[at + 1]
            if given_name(joined) in index.given:
                read.append(joined)
                joins.append(f"{tokens[at] + ' ' + tokens[at + 1]!r} read as {joined!r}")
                at += 2
                continue
        read.append(tokens[at])
        at += 1
    if not joins:
        return []
    return [(FoldedName(tuple(read), form.legal_form), "; ".join(joins))]


#: The listed word after a compound name's first word, split off a party's word ("Abdulaziz" as
#: "Abdul Aziz"), has at least this many letters: shorter tails ("Abdul-lah") meet listed words
#: by chance.
COMPOUND_TAIL_MIN = 4


def given_splits(index: ScreeningIndex, form: FoldedName) -> list[tuple[FoldedName, str]]:
    """``form`` with every word that joins an Arabic compound name's first word (COMPOUND_HEADS)
    to a listed word read as the two ("Abdulaziz Haqqani" as "Abdul Aziz Haqqani", as the SDN
    list writes it): one reading (with how it was read), or none. The other way round from
    ``given_joins``: the party joins what the list writes apart."""
    read: list[str] = []
    splits: list[str] = []
    for token in form.tokens:
        cut = next(
            (
                len(head)
                for head in _HEADS_LONGEST_FIRST
                if token.startswith(head)
                and len(token) - len(head) >= COMPOUND_TAIL_MIN
                and token[len(head) :] in index.token_of
                and token[len(head) :] not in GENERIC_WORDS
            ),
            0,
        )
        if cut:
            read.extend((token[:cut], token[cut:]))
            splits.append(f"{token!r} read as {token[:cut] + ' ' + token[cut:]!r}")
        else:
            read.append(token)
    if not splits:
        return []
    return [(FoldedName(tuple(read), form.legal_form), "; ".join(splits))]


_HEADS_LONGEST_FIRST = sorted(COMPOUND_HEADS, key=len, reverse=True)


#: The article after "Abd" as written, its "l" assimilated or not: "Abd al-Rahman", "Abd
#: el-Aziz", "Abd ur-Rahman", "Abd as-Salam", "Abd an-Nasir".
ABD_ARTICLES = frozenset(
    {"al", "el", "ul", "il", "ar", "ur", "as", "us", "az", "uz", "at", "ad", "an", "un"}
)
#: The letters an article's "l" is assimilated to before a name ("Abdurrahman", "Abdussalam",
#: "Abdunnasir"): Arabic's sun letters as Latin writes their first letter.
SUN_LETTERS = frozenset("rsztdn")
#: The spellings of "Abdul" (given_names), the first word of an "Abd al-" name written in two
#: or joined ("Abdel Aziz", "Abdulaziz").
_ABDUL = ABD_WORDS - {"abd"}
#: How an "Abd al-" name is read: as the lists write one, "abd X" (their "Abd al-X" without
#: the article, a generic word) and "abdulX". Not "abdul X": given_joins and given_splits
#: find a listed "Abdul X" already, and "abdul", light on the lists, read off one rare word
#: ("Abdussalam") flagged more ordinary names than it found listed ones (arabic10 probe).
_ABD_WAYS = (("abd", "{}"), ("abdul{}",))


def abd_compounds(index: ScreeningIndex, form: FoldedName) -> list[tuple[FoldedName, str]]:
    """``form`` with every "Abd al-" name in it ("servant of" and a name of God) written in
    each of the ways the lists write one (_ABD_WAYS), each reading with how it was read; none
    when ``form`` has no such name. A party writes it one way ("Abd al-Rahman", "Abd
    ar-Rahman", "Abdul Rahman", "Abdel Rahman", "Abdulrahman", "Abdurrahman", "Abdur Rahman")
    and a list another: "Abdul Salam" for the SDN's "Abd-al-Salam", "Abdurrahman YASIN" for
    the UN's "ABDUL RAHMAN YASIN" (names9 probe: 62 of 109 listed "Abd al X" missed written
    "Abdul X", 113 of 206 assimilated). "abdul" and "abdel" meet through given_names,
    "abdulX" and "abdelX" as one letter off. A name joined to the first word ("abdulkarim",
    "abdurrahman") is read only where its second part is a listed word (_listed_name):
    "Abdullah" (Abd-Allah) is one name. The readings count only against a listed name that
    writes an "Abd al-" name too (ScreeningIndex.abd_words; readings)."""
    compounds: list[tuple[int, int, str]] = []
    at = 0
    tokens = form.tokens
    while at < len(tokens):
        found = _abd_compound(index, tokens, at)
        if found:
            compounds.append((at, *found))
            at += found[0]
        else:
            at += 1
    if not compounds:
        return []
    readings: list[tuple[FoldedName, str]] = []
    for way in _ABD_WAYS:
        read: list[str] = []
        said: list[str] = []
        start = 0
        for at, length, name in compounds:
            written = tuple(part.format(name) for part in way)
            read.extend((*tokens[start:at], *written))
            said.append(f"{' '.join(tokens[at : at + length])!r} read as {' '.join(written)!r}")
            start = at + length
        read.extend(tokens[start:])
        if tuple(read) != tokens:
            readings.append((FoldedName(tuple(read), form.legal_form), "; ".join(said)))
    return readings


def _abd_compound(
    index: ScreeningIndex, tokens: tuple[str, ...], at: int
) -> tuple[int, str] | None:
    """The "Abd al-" name that begins at ``tokens[at]``: how many words it takes and the name
    after "Abd al" ("rahman"), or None."""
    token = tokens[at]
    after = tokens[at + 1] if at + 1 < len(tokens) else ""
    if token == "abd" and after:
        if after in ABD_ARTICLES and at + 2 < len(tokens):
            return 3, tokens[at + 2]
        return 2, after
    if token in _ABDUL and after:
        return 2, after
    assimilated = _assimilated(index, token, after)
    if assimilated:
        return assimilated
    tail = next((token[len(head) :] for head in _ABDUL if token.startswith(head)), "")
    return (1, tail) if _listed_name(index, tail) else None


def _assimilated(index: ScreeningIndex, token: str, after: str) -> tuple[int, str] | None:
    """An "Abd al-" name with the article's "l" assimilated to the name's first letter (a sun
    letter), written in two ("Abdur Rahman", 2 words) or joined ("Abdurrahman", 1): how many
    words it takes and the name ("rahman"), or None."""
    if token[:4] != "abdu" or token[4:5] not in SUN_LETTERS:
        return None
    if len(token) == 5 and after[:1] == token[4]:
        return 2, after
    if token[5:6] == token[4] and _listed_name(index, token[5:]):
        return 1, token[5:]
    return None


def _listed_name(index: ScreeningIndex, tail: str) -> bool:
    """Whether ``tail``, split off a joined "Abd al-" name, is a listed word (not a generic
    one) of COMPOUND_TAIL_MIN letters or more."""
    return len(tail) >= COMPOUND_TAIL_MIN and tail in index.token_of and tail not in GENERIC_WORDS


#: Each part of a word read as two listed words has at least this many letters ("un" of
#: "Jongun"): Korean given names are two syllables, written apart, hyphened or joined.
SPLIT_MIN_PART = 2


def word_splits(index: ScreeningIndex, form: FoldedName) -> list[tuple[FoldedName, str]]:
    """``form`` with one word the lists do not hold read as two they do, neither generic nor a
    particle, each reading with how it was read: "Jongun Kim" is also "Jong Un Kim", as the
    lists write a Korean given name apart ("KIM KYONG OK" for "Kyongok Kim": 186 of 188 listed
    Korean names with a two-syllable given name missed written joined, names9 probe). A name
    needs another word that is not generic, as for ``compounds``: alone, a word cut in two is
    too weak a sign."""
    found: list[tuple[FoldedName, str]] = []
    if sum(token not in UNINFORMATIVE for token in form.tokens) < 2:
        return found
    for at, token in enumerate(form.tokens):
        if token in index.token_of:
            continue
        for cut in range(SPLIT_MIN_PART, len(token) - SPLIT_MIN_PART + 1):
            head, tail = token[:cut], token[cut:]
            if (
                head in index.token_of
                and tail in index.token_of
                and head not in UNINFORMATIVE
                and tail not in UNINFORMATIVE
            ):
                tokens = (*form.tokens[:at], head, tail, *form.tokens[at + 1 :])
                found.append(
                    (
                        FoldedName(tokens, form.legal_form),
                        f"{token!r} read as {head + ' ' + tail!r}",
                    )
                )
    return found
