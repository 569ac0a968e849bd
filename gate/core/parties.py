"""Denial-list matching: is this consignee a party our partners have refused?

Invariant: two names that differ only in case, accents, punctuation, legal form ("Ltd",
"GmbH", "S.A.") or the words "and"/"the" normalise to the same string, and a match requires
the same country. Both sides go through the same ``normalise``, so the comparison is symmetric
and an entry can be written the way the notice printed it.

A near miss counts too. Denial notices and shipping documents spell names differently
("Rocket Dynamics Trading" against "Rocket Dynamic Trading Co."), and a partner's denial must
not be undercut by a typo, so a fuzzy score at or over the policy's threshold is a match. The
score is the larger of two ``difflib.SequenceMatcher`` ratios: over the normalised names, and
over their words sorted (so word order does not matter). The match carries the entry and the
score, because an operator has to see why a shipment is held and how close the call was.

Everything here is pure: ``unicodedata`` and ``difflib`` are computation, not I/O.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from gate.core.countries import parse_country
from gate.errors import PolicyError

#: Legal-form words dropped before comparing. Dotted spellings ("S.A.", "B.V.") reach this
#: set as "sa", "bv" because dots are removed and runs of single letters are joined.
LEGAL_FORMS: frozenset[str] = frozenset(
    {
        "ab", "ag", "as", "asa", "bhd", "bv", "cjsc", "co", "company", "corp", "corporation",
        "cv", "eg", "ev", "fzco", "fzc", "fze", "fzllc", "gbr", "gmbh", "inc", "incorporated",
        "jsc", "kft", "kg", "kgaa", "kk", "limited", "llc", "llp", "lp", "ltd", "ltda", "mbh",
        "nv", "oao", "ohg", "ojsc", "ooo", "oy", "oyj", "pjsc", "plc", "pte", "pty", "pvt",
        "sa", "sab", "sae", "sarl", "sas", "sdn", "se", "sl", "spa", "sp", "srl", "sro", "tbk",
        "ug", "zao", "zoo",
    }
)  # fmt: skip

#: Joining words that differ between spellings of one name ("A & B" / "A and B").
NOISE_WORDS: frozenset[str] = frozenset({"and", "the"})

DEFAULT_THRESHOLD = 0.88

# Letters NFKD does not decompose into a base letter plus marks.
_FOLD = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
# Removed rather than spaced, so "S.A." and "O'Neil" stay one word.
_JOINERS = frozenset(".'’`´")


def fold(text: str) -> str:
    """Casefold, strip accents, drop dots and apostrophes, punctuation to spaces, collapse.

    The shared first step of ``normalise``; also how declared end uses are compared.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    chars: list[str] = []
    for ch in decomposed:
        if unicodedata.combining(ch) or ch in _JOINERS:
            continue
        chars.append(ch if ch.isalnum() else " ")
    return " ".join("".join(chars).split())


def normalise(name: str) -> str:
    """The comparison form of a party name.

    ``fold``s it, joins runs of single letters ("s a r l" -> "sarl"), drops legal-form and
    noise words. A name made only of such words keeps them, so "Limited" does not become the
    empty string that would equal every other such name.
    """
    words = _join_initials(fold(name).split())
    kept = [w for w in words if w not in LEGAL_FORMS and w not in NOISE_WORDS]
    return " ".join(kept or words)


def _join_initials(words: list[str]) -> list[str]:
    joined: list[str] = []
    run = ""
    for word in words:
        if len(word) == 1 and word.isalpha():
            run += word
            continue
        if run:
            joined.append(run)
            run = ""
        joined.append(word)
    if run:
        joined.append(run)
    return joined


#: The roles a party plays in a shipment (DESIGN.md section 2). The consignee is required;
#: the others are given in the shipment's ``parties``.
CONSIGNEE = "consignee"
PARTY_ROLES: tuple[str, ...] = (
    CONSIGNEE,
    "end_user",
    "intermediate_consignee",
    "forwarder",
    "purchaser",
)

#: Identifier schemes a party may carry (``ids``): the ones compliance systems key parties on.
ID_SCHEMES: frozenset[str] = frozenset({"lei", "eori", "vat", "duns"})


def normalise_id(value: str) -> str:
    """An identifier's comparison form: upper case, no spaces, dots or dashes
    (``"DE 123.456-789"`` and ``"de123456789"`` are one VAT number)."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


@dataclass(frozen=True, slots=True)
class Party:
    """A party to a shipment: its ``role``, name, country and identifiers.

    ``ids`` is ``((scheme, value), ...)`` sorted by scheme, schemes from ``ID_SCHEMES``, values
    ``normalise_id``ed. Raises ``PolicyError`` for an unknown role or scheme, an empty name or
    identifier, and ``InvalidCountry`` for an unknown country.
    """

    role: str
    name: str
    country: str
    ids: tuple[tuple[str, str], ...] = ()
    key: str = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.role not in PARTY_ROLES:
            raise PolicyError(f"party role {self.role!r} is not one of {', '.join(PARTY_ROLES)}")
        parse_country(self.country, where=f"the {self.role}'s country")
        key = normalise(self.name)
        if not key:
            raise PolicyError(f"the {self.role} needs a name")
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "ids", parse_ids(dict(self.ids), where=f"the {self.role}'s ids"))

    def same_as(self, other_ids: tuple[tuple[str, str], ...], name_key: str, country: str) -> bool:
        """Whether this party is the one described by ``other_ids``, ``name_key`` (a
        ``normalise``d name) and ``country``.

        By identifier when either side has one (some scheme both carry, equal values); else by
        exact normalised name and country. "Acme GmbH" and "Acme Inc" normalise alike only
        because legal forms are dropped, so the country must agree as well.
        """
        if self.ids or other_ids:
            mine = dict(self.ids)
            return any(mine.get(scheme) == value for scheme, value in other_ids)
        return self.key == name_key and self.country == country


def parse_ids(ids: Mapping[str, object], *, where: str) -> tuple[tuple[str, str], ...]:
    """``ids`` as ``Party`` keeps them. Raises ``PolicyError`` naming ``where`` for an unknown
    scheme or a value that is not a non-empty text."""
    parsed: list[tuple[str, str]] = []
    for scheme, value in ids.items():
        if scheme not in ID_SCHEMES:
            raise PolicyError(
                f"{where}: unknown identifier {scheme!r} (one of {', '.join(sorted(ID_SCHEMES))})"
            )
        if not isinstance(value, str) or not normalise_id(value):
            raise PolicyError(f"{where}: {scheme} must be a non-empty text")
        parsed.append((scheme, normalise_id(value)))
    return tuple(sorted(parsed))


def _sorted_words(normalised: str) -> str:
    return " ".join(sorted(normalised.split()))


@dataclass(frozen=True, slots=True)
class DeniedParty:
    """One entry of ``denials.csv``: ``name,country,reference,date``.

    Raises ``InvalidCountry`` for an unknown country and ``PolicyError`` for an empty name.
    """

    name: str
    country: str
    reference: str = ""
    date: dt.date | None = None

    def __post_init__(self) -> None:
        if not normalise(self.name):
            raise PolicyError(f"denial-list entry {self.reference or self.name!r} has no name")
        parse_country(self.country, where=f"denial-list entry {self.name!r}")


@dataclass(frozen=True, slots=True)
class PartyMatch:
    """A consignee matched to a denial-list entry. ``score`` is 1.0 for an exact match."""

    entry: DeniedParty
    score: float
    exact: bool

    def describe(self) -> str:
        """One line for an operator: who matched, on which notice, how closely."""
        how = "exactly" if self.exact else f"with score {self.score:.2f}"
        ref = f" ({self.entry.reference})" if self.entry.reference else ""
        return f"matches denied party {self.entry.name!r}{ref} {how}"


@dataclass(frozen=True, slots=True)
class _Prepared:
    normalised: str
    sorted_words: str
    entry: DeniedParty


@dataclass(frozen=True, slots=True)
class DenialList:
    """The denial list, indexed by country for matching."""

    entries: tuple[DeniedParty, ...] = ()
    _by_country: Mapping[str, tuple[_Prepared, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        grouped: dict[str, list[_Prepared]] = {}
        for entry in self.entries:
            norm = normalise(entry.name)
            grouped.setdefault(entry.country, []).append(
                _Prepared(norm, _sorted_words(norm), entry)
            )
        object.__setattr__(
            self, "_by_country", {country: tuple(p) for country, p in grouped.items()}
        )

    @classmethod
    def of(cls, entries: Iterable[DeniedParty]) -> DenialList:
        return cls(tuple(entries))

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def dated(self) -> dt.date | None:
        """The list's own date: its newest entry's, ``None`` when no entry is dated (and an
        undated list counts as stale, DESIGN.md 2.3). Never the file's modification time."""
        return max((entry.date for entry in self.entries if entry.date is not None), default=None)

    def lost_since(self, before: DenialList) -> tuple[DeniedParty, ...]:
        """The entries of ``before`` this list no longer has, in ``before``'s order. An entry
        changed in any field counts as removed (and its new form as added)."""
        kept = set(self.entries)
        return tuple(entry for entry in before.entries if entry not in kept)

    def match(
        self, name: str, country: str, threshold: float = DEFAULT_THRESHOLD
    ) -> PartyMatch | None:
        """The best entry matching ``name`` in ``country``, or ``None``.

        An exact normalised match wins outright; otherwise the highest fuzzy score at or over
        ``threshold`` (ties go to the earlier entry). Raises ``InvalidCountry`` for an unknown
        country: "no match" for a code we cannot read would be a guess.
        """
        parse_country(country)
        query = normalise(name)
        candidates = self._by_country.get(country, ())
        for prepared in candidates:
            if prepared.normalised == query:
                return PartyMatch(prepared.entry, 1.0, exact=True)
        best: PartyMatch | None = None
        plain = SequenceMatcher(None, autojunk=False)
        plain.set_seq2(query)
        by_words = SequenceMatcher(None, autojunk=False)
        by_words.set_seq2(_sorted_words(query))
        for prepared in candidates:
            score = max(
                _ratio(plain, prepared.normalised, threshold),
                _ratio(by_words, prepared.sorted_words, threshold),
            )
            if score >= threshold and (best is None or score > best.score):
                best = PartyMatch(prepared.entry, score, exact=False)
        return best


def _ratio(matcher: SequenceMatcher[str], candidate: str, threshold: float) -> float:
    # The quick ratios are upper bounds of ratio(): skip the quadratic part when even the bound
    # misses. seq2 (the query) stays set, so difflib's index of it is built once per query.
    matcher.set_seq1(candidate)
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return 0.0
    return matcher.ratio()


def similarity(a: str, b: str) -> float:
    """The fuzzy score ``DenialList.match`` uses, over two raw names (for tests and tools)."""
    na, nb = normalise(a), normalise(b)
    if na == nb:
        return 1.0
    return max(
        SequenceMatcher(None, na, nb, autojunk=False).ratio(),
        SequenceMatcher(None, _sorted_words(na), _sorted_words(nb), autojunk=False).ratio(),
    )
