"""Names folded into the tokens the matcher compares.

A screener compares what a name *says*, not how it is written. ``fold_name`` removes, in this
order, what does not change who is meant:

1. compatibility forms (NFKC): math-bold and full-width letters become plain letters. This runs
   before anything that looks at case or script, because ``casefold`` of a math-bold letter is
   the letter itself and would survive as a different character;
2. homoglyphs: in a token that mixes Latin with look-alike letters of another script
   ("Оrbіtаl" with Cyrillic О, і, а), each foreign letter is replaced by the Latin letter it is
   confusable with, from ICU's Unicode confusables data (UTS #39 skeletons, via PyICU);
3. case (casefold), accents, punctuation and spacing (rigour's name tokenizer);
4. legal forms in any language and script, from rigour's ISO 20275 based table (LLC, L.L.C.,
   OOO, ООО, GmbH, Sdn Bhd, Pvt Ltd, Общество с ограниченной ответственностью, ...), removed
   before and after transliteration so both spellings go;
5. script: every token is transliterated to ASCII (rigour: Cyrillic, Greek, Armenian,
   Georgian, Hangul; normality/ICU for Arabic, CJK and the rest).

A name written wholly in a look-alike script ("АВС" in Cyrillic) is ambiguous: it reads as
"avs" transliterated and as "abc" by its look. ``fold_name`` returns both forms then, and the
matcher keeps the better score.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import icu  # type: ignore[import-untyped]  # PyICU ships no type information
from rigour.names import remove_org_types, tokenize_name
from rigour.text.translit import ascii_text

#: Words that name a kind of business rather than a business: they count for little, and a
#: name made only of them (after legal forms are removed) does not identify anyone.
_GENERIC_TEXT = """
    and the of de del la le et und y al el
    co company companies corp corporation inc incorporated ltd limited llc plc pvt private
    group holding holdings trading trade traders international intl global general
    industries industry industrial enterprise enterprises services service import export
    imports exports commercial company's firm partners associates ventures investment
    investments development technology technologies tech systems solutions logistics
    manufacturing products supply supplies engineering works factory import-export
    national nacional internacional internationale corporacion corporacao compania companhia
    compagnie empresa empresas sociedad sociedade societe societa gesellschaft handels handel
    firma comercial comercializadora industrias grupo groupe inversiones investimentos
    servicios importadora exportadora negocios commerce
    sa cv rl spr sas sac srl spa ag kg bv nv gmbh ooo oao zao jsc ojsc cjsc pjsc sdn bhd ltda
"""
GENERIC_WORDS = frozenset(_GENERIC_TEXT.split())

_SPOOF = icu.SpoofChecker()


# Skeletons fold Latin letters too ("I" and "l" share one), so a foreign letter maps to the
# Latin letters with its skeleton, and case picks among them (Cyrillic "І" is "I", not "l").
_LATIN_BY_SKELETON: dict[str, list[str]] = {}
for _letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz":
    _LATIN_BY_SKELETON.setdefault(_SPOOF.getSkeleton(0, _letter), []).append(_letter)


@lru_cache(maxsize=8192)
def _lookalike(char: str) -> str:
    """The ASCII letter ``char`` is confusable with, or ``char`` itself when there is none."""
    letters = _LATIN_BY_SKELETON.get(_SPOOF.getSkeleton(0, char), [])
    same_case = [letter for letter in letters if letter.isupper() == char.isupper()]
    return (same_case or letters or [char])[0]


def _is_latin_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _unspoof_word(word: str, *, whole: bool) -> str:
    """Replace look-alike letters by Latin ones in a word that mixes scripts.

    With ``whole`` the word has no Latin letter; it is replaced only if every letter has a
    Latin look-alike (otherwise it is a genuine foreign word).
    """
    foreign = [c for c in word if c.isalpha() and not _is_latin_letter(c)]
    if not foreign:
        return word
    if not whole and not any(_is_latin_letter(c) for c in word):
        return word
    mapped = "".join(_lookalike(c) if c.isalpha() and not c.isascii() else c for c in word)
    if whole and not all(_is_latin_letter(c) for c in mapped if c.isalpha()):
        return word
    return mapped


def read_as_latin(text: str) -> tuple[str, ...]:
    """``text`` with look-alike letters read as Latin ones, as names are screened: first in
    words that mix scripts ("mіssile" with a Cyrillic "і"), then also in words made only of
    look-alikes ("МІSSІLЕ"). Only the forms that differ from ``text``, each once."""
    mixed = " ".join(_unspoof_word(w, whole=False) for w in text.split())
    whole = " ".join(_unspoof_word(w, whole=True) for w in mixed.split())
    return tuple(dict.fromkeys(f for f in (mixed, whole) if f != " ".join(text.split())))


@dataclass(frozen=True, slots=True)
class FoldedName:
    """A name as compared: ASCII tokens with legal forms removed, and what was removed."""

    tokens: tuple[str, ...]
    legal_form: bool

    @property
    def compact(self) -> str:
        """The tokens joined with no space: "Trade Winds" and "Tradewinds" agree here."""
        return "".join(self.tokens)


def _strip_legal_forms(text: str) -> tuple[str, bool]:
    stripped = " ".join(remove_org_types(text).split())
    if stripped and stripped != text:
        return stripped, True
    return text, False


def _fold(text: str) -> FoldedName:
    tokens = tokenize_name(text.casefold())
    joined, removed = _strip_legal_forms(" ".join(tokens))
    ascii_tokens = [
        "".join(c for c in ascii_text(token).casefold() if c.isalnum()) for token in joined.split()
    ]
    ascii_joined, removed_after = _strip_legal_forms(" ".join(t for t in ascii_tokens if t))
    return FoldedName(
        tuple(_generic_spelling(t) for t in ascii_joined.split()), removed or removed_after
    )


#: A dot between two words ("Orbital.Tradewinds.LLC") separates them; a dot between single
#: letters ("L.L.C.", "S.p.A.") joins an abbreviation and is left to the tokenizer.
_DOTTED_WORDS = re.compile(r"(?<=[^\W\d_]{2})\.(?=[^\W\d_]{2})")


@lru_cache(maxsize=65536)
def fold_name(name: str) -> tuple[FoldedName, ...]:
    """The forms under which ``name`` is compared (one, or two when its script is ambiguous).

    Never raises; a name with nothing left to compare gives one form with no tokens.
    """
    text = _DOTTED_WORDS.sub(" ", unicodedata.normalize("NFKC", name))
    words = text.split()
    mixed = " ".join(_unspoof_word(w, whole=False) for w in words)
    forms = [_fold(mixed)]
    looks = " ".join(_unspoof_word(w, whole=True) for w in mixed.split())
    if looks != mixed:
        alternative = _fold(looks)
        if alternative != forms[0]:
            forms.append(alternative)
    return tuple(forms)


# Spellings that differ only by how a name went into Cyrillic and back (or came from another
# romanisation): "committee" -> "Цоммиттее" -> "tsommittee", "Jang" -> "Йанг" -> "iang",
# "Wa'el" -> "Уа'ел" -> "uael". Both sides are reduced to one key; tokens with the same key are
# near matches. Multi-letter groups first, longest first.
_SOUND_GROUPS = (
    ("shch", "s"),
    ("tsh", "c"),
    ("ts", "c"),
    ("tz", "c"),
    ("kh", "h"),
    ("zh", "j"),
    ("ch", "c"),
    ("sh", "s"),
    ("ks", "x"),
    ("ph", "f"),
)
_SOUND_LETTERS = str.maketrans({"w": "u", "y": "i", "j": "i", "q": "k", "h": None})


def _generic_spelling(token: str) -> str:
    """A generic word however romanised ("tso" -> "co", "llts" -> "llc"), else the token."""
    if token in GENERIC_WORDS:
        return token
    return _GENERIC_BY_SOUND.get(sound_key(token), token)


@lru_cache(maxsize=65536)
def sound_key(token: str) -> str:
    """The romanisation-neutral key of a folded token (see _SOUND_GROUPS)."""
    for group, letter in _SOUND_GROUPS:
        token = token.replace(group, letter)
    key = token.translate(_SOUND_LETTERS)
    return "".join(c for i, c in enumerate(key) if i == 0 or c != key[i - 1])


# Keys of one letter ("y" -> "i", "ooo" -> "o") would turn initials into generic words.
_GENERIC_BY_SOUND = {
    sound_key(word): word for word in sorted(GENERIC_WORDS) if len(sound_key(word)) >= 2
}
