"""Parties to a shipment: their roles, names, countries and identifiers, and the comparison
form of a name.

Invariant: two names that differ only in case, accents, punctuation, legal form ("Ltd",
"GmbH", "S.A.") or the words "and"/"the" ``normalise`` to the same string; a standing licence's
consignee is matched that way (``Party.same_as``). Screening a party against the sanctions and
denial lists is ``gate.core.screening``'s, with its own, stronger name folding.

Everything here is pure: ``unicodedata`` is computation, not I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

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
    words = join_initials(fold(name).split())
    kept = [w for w in words if w not in LEGAL_FORMS and w not in NOISE_WORDS]
    return " ".join(kept or words)


def join_initials(words: list[str]) -> list[str]:
    """``words`` with each run of single letters joined into one word ("s a r l" -> "sarl")."""
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
END_USER = "end_user"
PARTY_ROLES: tuple[str, ...] = (
    CONSIGNEE,
    END_USER,
    "intermediate_consignee",
    "forwarder",
    "purchaser",
)

#: Identifier schemes a party may carry (``ids``): the ones compliance systems key parties on.
ID_SCHEMES: frozenset[str] = frozenset({"lei", "eori", "vat", "duns"})


_ID_CLEAN = re.compile(r"[^0-9A-Z]")


def normalise_id(value: str) -> str:
    """An identifier's comparison form: upper-case ASCII letters and digits only
    (``"DE 123.456-789"`` and ``"de123456789"`` are one VAT number), after compatibility
    forms and every script's digits are read as ASCII. One form for a shipment's parties, a
    licence's consignee and the screening lists' identifiers: attack16 found a listed
    company's VAT number written in full-width digits ("ＭＴ２００８４６３７") folded to nothing,
    and a licence consignee's id so written was not matched at all."""
    if not value.isascii():
        compatible = unicodedata.normalize("NFKC", value)
        value = "".join(
            str(unicodedata.decimal(ch)) if ch.isdecimal() and not ch.isascii() else ch
            for ch in compatible
        )
    return _ID_CLEAN.sub("", value.upper())


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
            others = ", ".join(role for role in PARTY_ROLES if role != CONSIGNEE)
            raise PolicyError(
                f"party role {self.role!r} is not one of {others} (the consignee is given as"
                " `consignee`, not among the parties)"
            )
        parse_country(self.country, where=f"the {self.role}'s country", field="parties")
        key = normalise(self.name)
        if not key:
            raise PolicyError(f"the {self.role} needs a name")
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "ids", parse_ids(dict(self.ids), where=f"the {self.role}'s ids"))

    def same_as(self, other_ids: tuple[tuple[str, str], ...], name_key: str, country: str) -> bool:
        """Whether this party is the one described by ``other_ids``, ``name_key`` (a
        ``normalise``d name) and ``country``.

        By identifier when either side has one (some scheme both carry, equal values); else by
        exact normalised name. The country must agree either way: "Acme GmbH" and "Acme Inc"
        normalise alike only because legal forms are dropped, and an identifier such as an LEI
        is public, so anyone can quote one (an attack put a licensee's LEI on a consignee in
        another country and cleared on the licence).
        """
        if self.country != country:
            return False
        if self.ids or other_ids:
            mine = dict(self.ids)
            return any(mine.get(scheme) == value for scheme, value in other_ids)
        return self.key == name_key


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
            raise PolicyError(f"{where}: {scheme} must be a text with letters or digits")
        parsed.append((scheme, normalise_id(value)))
    return tuple(sorted(parsed))
