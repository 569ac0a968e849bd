"""The index of every loaded name: tokens, their rarity, and the ways to reach a name fast.

Screening one party must not compare it with all 30,000 names. The index keeps, per folded
token, the names that hold it (a posting list), and per token its one-deletion variants
(the SymSpell idea), so a misspelt token finds its listed spelling with a few dictionary
look-ups instead of a distance to every token, and per romanisation-neutral key (``sound_key``)
the tokens that differ only by how a name was transliterated ("tsommittee", "committee"), and
per Arabic given name (``given_name``) its listed spellings ("hussein", "husayn"). Each
token is weighted by its rarity over all loaded names (inverse document frequency): "trading"
or "al" says little, "tradewinds" says much. Words of GENERIC_WORDS weigh little whatever their
frequency.

The index is built once per set of lists and never changed: a new list means a new index,
swapped in whole by the shell, so a screening never sees half a reload.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gate.core.parties import normalise_id
from gate.core.screening.entries import EntryKind, ListEntry, ParsedList
from gate.core.screening.given_names import ABD_WORDS, given_name
from gate.core.screening.names import (
    ABJAD_MIN_KEY,
    GENERIC_WORDS,
    abjad_key,
    abjad_name_key,
    consonant_key,
    fold_name,
    legal_form_words,
    sound_key,
)
from gate.core.screening.places import place_keys

PROHIBIT = "prohibit"
LICENCE = "licence"
ACTIONS = frozenset({PROHIBIT, LICENCE})

#: Weight of a generic word, whatever its rarity.
GENERIC_WEIGHT = 0.3
#: Tokens shorter than this are matched exactly only (a typo in "al" is another word).
FUZZY_MIN_LENGTH = 4
#: The rarity weight (log of names over names holding it) one word of a listed name needs for
#: the name to be looked for inside a longer one: about 1 name in 600 or rarer ("tanchon",
#: "hemmat", "mining" are rarer; "bank", "korea", "mohammad", "ali" are commoner).
CONTAINED_RARE = 6.4
#: A whole name is found by its consonants alone (a name in Arabic script) only when it has at
#: least this many: "hzblh" (Hizballah) is one name, "mhmd" is a crowd.
ABJAD_COMPACT_MIN_KEY = 5
#: A Latin word is matched by its consonants (``abjad_key``, ``consonant_key``) only when it
#: has at least this many: fewer meet too many other words ("mhmd": Mahmoud and Muhammad).
VOWELS_APART_MIN_KEY = 5
#: A word removed with a legal form from at least this many listed names, and from more than
#: keep it, is a word of legal forms (ScreeningIndex.legal_words).
LEGAL_WORD_MIN = 3
#: A word of at least this many listed persons' names is a person's name word
#: (ScreeningIndex.person_words): a place made of such words ("Khalil", "Qasim", "Valencia",
#: "San Jose") is a family name as often as a place, and is not taken off a party's name
#: ("Omar Ali Khalil" is not the listed "Omar Ali" in Khalil; review13: 117 of 2,112 places
#: of the demo lists are words of persons' names, 55 of them of three or more).
PERSON_WORD_MIN = 3
#: Identifiers shorter than this are too unspecific to be a hit on their own.
MIN_ID_LENGTH = 5
#: The number inside a listed value with words around it is indexed too when it has at least
#: this many characters (identifier_keys): "HRB 26136" does not index "26136" alone.
MIN_INNER_ID_LENGTH = 7


@dataclass(frozen=True, slots=True)
class ListPolicy:
    """How a list is used: its action on a hit and the score a hit must reach."""

    list_id: str
    action: str
    threshold: float = 0.88

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(
                f"list {self.list_id}: action {self.action!r} is not prohibit or licence"
            )
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"list {self.list_id}: threshold {self.threshold} is not in (0, 1]")


@dataclass(frozen=True, slots=True)
class IndexedName:
    """One folded form of one name or alias of one entry."""

    entry: int
    name: str
    weak: bool
    alias: bool
    tokens: tuple[int, ...]
    legal_form: bool
    weight: float
    token_set: frozenset[int]
    #: Specific enough to be looked for inside a longer party name: two words or more that
    #: are not generic, one of them rare (CONTAINED_RARE), and not a weak alias. "EMMA OIL",
    #: "Mohammad Ali" or a one-word alias inside a long name is a coincidence; "Tanchon
    #: Commercial Bank" is not. The "Abd" of an "Abd al-" name (given_names.ABD_WORDS) is no
    #: word of its own: "Abd al-Latif" and "Abdul Basir", one given name, are aliases a
    #: thousand ordinary names hold.
    specific: bool = False


def identifier_keys(value: str) -> tuple[str, ...]:
    """The keys a listed identifier is indexed under: the whole value normalised, and the
    number inside it, from its first to its last word that holds a digit, when words stand
    around it and it is long enough. OFAC writes some values with a word before or after the
    number ("AF465508 Colombia", "D000000483, Diplomatic", "Card 7020783883", "Booklet:
    A5199819", "Goztepe V.D. 823 026 0248"; review18: a party quoting the number alone hit
    nothing). The keys are derived, never stored: the entry and its version are unchanged."""
    whole = normalise_id(value)
    words = value.replace(",", " ").split()
    numbered = [n for n, word in enumerate(words) if any(ch.isdigit() for ch in word)]
    if not numbered:
        return (whole,)
    inner = normalise_id(" ".join(words[numbered[0] : numbered[-1] + 1]))
    return (whole,) if inner == whole or len(inner) < MIN_INNER_ID_LENGTH else (whole, inner)


def deletions(token: str) -> list[str]:
    """The token with one character removed, each way (for tokens long enough to fuzz)."""
    if len(token) < FUZZY_MIN_LENGTH:
        return []
    return [token[:i] + token[i + 1 :] for i in range(len(token))]


class ScreeningIndex:
    """Every name and alias of the loaded lists, ready to screen parties against.

    Build with ``ScreeningIndex.build``; it raises ValueError when a list has no policy.
    """

    __slots__ = (
        "abd_words",
        "abjad",
        "abjad_compact",
        "compact",
        "consonants",
        "deletes",
        "entries",
        "given",
        "identifiers",
        "initials",
        "legal_words",
        "max_weight",
        "names",
        "person_words",
        "places",
        "policies",
        "postings",
        "sounds",
        "starts",
        "token_of",
        "tokens",
        "weights",
    )

    def __init__(self) -> None:
        self.entries: list[ListEntry] = []
        self.policies: dict[str, ListPolicy] = {}
        self.names: list[IndexedName] = []
        self.token_of: dict[str, int] = {}
        self.tokens: list[str] = []
        self.weights: list[float] = []
        self.postings: list[list[int]] = []
        self.deletes: dict[str, list[int]] = {}
        self.sounds: dict[str, list[int]] = {}
        self.compact: dict[str, list[int]] = {}
        self.identifiers: dict[str, list[int]] = {}
        #: Per abjad_key, the listed tokens with those consonants ("hmt": "hemmat", ...), and
        #: the names whose words joined have them ("hzblh": "Hizballah"): how a name written
        #: in Arabic script reads.
        self.abjad: dict[str, list[int]] = {}
        self.abjad_compact: dict[str, list[int]] = {}
        #: Per consonant_key of VOWELS_APART_MIN_KEY letters or more, the listed tokens with a
        #: "z" that have it ("hsblh": "hizballah"): how they read with "z" written "s".
        self.consonants: dict[str, list[int]] = {}
        #: Per Arabic given name of the table (given_names), the listed tokens that spell it
        #: ("husayn": "hussein", "husayn", "husain", ...).
        self.given: dict[str, list[int]] = {}
        #: The listed tokens that are or begin an "Abd al-" name ("abd", "abdel", "abdulaziz",
        #: "abdurrahman"): a name read as one (readings.abd_compounds) counts only against a
        #: listed name that holds one of them.
        self.abd_words: frozenset[int] = frozenset()
        #: The places the lists' addresses name, folded (places.place_key): what a party's
        #: name may end with that is no part of it; not those made of persons' name words.
        self.places: frozenset[tuple[str, ...]] = frozenset()
        #: The words of at least PERSON_WORD_MIN listed persons' names ("salim", "khalil").
        self.person_words: frozenset[str] = frozenset()
        #: The words the lists' legal forms are made of, removed from more listed names than
        #: keep them (LEGAL_WORD_MIN at least): "obshchestvo", "ogranichennoi", "unitary" of
        #: legal forms written out. Such a word found where a legal form was not removed (a
        #: listed name misspelt, a party's name cut) names no party (truncated).
        self.legal_words: frozenset[str] = frozenset()
        #: Per first two words (token numbers), the names of three words or more that begin
        #: with them: where a name cut short at a field limit is looked for (truncated).
        self.starts: dict[tuple[int, int], list[int]] = {}
        #: Per first letter, how rare listed persons' name words beginning with it are (log
        #: of words over those): what an initial tells ("a" of Abdul, Ahmad, Ali: 1.4; "q":
        #: 4.7), as a word's weight tells what the word does (initials).
        self.initials: dict[str, float] = {}
        self.max_weight = 1.0

    @classmethod
    def build(cls, lists: Iterable[ParsedList], policies: Sequence[ListPolicy]) -> ScreeningIndex:
        """Index every entry of ``lists``; each list needs a policy of the same list id."""
        index = cls()
        index.policies = {policy.list_id: policy for policy in policies}
        folded: list[tuple[int, str, bool, bool, tuple[str, ...], bool]] = []
        places: list[str] = []
        removed: dict[str, int] = {}
        person_words: dict[str, int] = {}
        for parsed in lists:
            if parsed.list_id not in index.policies:
                raise ValueError(f"list {parsed.list_id} has no policy (action, threshold)")
            places.extend(parsed.places)
            for entry in parsed.entries:
                number = len(index.entries)
                index.entries.append(entry)
                for item in entry.names:
                    for word in legal_form_words(item.name):
                        removed[word] = removed.get(word, 0) + 1
                    for form in fold_name(item.name):
                        if entry.kind is EntryKind.PERSON:
                            for word in set(form.tokens):
                                person_words[word] = person_words.get(word, 0) + 1
                        if form.tokens:
                            folded.append(
                                (
                                    number,
                                    item.name,
                                    item.weak,
                                    item.alias,
                                    form.tokens,
                                    form.legal_form,
                                )
                            )
                for key in {k for i in entry.identifiers for k in identifier_keys(i.value)}:
                    if len(key) >= MIN_ID_LENGTH:
                        index.identifiers.setdefault(key, []).append(number)
        index._weigh(folded)
        letters: dict[str, int] = {}
        for number, _, _, _, tokens, _ in folded:
            if index.entries[number].kind is EntryKind.PERSON:
                for token in tokens:
                    letters[token[0]] = letters.get(token[0], 0) + 1
        index.initials = {
            letter: math.log((sum(letters.values()) + 1) / count)
            for letter, count in letters.items()
        }
        index.person_words = frozenset(
            word for word, count in person_words.items() if count >= PERSON_WORD_MIN
        )
        index.places = frozenset(
            key for key in place_keys(places) if not index.person_words.issuperset(key)
        )
        index.legal_words = frozenset(
            word
            for word, count in removed.items()
            if count >= LEGAL_WORD_MIN and count > index.name_frequency(word)
        )
        return index

    def _weigh(self, folded: list[tuple[int, str, bool, bool, tuple[str, ...], bool]]) -> None:
        frequency: dict[str, int] = {}
        # An Arabic given name is as rare as the name, whatever its spelling: "Ebrahim" is a
        # rare spelling of a common name, and must not weigh against a party that writes it
        # "Ibrahim" as if it told the listed person apart.
        named: dict[str, int] = {}
        for *_, tokens, _legal in folded:
            for token in set(tokens):
                frequency[token] = frequency.get(token, 0) + 1
            for name in {given_name(token) for token in tokens}:
                if name is not None:
                    named[name] = named.get(name, 0) + 1
        total = len(folded) + 1
        for token, count in frequency.items():
            self.token_of[token] = len(self.tokens)
            self.tokens.append(token)
            idf = math.log(total / named.get(given_name(token) or "", count))
            self.weights.append(min(idf, GENERIC_WEIGHT) if token in GENERIC_WORDS else idf)
            self.postings.append([])
        # A token never seen is as rare as the rarest: it tells the names apart most.
        self.max_weight = math.log(total)
        for token, number in self.token_of.items():
            for variant in deletions(token):
                self.deletes.setdefault(variant, []).append(number)
            self.sounds.setdefault(sound_key(token), []).append(number)
            name = given_name(token)
            if name is not None:
                self.given.setdefault(name, []).append(number)
        self.abd_words = frozenset(n for t, n in self.token_of.items() if t.startswith("abd"))
        for entry, name, weak, alias, tokens, legal in folded:
            ids = tuple(self.token_of[t] for t in tokens)
            number = len(self.names)
            informative = [
                self.weights[i]
                for i in set(ids)
                if self.tokens[i] not in GENERIC_WORDS and self.tokens[i] not in ABD_WORDS
            ]
            self.names.append(
                IndexedName(
                    entry,
                    name,
                    weak,
                    alias,
                    ids,
                    legal,
                    sum(self.weights[i] for i in set(ids)),
                    frozenset(ids),
                    not weak and len(informative) >= 2 and max(informative) >= CONTAINED_RARE,
                )
            )
            for token_id in set(ids):
                self.postings[token_id].append(number)
            self.compact.setdefault("".join(tokens), []).append(number)
            if len(ids) >= 3:
                self.starts.setdefault((ids[0], ids[1]), []).append(number)
            key = abjad_name_key(tokens)
            if len(key) >= ABJAD_COMPACT_MIN_KEY:
                self.abjad_compact.setdefault(key, []).append(number)
        for token, number in self.token_of.items():
            key = abjad_key(token)
            if len(key) >= ABJAD_MIN_KEY:
                self.abjad.setdefault(key, []).append(number)
            z_as_s = consonant_key(token)
            if z_as_s != key and len(z_as_s) >= VOWELS_APART_MIN_KEY:
                self.consonants.setdefault(z_as_s, []).append(number)

    def weight(self, token: str) -> float:
        """The rarity weight of a folded token (the maximum for a token never seen)."""
        number = self.token_of.get(token)
        if number is not None:
            return self.weights[number]
        return GENERIC_WEIGHT if token in GENERIC_WORDS else self.max_weight

    def name_frequency(self, token: str) -> int:
        """How many folded names hold ``token``."""
        number = self.token_of.get(token)
        return 0 if number is None else len(self.postings[number])

    @property
    def name_count(self) -> int:
        """How many folded names the index holds."""
        return len(self.names)
