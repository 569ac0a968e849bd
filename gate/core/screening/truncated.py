"""A listed name cut short at a field limit: "Shahid Hemmat Industrial Gro".

ERP and payment systems hold a name in a field of fixed width (SWIFT lines and SAP's NAME1 35
characters, others 30 or 40) and cut what does not fit, often in the middle of a word. Weighted
Dice (matcher) then sees a word the lists do not know, weighed as the rarest ("gro"), and the
listed words cut off weigh against the party: most cut names cleared (screen12 probe, names of
the demo lists longer than the field: 202 of 300 cleared cut at 35 characters, 218 of 300 at
30, 196 of 300 at 40; 45, 44 and 39 after this rule, nearly all of them cut inside or right
after a legal form or generic words, "OTKRYTOE AKTSIONERNOE OBSHCHES", where nothing tells
the listed name from any other).

A trained screener reads such a name as the beginning of a listed one. So does ``cut_score``,
for a party whose name as written is long enough that a field limit is plausible
(TRUNCATED_MIN_LENGTH): its words are the listed name's first words, in the listed order, each
matched as the matcher matches words (spelling, romanisation), the last either matched too or
the beginning of the listed word at its place, the cut word ("gro" of "group"). Of two scores
the better counts, times TRUNCATED_FACTOR:

- the name completed: the weighted Dice score of the party's name, its cut word read as the
  listed word, against the whole listed name. The cut word stands for the listed word when
  that is generic or when it has CUT_WORD_MIN letters or more ("Hemm" for "Hemmat"; "T" could
  begin any word): else it only has to agree. The listed words after it weigh as they do for
  any name ("Pejman Industrial Services Cor" for "PEJMAN INDUSTRIAL SERVICES CORPORATION").
- the beginning alone: what the party's whole words share with the listed words they stand
  for, over those words' weight; the listed words after the cut do not count ("Islamic
  Republic of Iran Broadcasti" for "... BROADCASTING ORG."). Only where the whole words tell a
  name apart: at least TRUNCATED_MIN_WORDS listed words that are not generic, of rarity weight
  TRUNCATED_MIN_WEIGHT together, none of them a word of legal forms however spelt
  (ScreeningIndex.legal_words). A legal form written out and cut ("Obshchestvo s Ogranichennoi
  Otvetst", an LLC's) is not removed as a whole one is, and found every listed name that
  misspells that legal form alike.

Ordinary names do not start hitting (screen12 probe): 1,500 ordinary long company names, cut
at 30, 35 and 40 characters or not, hit nothing before or after; of 1,155 names made of a
listed name's first words and other ones ("GABRIEL JOK Rqndrq Hardware Services Ltd"), as
many hit before as after (135 uncut, 102 cut after the first letter that differs), all of
them through the listed name found whole (contained). The new hits of other entries than
the one cut are that entry on another list or its own branches ("ISLAMIC STATE OF IRAQ AND
THE LEVAN": the ISIL entries).
"""

from __future__ import annotations

from gate.core.screening.index import IndexedName, ScreeningIndex
from gate.core.screening.names import NUMBER_SPELLINGS, UNINFORMATIVE

#: A party's name, as written, of at least this many characters may have been cut at a field
#: limit: the shortest limit in use (30) less a space and the letter or two after it that a
#: cut leaves ("Shahid Hemmat Industrial Gro", 28).
TRUNCATED_MIN_LENGTH = 28
#: A cut name matching a listed one's beginning scores at most this: above a list's usual
#: threshold, as a screener would stop at it, below a whole match.
TRUNCATED_FACTOR = 0.95
#: The cut word stands for the listed word it begins when it has at least this many letters
#: ("Hemm" for "Hemmat"), or when that word is generic ("Gro" for "Group").
CUT_WORD_MIN = 4
#: The whole words of a cut name match at least this many listed words that are not generic...
TRUNCATED_MIN_WORDS = 2
#: ... of at least this rarity weight together (log of names over names holding each word).
TRUNCATED_MIN_WEIGHT = 12.0


def cut_candidates(
    index: ScreeningIndex, tokens: tuple[str, ...], gains_of: dict[str, dict[int, float]]
) -> set[int]:
    """The listed names of more words than ``tokens`` whose first two words the party's first two
    match (ScreeningIndex.starts): the names a cut party's name may be the beginning of."""
    if len(tokens) < 3:
        return set()
    found: set[int] = set()
    for first in gains_of[tokens[0]]:
        for second in gains_of[tokens[1]]:
            found.update(index.starts.get((first, second), ()))
    return found


def begins(token: str, word: str) -> bool:
    """Whether ``token`` is the beginning of the folded listed ``word`` as written, or of a
    number word that ``word``, a number's digits, stands for ("tw" of "2", written "two")."""
    return any(
        len(spelt) > len(token) and spelt.startswith(token)
        for spelt in (word, *NUMBER_SPELLINGS.get(word, ()))
    )


def cut_score(
    index: ScreeningIndex,
    tokens: tuple[str, ...],
    gains_of: dict[str, dict[int, float]],
    weights: dict[str, float],
    indexed: IndexedName,
) -> float:
    """The score of the party's words ``tokens`` (each of weight ``weights``) read as
    ``indexed`` cut short, or 0 (see the module's docstring)."""
    listed = indexed.tokens
    if len(listed) == len(tokens) - 1 and indexed.legal_form:
        tokens = tokens[:-1]  # the cut word began the legal form the listed name ends with
    if len(listed) < len(tokens):
        return 0.0
    shared = weight = party = completed = 0.0
    matched: dict[str, float] = {}
    for at, token in enumerate(tokens):
        number = listed[at]
        gain = gains_of[token].get(number, 0.0)
        if gain <= 0.0:
            word = index.tokens[number]
            if at < len(tokens) - 1 or not begins(token, word):
                return 0.0
            # The cut word agrees with the listed word; written far enough to tell it from
            # others, or the beginning of a generic word, it stands for it.
            if word in UNINFORMATIVE or len(token) >= CUT_WORD_MIN:
                completed = index.weights[number]
            party += index.weights[number]
            break
        shared += gain
        weight += index.weights[number]
        party += min(weights[token], index.weights[number])
        if index.tokens[number] not in UNINFORMATIVE:
            matched[token] = index.weights[number]
    # A legal form written out and cut short ("Obshchestvo s Ogranichennoi Otvetst") was not
    # removed, and its words, however spelt, find the listed names that misspell one alike.
    matched = {
        token: w
        for token, w in matched.items()
        if token not in index.legal_words
        and all(index.tokens[number] not in index.legal_words for number in gains_of[token])
    }
    if not matched:
        return 0.0
    whole = 2.0 * (shared + completed) / (party + indexed.weight)
    if len(matched) >= TRUNCATED_MIN_WORDS and sum(matched.values()) >= TRUNCATED_MIN_WEIGHT:
        whole = max(whole, shared / weight)
    return TRUNCATED_FACTOR * min(1.0, whole)


# A legal form written out ("GAZPROMBANK OPEN JOINT STOCK COMPANY") is removed whole by
# fold_name, but cut at a field limit ("GAZPROMBANK OPEN JOINT STOCK C") it stays, its words
# unknown or generic, and the listed name with its short form ("GAZPROMBANK OAO") cleared
# (screen13 probe: of 300 listed companies with a legal form written out and cut inside it,
# 68, 52 and 36 cleared at 30, 35 and 40 characters; a listed name of two words once its form
# is dropped has no cut_candidates). Some forms are not removed even whole ("SOCIETE
# ANONYME", "SOCIETA PER AZIONI", "CORPORATION", which is a generic word). These are the
# forms written out, folded, that a party's name is read without at its end, whole or cut.
_WRITTEN_FORMS_TEXT = """
    open joint stock company; closed joint stock company; public joint stock company
    joint stock company; limited liability company; limited liability partnership
    limited partnership; private limited company; public limited company; public company limited
    company limited; private limited; proprietary limited; incorporated; corporation; company
    free zone establishment; free zone company; free zone enterprise
    sociedad anonima de capital variable; sociedad de responsabilidad limitada; sociedad limitada
    sociedade anonima; sociedade limitada; societe anonyme; societe a responsabilite limitee
    societa per azioni; societa a responsabilita limitata; gesellschaft mit beschrankter haftung
    gesellschaft mit beschraenkter haftung; aktiengesellschaft; kommanditgesellschaft
    sendirian berhad; anonim sirketi; limited sirketi; besloten vennootschap
    naamloze vennootschap; pte limited; pty limited; obshchestvo s ogranichennoi otvetstvennostyu
    obshchestvo s ogranichennoy otvetstvennostyu; otkrytoe aktsionernoe obshchestvo
    zakrytoe aktsionernoe obshchestvo; publichnoe aktsionernoe obshchestvo
    aktsionernoe obshchestvo; federal state unitary enterprise; state unitary enterprise
    unitary enterprise
"""
WRITTEN_FORMS = tuple(
    tuple(form.split())
    for line in _WRITTEN_FORMS_TEXT.splitlines()
    for form in line.split(";")
    if form.split()
)
#: A form cut short is read off only when what is left of it has at least this many letters:
#: a last "S" or "A" may begin "Sociedad" or "Anonima", or be a word of the name.
CUT_FORM_MIN_LETTERS = 3


def _form_steps() -> dict[tuple[str, ...], list[tuple[bool, bool, bool]]]:
    """Per words a name may end with that are a form's first words and then its next word,
    whole or begun (or, once fold_name removed a form's beginning, those of its rest): with
    whether that word is whole, whether it ends the form, and whether the words are a rest."""
    steps: dict[tuple[str, ...], list[tuple[bool, bool, bool]]] = {}
    for whole in WRITTEN_FORMS:
        for start in range(len(whole)):
            form = whole[start:]
            for length in range(1, len(form) + 1):
                word = form[length - 1]
                ends = start == 0 and length == len(form) and not set(form) <= UNINFORMATIVE
                for cut in range(1, len(word) + 1):
                    key = (*form[: length - 1], word[:cut])
                    steps.setdefault(key, []).append((cut == len(word), ends, start > 0))
    return steps


#: _form_steps(), built once.
_FORM_STEPS = _form_steps()
_LONGEST_FORM = max(map(len, WRITTEN_FORMS))


def written_form(tokens: tuple[str, ...], cut: bool, removed: bool) -> tuple[int, bool]:
    """How many of the last ``tokens`` are a legal form written out (WRITTEN_FORMS), whole
    or, with ``cut`` (a name as long as a field), cut short: its first words, the last of
    them whole or begun ("open joint stock c"); and whether it was cut. With ``removed``
    (fold_name removed a legal form) the form's first words may be gone: "X LIMITED
    LIABILITY COMPA" folds to "x liability compa". A whole form of generic words only
    ("company") is a word of the name as much as a form, and the matcher weighs it lightly
    already. (0, False) when none is, or when nothing would be left before it."""
    for length in range(min(_LONGEST_FORM, len(tokens) - 1), 0, -1):
        tail = tokens[-length:]
        steps = [(w, e) for w, e, rest in _FORM_STEPS.get(tail, ()) if removed or not rest]
        if any(whole and ends for whole, ends in steps):
            return length, False
        if cut and steps and sum(map(len, tail)) >= CUT_FORM_MIN_LETTERS:
            return length, True
    return 0, False
