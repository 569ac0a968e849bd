"""A listed person's name written without some of its middle names: the abridged rule.

Weighted Dice (matcher) counts a listed middle name against the party, so "François Bozizé"
scores about 0.7 against the UN's "FRANÇOIS YANGOUVONDA BOZIZÉ" and would clear. A trained
screener stops at it: the person's first given name and family name, every word of the party's
name matching a listed word of its own. Where those two are depends on how the list writes the
name (first_and_family): in its own order, or family names first before a comma, with a
generation ("Jr.") set aside. Only a PERSON entry is read so (matcher checks the kind): a
company is not named by its first and last word.

A first and family name alone names many people when the family name is common: the family
name must be rare on the lists (ABRIDGED_FAMILY_RARE) and written as listed or as another
romanisation of it, not one letter off (ABRIDGED_FAMILY_SIMILAR). The rarity is the lists'
own (the index's weights), not the population's: the lists hold many Hispanic names, each
only middling rare on them, so a family name that two listed names or fewer hold is enough
with any first name (ABRIDGED_FAMILY_UNIQUE), and a commoner one must be rare together with
the first name (ABRIDGED_PAIR_RARE). "Cruz" and "Ortiz" are still rare on the lists and
common in the world: of 400 of the commonest Hispanic first and family names, 4 are flagged
more than before the rule (1 %); weighing by how common a name is in the world needs data
the gate does not have.
"""

from __future__ import annotations

from gate.core.screening.index import IndexedName, ScreeningIndex
from gate.core.screening.names import GENERIC_WORDS, fold_name

#: A listed person's name with middle names left out ("François Bozizé" for "François
#: Yangouvonda Bozizé", "Saddam al-Tikriti" for "Saddam Hussein al-Tikriti") scores at most
#: this: above a list's usual threshold, as a screener would stop at it, below a whole match.
ABRIDGED_FACTOR = 0.92
#: How rare (index weight: log of names over names holding it) the family name matched must
#: be. The lists' rarity, not the population's: common family names are common on the lists
#: too ("garcia", "hassan", "lopez" weigh 4-6), and without a family name that tells people
#: apart, first and family name alone flagged 28 % of ordinary Hispanic names.
ABRIDGED_FAMILY_RARE = 7.0
#: How alike the family name must be written: as a romanisation or a spelling of one Arabic
#: name is (0.95), not one letter off ("Hernandez" reads "FERNANDEZ" at 0.94).
ABRIDGED_FAMILY_SIMILAR = 0.95
#: A family name as rare as this (two listed names or fewer hold it) is enough with any first
#: name ("Mohamed Nkalubo"); a commoner one needs the first name and it to weigh this much
#: together ("François Bozizé" 16.3, "Oscar Arango" 15.5; not "Ricardo Moreno", "José
#: Jiménez": the lists hold many Hispanic names, so each is only middling rare on them, and
#: 5.6 % of ordinary Hispanic first and family names hit without this, attack11).
ABRIDGED_FAMILY_UNIQUE = 9.0
ABRIDGED_PAIR_RARE = 14.0


def _abridged_options(
    gains: list[dict[int, float]], listed: tuple[int, ...]
) -> list[list[tuple[float, int]]] | None:
    """Each party word's gain at each position in ``listed`` it matches; None when a word
    matches none or the words match fewer positions than they are."""
    options = []
    for gain_of in gains:
        found = [(gain, p) for p, number in enumerate(listed) if (gain := gain_of.get(number))]
        if not found:
            return None
        options.append(found)
    if len({p for found in options for _, p in found}) < len(options):
        return None
    return options


def _abridged_positions(
    options: list[list[tuple[float, int]]], given: int, family: range
) -> list[int] | None:
    """The position each party word matches (``options``, from _abridged_options), each a
    position of its own and among them ``given`` and one of ``family``; None when no
    assignment does.

    Each word takes its best free position; only when that misses the rule is the first given
    name and each family name tried on each pair of words, the others then matched where they
    can (_matching): a listed word written twice ("Mohammad Islami; Mohamed Islami") or a
    party word near two listed ones must not take the position the rule needed.
    """
    reach = {p for found in options for _, p in found}
    if given not in reach or reach.isdisjoint(family):
        return None
    taken: list[int] = []
    for found in options:
        free = [pair for pair in found if pair[1] not in taken]
        if not free:
            break
        taken.append(max(free, key=lambda pair: pair[0])[1])
    if len(taken) == len(options) and given in taken and any(p in family for p in taken):
        return taken
    for found in options:
        found.sort(reverse=True)
    for first, found in enumerate(options):
        if all(p != given for _, p in found):
            continue
        for last, other in enumerate(options):
            for _, p in other:
                if last != first and p in family and p != given:
                    matched = _matching(options, {first: given, last: p})
                    if matched is not None:
                        return matched
    return None


def _matching(options: list[list[tuple[float, int]]], fixed: dict[int, int]) -> list[int] | None:
    """A position of its own for every word (``fixed`` as given, the others among their
    ``options``), or None when there is none: Kuhn's augmenting paths."""
    owner = {position: word for word, position in fixed.items()}

    def place(word: int, seen: set[int]) -> bool:
        for _, position in options[word]:
            if position in seen:
                continue
            seen.add(position)
            holder = owner.get(position)
            if holder is None or (holder not in fixed and place(holder, seen)):
                owner[position] = word
                return True
        return False

    for word in range(len(options)):
        if word not in fixed and not place(word, set()):
            return None
    at = {word: position for position, word in owner.items()}
    return [at[word] for word in range(len(options))]


#: A generation written after a person's name ("RUBEN PESTANO LAVILLA, JR", "LAVILLA, Ruben
#: Pestano, Jr."): neither a given name nor the family name.
_GENERATIONS = frozenset({"jr", "sr", "ii", "iii", "iv"})


def first_and_family(index: ScreeningIndex, indexed: IndexedName) -> tuple[int, range]:
    """Where a listed person's first given name is and where the family names are: the first
    and last words ("François Yangouvonda Bozizé"), or for a name written family names first
    ("TAYLOR, Mark John", "MARTINEZ ARANGO, Oscar Richard") the first word after the comma and
    the words before it. A generation ("Jr.") after a comma or at the end is neither."""
    listed = indexed.tokens
    end = len(listed)
    while end > 1 and index.tokens[listed[end - 1]] in _GENERATIONS:
        end -= 1
    parts = [
        part
        for part in indexed.name.split(",")
        if (forms := fold_name(part))
        and forms[0].tokens
        and not set(forms[0].tokens) <= _GENERATIONS
    ]
    if len(parts) == 2:
        forms = fold_name(parts[0])
        count = len(forms[0].tokens)
        if 0 < count < end:
            return count, range(count)
    return 0, range(end - 1, end)


def abridged_score(
    index: ScreeningIndex,
    gains: list[dict[int, float]],
    weights: list[float],
    indexed: IndexedName,
) -> float:
    """The score of a listed person's name written without some of its middle names, or 0.

    Every word of the party's name matches a listed word of its own, in any order ("Bozizé,
    François"), and among them are the person's first given name and family name: the listed
    name's first and last words ("François Yangouvonda Bozizé"), or, for a name written family
    names first, the first word after the comma and one of the words before it ("MARTINEZ
    ARANGO, Oscar Richard": "Oscar Martinez" or "Oscar Arango", not "Richard Martinez"). One of
    the two is not a generic word. The score is the share of the party's weight so matched,
    times ABRIDGED_FACTOR: "Mohamed Nkalubo" finds "Mohamed Ali Nkalubo", "Mohamed Ali" (no
    family name) does not."""
    listed = indexed.tokens
    options = _abridged_options(gains, listed)
    if options is None:
        return 0.0
    given, family = first_and_family(index, indexed)
    taken = _abridged_positions(options, given, family)
    if taken is None:
        return 0.0
    last = next(p for p in taken if p in family)
    family_weight = index.weights[listed[last]]
    if family_weight < ABRIDGED_FAMILY_RARE:
        return 0.0
    if (
        family_weight < ABRIDGED_FAMILY_UNIQUE
        and family_weight + index.weights[listed[given]] < ABRIDGED_PAIR_RARE
    ):
        return 0.0  # "Ricardo Moreno": two names the lists hold often enough together
    word = taken.index(last)
    lighter = min(weights[word], index.weights[listed[last]])
    if gains[word][listed[last]] < ABRIDGED_FAMILY_SIMILAR * lighter:
        return 0.0  # a misspelt family name ("Hernandez" for "FERNANDEZ") is another name
    if all(index.tokens[listed[p]] in GENERIC_WORDS for p in (given, last)):
        return 0.0
    shared = sum(gain_of[listed[at]] for gain_of, at in zip(gains, taken, strict=True))
    weight = sum(weights)
    return ABRIDGED_FACTOR * min(1.0, shared / weight) if weight > 0.0 else 0.0
