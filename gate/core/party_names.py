"""Whether a party's name can be screened at all: refused where shipments come in.

A party named "N/A", "LLC" or "x" is screened against the lists like any other, and matches
nothing: the shipment then clears as if its end user were known and clean. An attack cleared
shipments so. ``name_problem`` says why a name cannot stand for a party; the service refuses
such a name on create and PATCH (a stored shipment with one still loads).
"""

from __future__ import annotations

import unicodedata

from gate.core.parties import LEGAL_FORMS, NOISE_WORDS, fold, join_initials
from gate.core.screening.names import GENERIC_WORDS

#: Whole names (normalised, legal forms dropped) that stand for no party: what a form filled in
#: without the name gives. Nothing on a list can match them, so the party goes unscreened.
PLACEHOLDER_NAMES: frozenset[str] = frozenset(
    {
        "na", "none", "nil", "null", "unknown", "not known", "not applicable", "unspecified",
        "tbd", "tba", "tbc", "to be advised", "to be confirmed", "test", "sample", "dummy",
        "xx", "xxx", "xxxx", "various", "private", "anonymous", "same", "idem", "see above",
        "same as consignee", "same as above", "suppliers", "various suppliers",
        "nicht bekannt", "aa",
        "inconnu", "unbekannt", "desconocido", "sconosciuto", "desconhecido", "nieznany",
        "неизвестно", "неизвестен", "невідомо", "غير معروف", "مجهول", "نامعلوم", "不明", "未知",
    }
)  # fmt: skip


#: Words that are a placeholder as the whole name ("Customer", "Firma GmbH") but may begin a
#: real one among generic words ("Client Services Ltd").
PLACEHOLDER_ALONE: frozenset[str] = frozenset(
    {"customer", "client", "kunde", "kunden", "sonstige", "diverse", "firma", "consignee"}
)


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be screened as a party's name, or None when it can.

    A name must keep, once legal forms and noise words are dropped, a word of two characters
    or more with a letter in it ("3M" and "BP" do; "x", "1", "LLC" and "Co., Ltd." do not),
    and must not be a placeholder (``PLACEHOLDER_NAMES``: "N/A", "unknown", "TBD"). An attack
    cleared shipments whose end user was named so: screened, such a party matches nothing.
    """
    words = [w for w in join_initials(fold(name).split()) if w not in LEGAL_FORMS | NOISE_WORDS]
    if not any(len(w) >= 2 and any(_is_letter(ch) for ch in w) for w in words):
        return "has no word to screen (only legal forms, single letters or digits)"
    # A placeholder stays one with generic words around it ("N/A Trading", "TBD Holdings");
    # a real name of only generic words ("Global Trading") is left to the screening.
    specific = [w for w in words if w not in GENERIC_WORDS]
    whole = " ".join(join_initials(fold(name).split()))  # "same as consignee": "as" is a form
    forms = {whole, " ".join(words)}
    if (forms | {" ".join(specific)}) & PLACEHOLDER_NAMES or forms & PLACEHOLDER_ALONE:
        return "is a placeholder, not a name"
    return None


def _is_letter(ch: str) -> bool:
    """A letter that spells something: not a modifier letter such as the Arabic tatweel,
    which only stretches the word around it."""
    return ch.isalpha() and unicodedata.category(ch) != "Lm"
