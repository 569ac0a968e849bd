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
   Georgian, Hangul; normality/ICU for Arabic, CJK and the rest);
6. generic words: an abbreviation ("Comm.", "Ind.", "Grp.", "Intl") or a romanised or
   phonetic spelling ("tso", "Коммершиал" -> "kommershial") of a generic word becomes the word.

A name in Arabic script, which mostly leaves out vowels, is also read by its consonants:
``read_abjad`` and ``abjad_key``.

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
from rapidfuzz.distance import OSA
from rigour.names import remove_org_types, tokenize_name
from rigour.text.translit import ascii_text

#: Words that name a kind of business rather than a business: they count for little, and a
#: name made only of them (after legal forms are removed) does not identify anyone. A word
#: written ``word=abbr=abbr`` also stands for its abbreviations ("Tanchon Comm. Bank"), which
#: fold to the word on both sides.
_GENERIC_TEXT = """
    and the of de del la le et und y al el
    co=tso company=cmpy companies corp corporation=corpn inc incorporated ltd limited
    llc=llts=lts plc pvt
    private group=grp holding holdings=hldgs=hldg trading=trdg trade traders
    international=intl=intnl=internat global general industries=inds industry
    industrial=ind=indl enterprise enterprises=ent=enterp=entps services=svcs=svc=serv service
    import export imports exports commercial=comm=coml=cml=comml=commerc company's firm partners
    associates=assoc=assocs ventures investment=invt investments development=devt
    technology=technol technologies tech systems=sys solutions logistics
    manufacturing=mfg=manuf=mfr products=prods supply supplies engineering=engg works
    factory import-export national=natl nacional internacional internationale corporacion
    corporacao compania companhia compagnie empresa empresas sociedad sociedade societe societa
    gesellschaft handels handel firma comercial comercializadora industrias grupo groupe
    inversiones investimentos servicios importadora exportadora negocios commerce
    sa cv=tsv rl spr sas sac srl spa ag kg bv nv gmbh ooo oao zao jsc ojsc cjsc pjsc sdn bhd ltda
    joint stock house consulting
"""
_ABBREVIATED = {
    short: spellings[0]
    for spellings in (entry.split("=") for entry in _GENERIC_TEXT.split())
    for short in spellings[1:]
}
GENERIC_WORDS = frozenset(word.split("=")[0] for word in _GENERIC_TEXT.split())
#: Words that join the parts of an Arabic name ("son of", "father of", "servant of", "the"):
#: in hundreds of listed names, and read as one another ("ben" as "ibn"). Like a generic word,
#: none makes a hit alone: "Ben" or "Bin" hit SDN "EP-IBN" (a legal form and "ibn") at 0.95.
#: "bd" is "abd" read from Arabic script without its vowel ("عبد الرحمن" folds to "bd alrhmn"),
#: which a two-letter sound key made a legal form until screen13: telling since, it made the
#: UN's one-name alias "عبد الرحمن" a name of two words found whole in every "Ahmad Abd
#: al-Rahman" (review16: 107 of 1,723 ordinary Arabic names held; given_names.ABD_WORDS).
NAME_PARTICLES = frozenset(
    {"bin", "ibn", "ben", "bint", "binti", "al", "el", "abu", "abd", "bd", "ul"}
)
#: The words that cannot make a hit alone.
UNINFORMATIVE = GENERIC_WORDS | NAME_PARTICLES

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
    #: Read from Arabic script: tokens are matched by their consonants (abjad_key).
    abjad: bool = False

    @property
    def compact(self) -> str:
        """The tokens joined with no space: "Trade Winds" and "Tradewinds" agree here."""
        return "".join(self.tokens)


def _strip_legal_forms(text: str) -> tuple[str, bool]:
    stripped = " ".join(remove_org_types(text).split())
    if stripped and stripped != text:
        return stripped, True
    return text, False


#: Legal forms that are one only at a name's end: "SSA" (sherkat sahami aam, an Iranian
#: joint-stock company) ends "IRAN MARINE INDUSTRIAL COMPANY SSA" but begins "SSA SHIP
#: MANAGEMENT CO.", the letters of "SOROUSH SARZAMIN ASATIR". A two-letter sound key folded it
#: to "sa" until screen13; telling since, the listed name written with another form cleared.
_TRAILING_FORMS = frozenset({"ssa"})


def _fold(text: str) -> FoldedName:
    tokens = tokenize_name(text.casefold())
    joined, removed = _strip_legal_forms(" ".join(tokens))
    ascii_tokens = [
        "".join(c for c in ascii_text(token).casefold() if c.isalnum()) for token in joined.split()
    ]
    ascii_joined, removed_after = _strip_legal_forms(" ".join(t for t in ascii_tokens if t))
    folded = tuple(_generic_spelling(t) for t in ascii_joined.split())
    trailing = len(folded) >= 2 and folded[-1] in _TRAILING_FORMS
    return FoldedName(folded[:-1] if trailing else folded, removed or removed_after or trailing)


#: A dot between two words ("Orbital.Tradewinds.LLC") separates them; a dot between single
#: letters ("L.L.C.", "S.p.A.") joins an abbreviation and is left to the tokenizer.
_DOTTED_WORDS = re.compile(r"(?<=[^\W\d_]{2})\.(?=[^\W\d_]{2})")

#: Letters drawn another way, read as the letters they show (attack16): small capitals
#: ("ᴍɪssɪʟᴇ"), letters in negative circles and squares ("🅼🅸🆂🆂🅸🅻🅴") and regional
#: indicator letters ("🇺🇦🇻"). NFKC leaves them alone and the confusables data maps few.
#: Party names and end uses are read with it (review18: "🅼🅰🅷🅰🅽 🅰🅸🆁" hit nothing).
LETTER_SHAPES: dict[int, int] = {
    point: ord(name[-1])
    for point in (
        *range(0x0250, 0x02B0),
        *range(0x1D00, 0x1D2C),
        *range(0xA730, 0xA7FF),
        *range(0x1F150, 0x1F16A),
        *range(0x1F170, 0x1F18A),
        *range(0x1F1E6, 0x1F200),
    )
    if (name := unicodedata.name(chr(point), "")).startswith(
        (
            "LATIN LETTER SMALL CAPITAL ",
            "NEGATIVE CIRCLED LATIN CAPITAL LETTER ",
            "NEGATIVE SQUARED LATIN CAPITAL LETTER ",
            "REGIONAL INDICATOR SYMBOL LETTER ",
        )
    )
    and name[-2] == " "
}


def _compatible(name: str) -> str:
    """``name`` in compatibility forms (NFKC), letters drawn another way as the letters
    (``LETTER_SHAPES``), and a dot between two words as a space."""
    return _DOTTED_WORDS.sub(" ", unicodedata.normalize("NFKC", name).translate(LETTER_SHAPES))


@lru_cache(maxsize=65536)
def fold_name(name: str) -> tuple[FoldedName, ...]:
    """The forms under which ``name`` is compared (one, or two when its script is ambiguous).

    Never raises; a name with nothing left to compare gives one form with no tokens.
    """
    text = _compatible(name)
    words = text.split()
    mixed = " ".join(_unspoof_word(w, whole=False) for w in words)
    forms = [_fold(mixed)]
    looks = " ".join(_unspoof_word(w, whole=True) for w in mixed.split())
    if looks != mixed:
        alternative = _fold(looks)
        if alternative != forms[0]:
            forms.append(alternative)
    return tuple(forms)


def legal_form_words(name: str) -> frozenset[str]:
    """The folded words of ``name`` that ``fold_name`` removed with its legal form
    ("obshchestvo", "s", "ogranichennoi", "otvetstvennostyu" of "OBSHCHESTVO S OGRANICHENNOI
    OTVETSTVENNOSTYU KARST"); empty when it removed none."""
    forms = fold_name(name)
    if not forms[0].legal_form:
        return frozenset()
    text = _compatible(name)
    words = (
        "".join(c for c in ascii_text(token).casefold() if c.isalnum())
        for token in tokenize_name(text.casefold())
    )
    return frozenset(_generic_spelling(word) for word in words if word) - set(forms[0].tokens)


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


# A number is one word however written: "CHE 2 CHAYON KWAHAKWON" and "Che Two Chayon",
# "FIRST EAST EXPORT BANK" and "1st East Export Bank", "the Two Rivers" and "the 2 Rivers"
# (screen13 probe: 59 of 70 listed names with a number cleared written the other way). Each
# becomes its digits, on both sides; an ordinal is its number ("Second Academy", "2 Academy").
_NUMBER_TEXT = """
    one=first=1st two=second=2nd three=third=3rd four=fourth=4th five=fifth=5th six=sixth=6th
    seven=seventh=7th eight=eighth=8th nine=ninth=9th ten=tenth=10th eleven=eleventh=11th
    twelve=twelfth=12th thirteen=thirteenth=13th fourteen=fourteenth=14th
    fifteen=fifteenth=15th sixteen=sixteenth=16th seventeen=seventeenth=17th
    eighteen=eighteenth=18th nineteen=nineteenth=19th twenty=twentieth=20th
"""
_NUMBERS = {
    spelling: str(number)
    for number, spellings in enumerate(_NUMBER_TEXT.split(), start=1)
    for spelling in spellings.split("=")
}
#: Per number's digits, the words it is written as ("2": "two", "second", "2nd"): what a word
#: cut at a field limit may begin ("THE TW" for "THE TWO RIVERS", truncated).
NUMBER_SPELLINGS: dict[str, tuple[str, ...]] = {
    str(number): tuple(spellings.split("="))
    for number, spellings in enumerate(_NUMBER_TEXT.split(), start=1)
}


#: A number word of at least this many letters is also read misspelt by one edit ("furteenth",
#: "foruth"), as any word is: its digits leave the matcher nothing to compare letters with.
NUMBER_FUZZY_MIN = 5
_NUMBER_DELETES: dict[str, list[str]] = {}
for _spelling in _NUMBERS:
    if len(_spelling) >= NUMBER_FUZZY_MIN and not _spelling[0].isdigit():
        for _at in range(len(_spelling) + 1):
            _variant = _spelling[:_at] + _spelling[_at + 1 :]
            _NUMBER_DELETES.setdefault(_variant, []).append(_spelling)


@lru_cache(maxsize=65536)
def misspelt_number(token: str) -> tuple[str, int] | None:
    """The digits of the number word ``token`` misspells by one edit, with the length of that
    word ("furteenth" -> ("14", 10)); None when it is no such misspelling."""
    if len(token) < NUMBER_FUZZY_MIN - 1 or token in _NUMBERS:
        return None
    variants = [token, *(token[:at] + token[at + 1 :] for at in range(len(token)))]
    for variant in variants:
        for spelling in _NUMBER_DELETES.get(variant, ()):
            if OSA.distance(token, spelling, score_cutoff=1) <= 1:
                return _NUMBERS[spelling], len(spelling)
    return None


def _generic_spelling(token: str) -> str:
    """A generic word however abbreviated or romanised ("comm" -> "commercial", "tso" -> "co",
    "llts" -> "llc", "korporeishn" -> "corporation"), a number however written ("two",
    "2nd" -> "2"), else the token."""
    if token in _NUMBERS:
        return _NUMBERS[token]
    if token in GENERIC_WORDS:
        return token
    spelt = _ABBREVIATED.get(token) or _GENERIC_BY_SOUND.get(sound_key(token))
    if spelt is None and len(token) >= _HEARD_MIN_LENGTH:
        spelt = _GENERIC_BY_EAR.get(heard_as_english(token))
    return spelt or token


@lru_cache(maxsize=65536)
def sound_key(token: str) -> str:
    """The romanisation-neutral key of a folded token (see _SOUND_GROUPS)."""
    for group, letter in _SOUND_GROUPS:
        token = token.replace(group, letter)
    key = token.translate(_SOUND_LETTERS)
    return "".join(c for i, c in enumerate(key) if i == 0 or c != key[i - 1])


# Keys of one letter ("y" -> "i", "ooo" -> "o") would turn initials into generic words, keys
# of two names: "Cho" and "Coh" were "co", "Shah" and "Sha" "sa", "Lee" "le", "Hand" "and",
# "Haag" "ag", so a family name weighed as a legal form and a Korean given name written
# joined was not read apart ("Yonchun Cho" for "CHO YON CHUN", screen13 probe: 7 of 189 such
# names cleared). The short romanisations meant ("tso" for "co", "llts" for "llc") are
# abbreviations in _GENERIC_TEXT ("tsv", "Ц.В.", for "cv" too).
_GENERIC_BY_SOUND = {
    sound_key(word): word for word in sorted(GENERIC_WORDS) if len(sound_key(word)) >= 3
}


# English words written in Cyrillic as they sound ("Коммершиал", "Корпорейшн", "Трейдинг")
# come back letter by letter as "kommershial", "korporeishn", "treiding": far from the
# spelling, close to the sound. A generic word is recognised by its English sound: the
# spellings of one sound made one, then every run of vowels made one mark, so the consonants
# and where the vowels are decide (vowels differ most between a spelling and its sound).
_ENGLISH_SOUNDS = (
    ("tion", "shn"),
    ("sion", "shn"),
    ("cial", "shal"),
    ("tial", "shal"),
    ("ctu", "kchu"),
    ("dzh", "j"),
    ("zh", "j"),
    ("sch", "s"),
    ("sh", "s"),
    ("ch", "k"),
    ("ts", "s"),
    ("kh", "h"),
    ("ph", "f"),
    ("ck", "k"),
    ("ce", "se"),
    ("ci", "si"),
    ("cy", "si"),
    ("ge", "je"),
    ("gi", "ji"),
    ("gy", "ji"),
    ("c", "k"),
    ("q", "k"),
    ("x", "ks"),
    ("z", "s"),
    ("w", "u"),
    ("h", ""),
)
_VOWEL_RUNS = re.compile(r"[aeiouy]+")
_LAST_SYLLABLE = re.compile(r"(?<=[^*])\*([lmn])$")
#: Shorter tokens are left alone: too many short words share a sound.
_HEARD_MIN_LENGTH = 5


@lru_cache(maxsize=65536)
def heard_as_english(token: str) -> str:
    """How a folded token sounds read as English, as a key ("commercial" and "kommershial"
    give "k*m*rs*l")."""
    for spelling, sound in _ENGLISH_SOUNDS:
        token = token.replace(spelling, sound)
    # An unstressed last vowel is often not written ("Интернешнл", "Нэшнл").
    key = _LAST_SYLLABLE.sub(r"\1", _VOWEL_RUNS.sub("*", token))
    return "".join(c for i, c in enumerate(key) if i == 0 or c != key[i - 1])


# Keys with fewer than four consonants ("s*s*t*" of "societa" is also "zazueta") would turn
# ordinary words into generic ones.
# "export" sounds like "expert", an ordinary word; those are matched by their spelling only.
_SPELT_ONLY = frozenset({"export", "exports", "import", "imports"})
_GENERIC_BY_EAR: dict[str, str] = {}
# The first in the table wins: the English word before its other languages' spellings.
for _word in dict.fromkeys(entry.split("=")[0] for entry in _GENERIC_TEXT.split()):
    _heard = heard_as_english(_word)
    if _word in _SPELT_ONLY or len(_word) < _HEARD_MIN_LENGTH:
        continue
    if len(_heard.replace("*", "")) >= 4:
        _GENERIC_BY_EAR.setdefault(_heard, _word)


# Arabic script writes a name's consonants and long vowels, rarely its short vowels: "حزب الله"
# comes back as "hzb allh", "شهيد همت" as "shhyd hmt". Such a name is read the way a screener
# reads it, by its consonants: each word is keyed by its letters without vowels (nor "w" and
# "y", which Arabic also writes for long vowels), doubled letters once, and the key finds the
# listed Latin spelling ("hizb", "allah", "shahid", "hemmat").
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_ABJAD_DROPPED = str.maketrans({c: None for c in "aeiouwy"} | {"q": "k"})


def in_arabic_script(name: str) -> bool:
    """Whether ``name`` has a letter of the Arabic script (Arabic, Persian, Urdu)."""
    return _ARABIC.search(name) is not None


@lru_cache(maxsize=65536)
def abjad_key(token: str) -> str:
    """A folded ASCII token as Arabic script would write it: consonants only, each once in a
    row ("hizballah" and "hzballh" give "hzblh", "hemmat" and "hmt" give "hmt"); a "w" or "y"
    that begins the word is a consonant ("wali" gives "wl", not "l" as "ali" does)."""
    key = token[:1].replace("q", "k") + token[1:].translate(_ABJAD_DROPPED)
    key = key if key[:1] in ("w", "y") else key.translate(_ABJAD_DROPPED)
    return "".join(c for i, c in enumerate(key) if i == 0 or c != key[i - 1])


# Latin romanisations also differ in a consonant: German and Dutch write "s" where English
# writes "z" (their "s" before a vowel is the English "z": "Hisbollah" for "Hizbollah"). So a
# listed word's "z" may be written "s", never the other way: a German or Dutch "z" is "ts",
# another sound ("Umsturz" is not "Masters"). Used for Latin words with enough consonants to
# tell names apart (matcher.expand); Arabic script itself writes "z" and "s" as two letters.
_Z_WRITTEN_S = str.maketrans({"z": "s"})


@lru_cache(maxsize=65536)
def consonant_key(token: str) -> str:
    """The ``abjad_key`` of a listed Latin word with its "z" written "s", as German and Dutch
    write it ("hizballah" gives "hsblh", the key of "hisbollah")."""
    key = abjad_key(token).translate(_Z_WRITTEN_S)
    return "".join(c for i, c in enumerate(key) if i == 0 or c != key[i - 1])


def abjad_name_key(tokens: tuple[str, ...]) -> str:
    """The abjad key of a whole name, its words' keys joined ("hzb allh" and "hizballah" give
    "hzblh"; "mhmd ly" and "mohammad wali" do not meet)."""
    key = "".join(abjad_key(token) for token in tokens)
    return "".join(c for i, c in enumerate(key) if i == 0 or c != key[i - 1])


def abjad_keys(token: str) -> tuple[str, ...]:
    """The abjad keys a word read from Arabic script may have: its own, and without the
    article joined to it ("altkryty" is "al" + "tkryty", "lltjart" is "li-l" + "tjart")."""
    keys = [abjad_key(token)]
    for article in ("al", "ll", "l"):
        if token.startswith(article) and len(token) > len(article) + 2:
            keys.append(abjad_key(token[len(article) :]))
            break
    return tuple(key for key in dict.fromkeys(keys) if len(key) >= ABJAD_MIN_KEY)


#: Keys shorter than this ("l" of "ly", Arabic "Ali") name too many words to read one.
ABJAD_MIN_KEY = 2


def read_abjad(name: str) -> FoldedName | None:
    """``name`` as a screener reads Arabic script: its words in ASCII, as written (no generic
    word folded: "allh" is "Allah", not the article), to be matched by their consonants.
    None when ``name`` has no letter of the Arabic script."""
    if not in_arabic_script(name):
        return None
    words = (
        "".join(c for c in ascii_text(token).casefold() if c.isalnum())
        for token in tokenize_name(unicodedata.normalize("NFKC", name).casefold())
    )
    return FoldedName(tuple(word for word in words if word), legal_form=False, abjad=True)
