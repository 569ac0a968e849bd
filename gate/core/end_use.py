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
matches inside another word: "Crockett" does not name a rocket, "pocket" no rocket either.

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
from collections.abc import Iterable
from dataclasses import dataclass, field

from gate.core.parties import fold
from gate.core.screening.names import read_as_latin
from gate.errors import PolicyError

#: Word forms: the stem, then the endings that inflect it. Each entry of a phrase is a regular
#: expression over one folded word.
_WMD_PHRASES: tuple[tuple[str, ...], ...] = (
    (r"missile(?:s|ry)?",),
    (r"ballistics?|ballistically",),
    (r"rocket(?:s|ry|ries|eer|eers)?",),
    (r"cruise",),
    (r"uavs?|ucavs?|uass?",),
    (r"drones?",),
    (r"unmanned|uncrewed|unpiloted|pilotless", r"aerial|air|aircraft"),
    (r"remotely", r"piloted", r"aircraft|air|aerial|vehicles?"),
    (r"space", r"launch(?:es|ers?|ing)?"),
    (r"launch", r"vehicles?"),
    (r"re", r"entry"),
    (r"reentry",),
    (r"warheads?",),
    (r"icbms?|irbms?|mrbms?|srbms?|slbms?|mirvs?",),
    (r"wmds?",),
    (r"weapons?", r"of", r"mass", r"destruction"),
    (r"nuclear|chemical|biological|bacteriological|radiological|atomic|thermonuclear",
     r"weapons?|weaponry|warfare|bombs?|warheads?|munitions?|explosives?|devices?"),
    (r"bioweapons?|bioweaponry|nukes?",),
    (r"nerve", r"agents?"),
    # What a diverter writes instead (found by attacking a running gate): misspellings,
    # split words, other languages, system names, agents and delivery terms.
    (r"mis{1,2}i?l(?:e|es|s|i|ista|istico|istica)?|misiles?|missils?",),
    (r"mis", r"siles?"),
    (r"war", r"heads?"),
    (r"a|h|atom|atomic|hydrogen|dirty", r"bombs?"),
    (r"bio|chem|chemo", r"weapons?|weaponry|warfare|agents?"),
    (r"raketen?|raketa|raketen\w*|flugkorper\w*|lenkflugkorper\w*|misil\w*|missilistic\w*",),
    (r"scuds?|shahab|hwasong|iskander|fateh|zelzal|nodong|taepodong|musudan|ghauri|shaheen"
     r"|kn\d\d|sejjil|khorramshahr|tochka|burkan",),
    (r"hypersonic", r"glide|vehicles?|weapons?"),
    # Not "RV" or "HGV": at a dock they are camper vans and heavy goods vehicles.
    (r"slvs?",),
    (r"loitering", r"munitions?"),
    (r"kamikaze", r"drones?|uavs?"),
    (r"sarin|soman|tabun|novichok|vx|ricin|anthrax|mustard\s+gas",),
    (r"weaponi[sz](?:e|ed|ing|ation)",),
)  # fmt: skip

#: Terms in scripts written without spaces between words (Chinese) or with attached prefixes
#: (Arabic "al-"): found anywhere in the folded text, not only as whole words.
_WMD_UNFENCED: tuple[str, ...] = (
    "导弹", "飞弹", "火箭", "弹道", "核武", "化武", "无人机",
    "صاروخ", "صواريخ", "باليستي", "مسيرة",
    "ракет", "баллистич", "беспилот", "боеголов", "ядерн оруж", "химическ оруж",
)  # fmt: skip

#: Leetspeak inside a word that also holds letters ("m1ssile", "dr0ne").
_LEET = str.maketrans("013457", "oieast")

#: "Military" on its own: row 7 only.
_MILITARY_PHRASES: tuple[tuple[str, ...], ...] = (
    (r"military|militaries|militarily|militari[sz]ed|militari[sz]ation|militar\w*",),
    (r"armed", r"forces?"),
    (r"weapons?|weaponry|weaponi[sz]ed|munitions?",),
)

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


def _compile(phrases: Iterable[tuple[str, ...]], *, fenced: bool = True) -> re.Pattern[str]:
    # Folded text is words of letters and digits separated by single spaces, so a phrase is
    # its words joined by one space, fenced so it never matches inside another word.
    # Unfenced (for letters spelt out and joined, which have no spaces): words run together.
    joiner = " " if fenced else ""
    alternatives = [joiner.join(f"(?:{word})" for word in phrase) for phrase in phrases]
    body = "(?:" + "|".join(alternatives) + ")"
    return re.compile(r"(?<![^\W_])" + body + r"(?![^\W_])" if fenced else body)


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
    # The same terms unfenced, for inside a run of spelt-out letters ("amissile").
    _wmd_inside: re.Pattern[str] = field(init=False, repr=False, compare=False, hash=False)
    _military_inside: re.Pattern[str] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        extra = tuple(sorted({" ".join(fold(term).split()) for term in self.extra}))
        phrases = (*_WMD_PHRASES, *(_term_phrase(term) for term in self.extra))
        object.__setattr__(self, "extra", extra)
        object.__setattr__(self, "_wmd", _compile(phrases))
        object.__setattr__(self, "_military", _compile(_MILITARY_PHRASES))
        object.__setattr__(self, "_wmd_inside", _compile(phrases, fenced=False))
        object.__setattr__(self, "_military_inside", _compile(_MILITARY_PHRASES, fenced=False))

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
            if military is None and (found := self._military.search(reading)) is not None:
                military = found.group(0)
        for run in runs:
            wmd = wmd or _found(self._wmd_inside.search(run))
            military = military or _found(self._military_inside.search(run))
        return EndUse(wmd, military)

    def _find_wmd(self, folded: str) -> str | None:
        """The first WMD or missile-delivery term in ``folded`` text: as whole words, in the
        same text with leetspeak read as letters, or as an unspaced-script term anywhere."""
        for candidate in (folded, _unleet(folded)):
            found = self._wmd.search(candidate)
            if found is not None:
                return found.group(0)
        joined = folded.replace(" ", "")
        for term in _WMD_UNFENCED:
            if term.replace(" ", "") in joined if " " in term else term in folded:
                return term
        return None


def _readings(text: str) -> tuple[list[str], list[str]]:
    """The ways a declared end use is read for the vocabulary's terms, folded: as written,
    and with look-alike letters read as Latin ("mіssile" with a Cyrillic "і", as party names
    are screened); each also with every run of three or more spelt-out letters joined into one
    word ("a t o m i c bomb" reads "atomic bomb"); and those runs themselves, to be searched
    inside ("for a m i s s i l e" joins into "amissile"). A term found in any of them counts:
    reading more can only hold more."""
    readings: list[str] = []
    runs: list[str] = []
    for form in (text, *read_as_latin(text)):
        joined = _SPACED.sub(lambda m: _SEPARATORS.sub("", m.group(0)), form)
        for reading in (fold(form), fold(joined)):
            if reading not in readings:
                readings.append(reading)
        for found in _SPACED.finditer(form):
            run = fold(_SEPARATORS.sub("", found.group(0)))[:_LONGEST_RUN]
            if run not in runs:
                runs.append(run)
    return readings, runs


#: Three or more letters, each a word of its own, separated by spaces, tabs, hyphens, dots
#: or slashes ("m-i-s-s-i-l-e", "U.A.V"), but not commas: "grades M, I, R, V" is a list,
#: and two letters ("V-X", "Model V X") spell nothing out.
_SEPARATORS = re.compile(r"[\s\-./]+")
_SPACED = re.compile(r"(?<![^\W_])(?:[^\W\d_][\s\-./]+){2,}[^\W\d_](?![^\W_])")
#: The longest run searched (a term is found within its first this many letters).
_LONGEST_RUN = 200


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
