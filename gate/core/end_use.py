"""The declared end use, read as a compliance officer reads it (DESIGN.md 2.2).

Two findings come out of a declared end use (free text ``end_use`` and/or ``end_use_codes``):

* **WMD or missile delivery**: the end use names weapons of mass destruction or the means of
  delivering them. It triggers row 5 (a Category I item: prohibited) and row 7 (anything else,
  listed or not: licence required, ``catch_all``).
* **military** alone: triggers row 7 only. A military end use is a catch-all concern for an
  unlisted item, but not the missile end use that makes a Category I item unexportable.

How text is read
================

The text is ``fold``ed (case, accents and punctuation gone, so "Re-entry" reads "re entry" and
"MISSILES!" reads "missiles") and searched for the vocabulary's terms as whole words: a term's
word with its plural and inflected forms ("missiles", "rocketry", "drones", "weaponry"), and a
multi-word term as a run of words ("unmanned aerial vehicles", "space launcher"). A term never
matches inside another word: "Crockett" does not name a rocket, "pocket" no rocket either; but
a delivery word that begins one counts, as English joined or in CamelCase reads
("RocketMotor", "CruiseMissile", "microdrone"), and so do "missile" inside any word and a
drone after an attack word ("guidedmissile", "kamikazedrone": ``end_use_terms.ANYWHERE``).

The vocabulary (``gate.core.end_use_terms``) is in the languages a diverter writes in: English,
French, German, Dutch, Spanish, Portuguese, Italian, Polish, Czech, Finnish, Swedish, Turkish,
Russian, Ukrainian, Greek, Hebrew and others as whole words with their inflections ("ядерного
оружия", "broń jądrowa"); German, Russian and Nordic compounds inside words
("Kernwaffenprogramm", "противоракетный", "risteilyohjus"); Chinese, Japanese, Korean, Arabic,
Persian, Hindi, Thai, Urdu and Bengali with the spaces removed, since those scripts join
words, particles or prefixes ("핵무기를", "الأسلحة الكيميائية").

The text is also read in other ways, each of which can only hold more:

* digits for letters ("m1ssile") and, for the strict terms, "l" and "1" as "i" ("MISSlLE");
* a star between letters as each vowel ("m*ssile");
* a few delivery words with a letter doubled ("misssile", ``end_use_terms.STUTTERED``);
* CamelCase split where it turns to a capital ("GuidedMissile");
* two to four words that joined are one of the few delivery and military words of
  ``end_use_terms.SPLIT_WMD`` and ``SPLIT_MILITARY`` ("missi le", "dro ne", "mil itary"), but
  not the ordinary runs of ``CIVIL_SPLITS`` (the French "rock et", rock and).

The built-in vocabulary takes each word that names a delivery system or a WMD on its own
(missile, ballistic, rocket, cruise, UAV, drone, warhead, ICBM, WMD, ...) and, for words that
are ordinary in civil trade, only the phrase that makes them a weapon ("nuclear weapon", not
"nuclear"; "chemical weapon", not "chemical"; "unmanned aerial", not "aerial"). So "nuclear
medicine", "chemical plant", "aerial photography" and "unmanned ground vehicle" are not caught.

A word that names a delivery system is caught wherever it stands, whatever the words around it
say: "rocket salad" is held as ``catch_all``. The gate does not try to tell the vegetable from
the vehicle: a phrase that reads harmless to a person is exactly what a diverter would write,
and a false hold costs one look by the central office, while a missed one is a violation. The
same goes for "cruise" ("cruise ship") and "drone" ("drone bee"). An operator sees the word
that was caught in the line's explanation.

``end_use_codes`` are a closed set (``END_USE_CODES``); an unknown code is refused where the
shipment comes in, because a code the gate cannot read has no safe meaning.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from gate.core import end_use_terms as terms
from gate.core.parties import fold
from gate.core.screening.names import LETTER_SHAPES, read_as_latin
from gate.errors import PolicyError

#: Leetspeak inside a word that also holds letters ("m1ssile", "dr0ne").
_LEET = str.maketrans("013457", "oieast")

#: ``end_use_codes``: what each declares. ``None`` = a civil end use (no finding).
WMD = "wmd"
MILITARY = "military"
END_USE_CODES: dict[str, str | None] = {
    "civil": None,
    "commercial": None,
    "research": None,
    "military": MILITARY,
    "wmd": WMD,
    "missile": WMD,
    "uav": WMD,
    "space_launch": WMD,
    "nuclear_weapon": WMD,
    "chemical_weapon": WMD,
    "biological_weapon": WMD,
}


def _compile(
    phrases: Iterable[tuple[str, ...]], *, fenced: bool = True, skeleton: bool = False
) -> re.Pattern[str]:
    # Folded text is words of letters and digits separated by single spaces, so a phrase is
    # its words joined by one space, fenced so it never matches inside another word.
    # Unfenced (for letters spelt out and joined, which have no spaces): words run together.
    # As a skeleton, every "l" of the phrase is an "i", as in the text it is searched in.
    joiner = " " if fenced else ""
    alternatives = [
        joiner.join(f"(?:{_skeleton(word) if skeleton else word})" for word in phrase)
        for phrase in phrases
    ]
    body = terms.script_form("(?:" + "|".join(alternatives) + ")")
    return re.compile(r"(?<![^\W_])" + body + r"(?![^\W_])" if fenced else body)


def _compile_inside(patterns: Iterable[str]) -> re.Pattern[str]:
    """``patterns`` as one expression found anywhere, in the form folded text has."""
    return re.compile(terms.script_form("|".join(f"(?:{p})" for p in patterns)))


def _skeleton(text: str) -> str:
    """``text`` with "l" read as "i": a capital I and a small l look alike ("MISSlLE")."""
    return text.replace("l", "i")


def _term_phrase(term: str) -> tuple[str, ...]:
    """A configured term as a phrase: its folded words, the last one also in the plural."""
    words = fold(term).split()
    if not words:
        raise PolicyError("catch_all_end_uses holds an empty term")
    *head, last = [re.escape(word) for word in words]
    return (*head, f"{last}(?:s|es)?")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The built-in WMD and missile-delivery vocabulary plus the config's terms
    (``policy.catch_all_end_uses``, which count as WMD or missile delivery too).

    Raises ``PolicyError`` for an empty configured term.
    """

    extra: tuple[str, ...] = ()
    _wmd: re.Pattern[str] = field(init=False, repr=False, compare=False, hash=False)
    _military: re.Pattern[str] = field(init=False, repr=False, compare=False, hash=False)
    # The strict terms with "l" read as "i", searched in the text read the same way.
    _wmd_skeleton: re.Pattern[str] = field(init=False, repr=False, compare=False, hash=False)
    # The same terms unfenced, for inside a run of spelt-out letters ("amissile").
    _wmd_inside: re.Pattern[str] = field(init=False, repr=False, compare=False, hash=False)
    _military_inside: re.Pattern[str] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        extra = tuple(sorted({" ".join(fold(term).split()) for term in self.extra}))
        strict = (*terms.ENGLISH, *terms.FOREIGN, *(_term_phrase(term) for term in self.extra))
        phrases = (*strict, *terms.LOOSE)
        object.__setattr__(self, "extra", extra)
        object.__setattr__(self, "_wmd", _compile(phrases))
        object.__setattr__(self, "_wmd_skeleton", _compile(strict, skeleton=True))
        object.__setattr__(self, "_military", _compile(terms.MILITARY))
        object.__setattr__(self, "_wmd_inside", _compile(phrases, fenced=False))
        object.__setattr__(self, "_military_inside", _compile(terms.MILITARY, fenced=False))

    def read(self, text: str | None, codes: Iterable[str] = ()) -> EndUse:
        """What ``text`` and ``codes`` declare. Raises ``PolicyError`` for an unknown code."""
        wmd: str | None = None
        military: str | None = None
        for code in codes:
            if code not in END_USE_CODES:
                raise PolicyError(
                    f"end_use_codes: unknown code {code!r} (one of {', '.join(END_USE_CODES)})"
                )
            kind = END_USE_CODES[code]
            if kind == WMD and wmd is None:
                wmd = f"code {code}"
            elif kind == MILITARY and military is None:
                military = f"code {code}"
        readings, runs = _readings(text) if text else ([], [])
        for reading in readings:
            if wmd is None:
                wmd = self._find_wmd(reading)
            if military is None:
                military = (
                    _found(self._military.search(reading))
                    or _found(_MILITARY_SPACELESS.search(reading.replace(" ", "")))
                    or _split_word(_MILITARY_SPLIT, reading, _SPLIT_MILITARY)
                )
        for run in runs:
            wmd = wmd or _found(self._wmd_inside.search(run))
            military = military or _found(self._military_inside.search(run))
        return EndUse(wmd, military)

    def _find_wmd(self, folded: str) -> str | None:
        """The first WMD or missile-delivery term in ``folded`` text: as whole words, in the
        same text with leetspeak read as letters, then also with "l" read as "i" (the term
        is reported as written: "missi1e"); inside a word; or with the spaces removed."""
        unleet = _unleet(folded)
        for candidate in (folded, unleet):
            found = self._wmd.search(candidate)
            if found is not None:
                return found.group(0)
        # Leetspeak and the skeleton change letters one for one: the span is the written one.
        found = self._wmd_skeleton.search(_skeleton(unleet))
        if found is not None:
            return folded[found.start() : found.end()]
        return (
            _found(_WMD_ANYWHERE.search(folded))
            or _found(_WMD_SPACELESS.search(folded.replace(" ", "")))
            or _split_word(_WMD_SPLIT, folded, _SPLIT_WMD)
            or _split_word(_WMD_SPLIT, unleet, _SPLIT_WMD)
            or _found(_WMD_STUTTERED.search(unleet))
        )


#: The shortest word found split in two to four pieces (attack18: "missi le", "dro ne",
#: "mi-ssile"): shorter, and two ordinary words make one ("u av", "ar my").
_SPLIT_WMD = 5
_SPLIT_MILITARY = 6
_SPLIT_PIECES = 4
#: The longest run joined: the longest split word ("militarization", "беспилотниками") has 14
#: letters, and longer runs are most of the work in a long text (review19).
_SPLIT_LONGEST = 16


def _split_word(split: re.Pattern[str], folded: str, shortest: int) -> str | None:
    """The first run of two to four words of letters in ``folded`` that joined is one whole
    word of ``split`` ("missi le" joins "missile"), as written; ``None`` if none is.

    The joined runs are searched at once, each fenced by a bar so that a term matches a whole
    run and no phrase spans two; a run of letters only, so "geran 2" stays a phrase, and not
    one of ``end_use_terms.CIVIL_SPLITS`` ("rock et")."""
    words = folded.split()
    civil = {
        first
        for first in range(len(words) - 1)
        if " ".join(words[first : first + 2]) in terms.CIVIL_SPLITS
    }
    spans: list[tuple[int, int, int]] = []
    joined: list[str] = []
    at = 0
    for first in range(len(words)):
        run = words[first]
        for last in range(first + 2, min(first + _SPLIT_PIECES, len(words)) + 1):
            run += words[last - 1]
            if len(run) > _SPLIT_LONGEST:
                break
            if (
                len(run) >= shortest
                and run.isalpha()
                and not (last == first + 2 and first in civil)
            ):
                spans.append((at, first, last))
                joined.append(run)
                at += len(run) + 1
    found = split.search("|".join(joined))
    if found is None:
        return None
    _, first, last = max(span for span in spans if span[0] <= found.start())
    return " ".join(words[first:last])


def _readings(text: str) -> tuple[list[str], list[str]]:
    """The ways a declared end use is read for the vocabulary's terms, folded: as written
    (an invisible character read as a space, and again as nothing: "ядер\u200bное"),
    with look-alike letters read as Latin ("mіssile" with a Cyrillic "і", as party names
    are screened) and, in a Cyrillic word, Latin look-alikes read as Cyrillic ("ракeта" with
    a Latin "e"); each also with every run of three or more spelt-out letters joined into one
    word ("a t o m i c bomb" reads "atomic bomb"); and those runs themselves, to be searched
    inside ("for a m i s s i l e" joins into "amissile"). A term found in any of them counts:
    reading more can only hold more."""
    readings: list[str] = []
    runs: list[str] = []
    forms = [text, *read_as_latin(text)]
    if (shapes := text.translate(LETTER_SHAPES)) != text:
        forms += [shapes]
    if (compatible := unicodedata.normalize("NFKC", text)) != text:
        # Letters in circles, brackets and squares as the letters ("⒨⒤⒮⒮⒤⒧⒠" reads
        # "(m)(i)(s)(s)(i)(l)(e)", whose letters the spelt-out reading joins).
        forms += [compatible]
    if (unsymbolled := _SYMBOL_LETTER.sub(_as_letter, text)) != text:
        forms += [unsymbolled]
    if (uncamelled := _uncamel(text)) != text:
        # CamelCase with the delivery word inside ("GuidedMissile", "FPVDrone"; attack18).
        forms += [uncamelled]
    if _CENSORED.search(text):
        # A star for a letter, as a word is censored ("m*ssile", "dr*ne"): each vowel.
        forms += [_CENSORED.sub(vowel, text) for vowel in _VOWELS]
    if (unformatted := _INVISIBLE.sub("", text)) != text:
        forms += [unformatted, *read_as_latin(unformatted)]
    if (unelided := _APOSTROPHES.sub(" ", text)) != text:
        # Folding drops apostrophes, which joins an elided article to its word ("l'arme"
        # reads "larme"): read them as spaces too.
        forms += [unelided, *read_as_latin(unelided)]
    for form in forms:
        joined = _SPACED.sub(lambda m: _SEPARATORS.sub("", m.group(0)), form)
        for folded in (_fold(form), _fold(joined)):
            for reading in (folded, _as_cyrillic(folded)):
                if reading not in readings:
                    readings.append(reading)
        for found in _SPACED.finditer(form):
            run = _fold(_SEPARATORS.sub("", found.group(0)))[:_LONGEST_RUN]
            if run not in runs:
                runs.append(run)
    return readings, runs


#: Symbols written for letters, as digits are ("mi$$ile", "w@rhead", "m!ssile"; attack16):
#: read as the letter where they touch one ("$ 500" alone is a price), in one more reading.
#: A bar and an inverted exclamation mark for "i" ("m|ssile", "m¡ssile"; attack18).
_SYMBOL_LETTERS = str.maketrans("$@!€§¢©+|¡", "saiescctii")
_SYMBOL_LETTER = re.compile(r"(?<=[^\W\d_])[$@!€§¢©+|¡]|[$@!€§¢©+|¡](?=[^\W\d_])")


def _uncamel(text: str) -> str:
    """``text`` with a space where a CamelCase word turns to a capital ("GuidedMissile",
    "FPVDrone", "StrikeUAV"), in any script: a capital after a small letter, or a capital
    after a capital or a digit and before a small letter (review19: "ZbraňDrone", whose "ň" a
    range of letters left out, was read as one word; review22: "MK48Torpedo")."""
    spaced: list[str] = []
    for at, char in enumerate(text):
        before, after = text[at - 1 : at], text[at + 1 : at + 2]
        turned = before.isupper() or before.isdigit()
        if char.isupper() and (before.islower() or (turned and after.islower())):
            spaced.append(" ")
        spaced.append(char)
    return "".join(spaced)


#: A star between two letters, for the letter a writer will not spell out (attack18).
_CENSORED = re.compile(r"(?<=[^\W\d_])\*(?=[^\W\d_])")
_VOWELS = "aeiouy"


def _as_letter(found: re.Match[str]) -> str:
    return found.group(0).translate(_SYMBOL_LETTERS)


#: Apostrophes, straight and typographic, and the letters written for them.
_APOSTROPHES = re.compile("['\u2018\u2019\u02bc\u00b4`]")

#: Characters that show nothing (Unicode's default-ignorable code points): soft hyphen,
#: combining grapheme joiner, zero-width space, non-joiner and joiner, direction marks and
#: controls, word joiner and invisible operators, byte order mark; and, found by attack16
#: (each let "dro<it>ne" or "U<it>AV" through, and the input takes them), the Hangul fillers,
#: which are letters, the Khmer inherent vowels, Mongolian variation selectors, variation
#: selectors, musical formatting, shorthand format controls and tags.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)

#: Latin letters that look like Cyrillic ones once folded to lower case (capital T, H, M, B
#: and K look like Т, Н, М, В and К).
_CYRILLIC_LOOKALIKES = str.maketrans("aeopcxyktmhb", "аеорсхуктмнв")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")


def _as_cyrillic(folded: str) -> str:
    """``folded`` with the Latin look-alikes of a word that also holds Cyrillic letters read
    as Cyrillic: "ядерноe oружиe" (Latin "e" and "o") reads "ядерное оружие"."""
    return " ".join(
        word.translate(_CYRILLIC_LOOKALIKES)
        if _CYRILLIC.search(word) and _LATIN.search(word)
        else word
        for word in folded.split()
    )


#: Three or more letters, each a word of its own, separated by spaces, tabs, hyphens and
#: dashes of any kind, dots, slashes, underscores, stars, pluses, bars, colons, brackets or
#: middle dots ("m-i-s-s-i-l-e", "U.A.V", attack16's "M_I_S_S_I_L_E" and "m·i·s·s·i·l·e",
#: review18's "m–i–s–s–i–l–e" and "m—i—s—s—i—l—e"), but not commas or semicolons: "grades M,
#: I, R, V" is a list, and two letters ("V-X", "Model V X") spell nothing out.
_SEPARATOR = (
    r"[\s\-./_*+~|:()\[\]\\\u00b7\u2010-\u2015\u2022\u2027\u2043\u2212\u2219\u22c5"
    r"\ufe58\ufe63\uff0d]"
)
_SEPARATORS = re.compile(_SEPARATOR + "+")
_SPACED = re.compile(rf"(?<![^\W_])(?:[^\W\d_]{_SEPARATOR}+){{2,}}[^\W\d_](?![^\W_])")
#: The longest run searched (a term is found within its first this many letters).
_LONGEST_RUN = 200


_WMD_ANYWHERE = _compile_inside(terms.ANYWHERE)
_WMD_SPLIT = _compile(terms.SPLIT_WMD)


def _stuttered(word: str) -> str:
    """``word`` as a pattern with each letter but the last perhaps repeated, a letter
    written twice once ("missile" reads "m+i+s+i+l+e": "misssile", "mmissile")."""
    letters = [c for i, c in enumerate(word) if i == 0 or c != word[i - 1]]
    return "".join(f"{c}+" for c in letters[:-1]) + letters[-1] + "s?"


_WMD_STUTTERED = _compile((_stuttered(word),) for word in terms.STUTTERED)
_MILITARY_SPLIT = _compile(terms.SPLIT_MILITARY)
_WMD_SPACELESS = _compile_inside(terms.SPACELESS)
_MILITARY_SPACELESS = _compile_inside(terms.MILITARY_SPACELESS)


def _fold(text: str) -> str:
    """``text`` folded as party names are, with Arabic-script letters in one form."""
    return fold(text).translate(terms.SCRIPT_FORMS)


def _found(match: re.Match[str] | None) -> str | None:
    return None if match is None else match.group(0)


def _unleet(folded: str) -> str:
    """``folded`` with digits read as letters inside words that also hold letters."""
    return " ".join(
        word.translate(_LEET) if not word.isdigit() and any(c.isdigit() for c in word) else word
        for word in folded.split()
    )


def check_codes(codes: Iterable[object]) -> tuple[str, ...]:
    """``codes`` as a tuple, each checked against ``END_USE_CODES``. Raises ``PolicyError``."""
    checked: list[str] = []
    for code in codes:
        if not isinstance(code, str) or code not in END_USE_CODES:
            raise PolicyError(
                f"end_use_codes: unknown code {code!r} (one of {', '.join(END_USE_CODES)})"
            )
        checked.append(code)
    return tuple(checked)


@dataclass(frozen=True, slots=True)
class EndUse:
    """What a declared end use names: ``wmd`` the WMD or missile-delivery term found (rows 5
    and 7), ``military`` the military term (row 7); ``None`` where nothing was found."""

    wmd: str | None = None
    military: str | None = None

    @property
    def catch_all(self) -> str | None:
        """The term that makes row 7 match, or ``None``."""
        return self.wmd if self.wmd is not None else self.military
