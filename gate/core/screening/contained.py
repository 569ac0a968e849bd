"""A listed name found whole inside a longer party name: "Global Logistics Services Ltd for
Tanchon Commercial Bank".

Weighted Dice (matcher) weighs the party's extra words against it, so a listed name inside a
longer one is also found by its words in order: the listed words appear in the party's name one
after another, with at most generic words between them, a listed generic word may be missing.
Only a listed name specific enough to stand out of a longer text counts
(IndexedName.specific): "EMMA OIL" or a one-word alias inside a long name is a coincidence.
"""

from __future__ import annotations

from gate.core.screening.index import IndexedName, ScreeningIndex
from gate.core.screening.names import GENERIC_WORDS, FoldedName

#: A listed name found whole inside a longer party name scores at most this (the party's
#: other words are not evidence against it, but an exact match ranks first).
CONTAINED_FACTOR = 0.95


def contained_score(
    index: ScreeningIndex,
    form: FoldedName,
    gains_of: dict[str, dict[int, float]],
    indexed: IndexedName,
) -> float:
    """The score of a listed name found whole inside a longer party name, or 0.

    The listed words must appear in the party's name in their order, one after another, with
    at most generic words between them ("Tanchon Commercial Bank" in "Global Logistics Services
    on behalf of Tanchon Commercial Bank"); a listed generic word may be missing. Only a listed
    name specific enough to stand out of a longer text counts (IndexedName.specific). The score is
    the share of the listed name's weight found, times CONTAINED_FACTOR.
    """
    party = form.tokens
    best = 0.0
    for start in range(len(party)):
        shared = _run_from(index, party, start, gains_of, indexed)
        best = max(best, shared)
    return CONTAINED_FACTOR * min(1.0, best / indexed.weight)


def _run_from(
    index: ScreeningIndex,
    party: tuple[str, ...],
    start: int,
    gains_of: dict[str, dict[int, float]],
    indexed: IndexedName,
) -> float:
    """The weight the listed words share with the party's words from ``start`` on, taken in
    order with only generic words between them; 0 when a listed word that is not generic is
    missing or the run does not begin at ``start``."""
    shared = 0.0
    position = start
    for number in indexed.tokens:
        at = position
        # Between listed words the party may have generic words ("Tanchon Commercial Trading
        # Bank"), but the run starts at ``start`` itself.
        while (
            at > start
            and at < len(party)
            and party[at] in GENERIC_WORDS
            and number not in gains_of[party[at]]
        ):
            at += 1
        gain = gains_of[party[at]].get(number, 0.0) if at < len(party) else 0.0
        if gain > 0.0:
            shared += gain
            position = at + 1
        elif index.tokens[number] not in GENERIC_WORDS:
            return 0.0
    return shared if position > start else 0.0
