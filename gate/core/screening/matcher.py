"""Screen one party against the index: every entry whose name or alias it matches.

The score of a party against a name is a weighted Dice coefficient over folded tokens:
twice the rarity weight the two share, over the weight of both. Each party token counts once,
matched to its best name token: exactly (similarity 1), or through a one-edit spelling
difference (similarity 1 - edits / (2 * length)). So "Orbital Tradewinds Holding" against
"Orbital Tradewinds" loses only the small weight of the generic "holding", while "EMMA" against
"EMMA OIL GROUP" keeps only what "emma" weighs against the rare "oil" it lacks. Word order
plays no part (token sets), which is what "MAKENGA, Sultani" = "Sultani Makenga" needs.

Dice weighs the party's extra words against it, so two more ways find a listed name inside a
longer party name. A name that separators divide ("X c/o Y", "X on behalf of Y", "X; Tehran",
"X (Y)") is also screened part by part. And a listed name specific enough
(IndexedName.specific) found whole in the party's name, its words in order with at most generic
words between them, scores the share of it found times CONTAINED_FACTOR ("Global Logistics
Services Ltd for Tanchon Commercial Bank"). A name in Arabic script is also read by its
consonants (names.read_abjad), as a screener reads it, and under its other readings
(readings: "Mahan Airlines" as "Mahan Air Lines", "Abd al Rosyid" as "Abdul Rosyid"). The
spellings of one Arabic given name match each other (given_names: "Husayn", "Hussein").

Dice also weighs a listed person's middle names against a party that leaves them out, so a
person's name that matches listed words of its own, among them the first given name and a
family name, scores by the abridged rule (abridged: "François Bozizé" for "FRANÇOIS
YANGOUVONDA BOZIZÉ", at most ABRIDGED_FACTOR).

A party's name as long as a field may have been cut at its end, and is also read as the
beginning of a listed name (truncated: "Shahid Hemmat Industrial Gro", at most
TRUNCATED_FACTOR); a name may end with a place the lists' addresses name, without it counting
only as a listed name exactly, as the name before a comma does (places: "Rosoboronexport
Moscow"). A legal form written out at its end, cut or not removed whole, is read as a legal
form (truncated.written_form: "GAZPROMBANK OPEN JOINT STOCK C"), and initials as the listed
person's given names they begin (initials: "A. Q. Khan").

A hit needs, besides its list's threshold, at least one shared word that is not generic:
"General Trading" must not hit every general trading company on a list. A hit is decided on the
name score; a differing country then lowers the score reported (by COUNTRY_PENALTY) but never
hides the hit, as DESIGN 2.1 requires. A weak (low-quality) alias's score is scaled by
WEAK_FACTOR. An identifier of the party equal to one of the entry's is a hit at score 1 whatever
the names say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from gate.core.hits import Hit, HitAction
from gate.core.screening.abridged import ABRIDGED_FACTOR, abridged_score
from gate.core.screening.contained import CONTAINED_FACTOR, contained_score
from gate.core.screening.entries import EntryKind, ListEntry
from gate.core.screening.given_names import given_name
from gate.core.screening.identifier_hits import identifier_hits
from gate.core.screening.index import (
    FUZZY_MIN_LENGTH,
    VOWELS_APART_MIN_KEY,
    IndexedName,
    ScreeningIndex,
    deletions,
)
from gate.core.screening.initials import INITIALS_FUZZY, initials_scores
from gate.core.screening.name_parts import name_parts
from gate.core.screening.names import (
    UNINFORMATIVE,
    FoldedName,
    abjad_key,
    abjad_keys,
    abjad_name_key,
    fold_name,
    misspelt_number,
    read_abjad,
    sound_key,
)
from gate.core.screening.places import without_places
from gate.core.screening.readings import Reading, readings
from gate.core.screening.truncated import (
    TRUNCATED_FACTOR,
    TRUNCATED_MIN_LENGTH,
    begins,
    cut_candidates,
    cut_score,
    written_form,
)

COUNTRY_PENALTY = 0.05
_PUNCTUATION = re.compile(r"[\W_]+")
WEAK_FACTOR = 0.92


@dataclass(frozen=True, slots=True)
class Party:
    """A party to screen: its name, country (ISO alpha-2) if known, identifier values if any.

    ``schemes`` are the same identifiers with the scheme each is under (``("vat", "DE12")``),
    when the caller knows them (a shipment's parties do): a list entry is matched on the value
    alone, but a clearance that names a scheme covers an identifier under that scheme only.
    """

    name: str
    country: str | None = None
    ids: tuple[str, ...] = ()
    schemes: tuple[tuple[str, str], ...] = ()


def _max_edits(length: int) -> int:
    return 1 if length < 8 else 2


#: Similarity of two tokens that differ only by romanisation (same sound_key).
SOUND_SIMILARITY = 0.95
#: Similarity of two Latin spellings of one Arabic given name (given_names: "Husayn" and
#: "Hussein", "Hamid" and "Hameed"): as two romanisations of one word (SOUND_SIMILARITY).
GIVEN_NAME_SIMILARITY = 0.95
#: Similarity of a word read from Arabic script to a listed word with the same consonants.
ABJAD_SIMILARITY = 0.95
#: A Latin word and a listed one with the same consonants, in order (``abjad_key``), where
#: those are at least ``VOWELS_APART_MIN_KEY``: two romanisations of one Arabic or Persian
#: word, whose vowels differ more than one edit ("Hezbollah", "Hizballah", "Hizbullah"), or
#: the listed word's "z" written "s" as German and Dutch write it (``consonant_key``:
#: "Hisbollah"). Below the edit similarity of one changed letter in eight, above a list's
#: usual threshold.
VOWELS_APART_SIMILARITY = 0.92
#: A query token whose postings (with its near spellings) number at most this many names
#: drives candidate generation; commoner tokens ("al", "mohammad") only add to the score of
#: candidates found through rarer ones, so one party costs a few hundred checks, not thousands.
CANDIDATE_CAP = 200


def expand(
    index: ScreeningIndex, token: str, abjad: bool = False, fuzzy: bool = True
) -> dict[int, float]:
    """The indexed tokens ``token`` may stand for, with their similarity (1 when exact): other
    romanisations, the other spellings of an Arabic given name (given_names), near spellings
    (not without ``fuzzy``); with ``abjad`` (a word read from Arabic script) also those with
    its consonants."""
    found: dict[int, float] = {}
    if abjad:
        for key in abjad_keys(token):
            for number in index.abjad.get(key, ()):
                found[number] = ABJAD_SIMILARITY
    elif len(key := abjad_key(token)) >= VOWELS_APART_MIN_KEY:
        # The listed word's consonants as written, or with its "z" written "s" (never the
        # party's "z" read as "s": a German or Dutch "z" is "ts", another sound).
        for number in (*index.abjad.get(key, ()), *index.consonants.get(key, ())):
            found[number] = VOWELS_APART_SIMILARITY
    for number in index.given.get(given_name(token) or "", ()):
        found[number] = GIVEN_NAME_SIMILARITY
    for number in index.sounds.get(sound_key(token), ()):
        found[number] = SOUND_SIMILARITY
    exact = index.token_of.get(token)
    if exact is not None:
        found[exact] = 1.0
    elif (misspelt := misspelt_number(token)) and misspelt[0] in index.token_of:
        found[index.token_of[misspelt[0]]] = 1.0 - 1.0 / (2.0 * misspelt[1])  # "furteenth"
    if len(token) < FUZZY_MIN_LENGTH or not fuzzy:
        return found
    near: set[int] = set(index.deletes.get(token, ()))
    for variant in deletions(token):
        shorter = index.token_of.get(variant)
        if shorter is not None:
            near.add(shorter)
        near.update(index.deletes.get(variant, ()))
    for number in near:
        other = index.tokens[number]
        longest = max(len(token), len(other))
        if len(other) < FUZZY_MIN_LENGTH:
            continue
        edits = OSA.distance(token, other, score_cutoff=_max_edits(longest))
        similarity = 1.0 - edits / (2.0 * longest)
        if edits <= _max_edits(longest) and similarity > found.get(number, 0.0):
            found[number] = similarity
    return found


def _query_weight(index: ScreeningIndex, token: str, near: dict[int, float]) -> float:
    """A party token's weight: its own, or that of the listed spelling it is closest to."""
    if token in index.token_of or not near:
        return index.weight(token)
    closest = max(near, key=lambda number: (near[number], index.weights[number]))
    return index.weights[closest]


@dataclass(slots=True)
class _Scored:
    score: float
    name: int
    form: FoldedName
    part: bool
    #: How the party's name was read to find this one ("'airlines' read as 'air lines'"), or "".
    reading: str = ""


@dataclass(frozen=True, slots=True)
class _Term:
    weight: float
    gains: dict[int, float]
    size: int
    informative: bool


def _score_form(
    index: ScreeningIndex, form: FoldedName, floor: float, cut: bool = False
) -> dict[int, float]:
    """Score the indexed names reachable from ``form``; keep those at ``floor`` or more. With
    ``cut`` the name may also be a listed one cut short at a field limit (truncated)."""
    terms: list[_Term] = []
    tokens = tuple(dict.fromkeys(form.tokens))
    for token in tokens:
        near = expand(index, token, form.abjad)
        weight = _query_weight(index, token, near)
        # The lighter of the two words is what they share: a generic word misspelt into a
        # rare one ("corporation" as "corporacion") must not borrow the rare one's weight.
        gains = {number: min(weight, index.weights[number]) * sim for number, sim in near.items()}
        size = sum(len(index.postings[number]) for number in gains)
        terms.append(_Term(weight, gains, size, token not in UNINFORMATIVE))
    # Only a word that is not generic can make a hit, so only such words drive; a rare
    # generic word ("pvt") would otherwise be the only driver and miss the listed name.
    informative = [term for term in terms if term.informative] or terms
    drivers = [term for term in informative if term.size <= CANDIDATE_CAP]
    if not drivers and informative:
        drivers = [min(informative, key=lambda term: term.size)]
    # First pass, over the drivers' postings only: what each candidate shares with them.
    reached: dict[int, tuple[float, float]] = {}
    for term in drivers:
        best: dict[int, float] = {}
        # Ascending gains, so a name reached twice keeps its best gain (dict updates in C).
        for number, gain in sorted(term.gains.items(), key=lambda item: item[1]):
            best.update(dict.fromkeys(index.postings[number], gain))
        for name, gain in best.items():
            shared, weight = reached.get(name, (0.0, 0.0))
            reached[name] = (shared + gain, weight + term.weight)
    # A bound on the full score prunes most candidates before the exact pass: the others
    # can add at most their best gain, and a driver a candidate lacks weighs fully against it.
    # A listed name inside a longer party name scores by the share of the listed name found
    # (at most CONTAINED_FACTOR), whatever the party's other words weigh.
    others = sum(max(t.gains.values(), default=0.0) for t in terms if t not in drivers)
    driver_weight = sum(term.weight for term in drivers)
    gains_of = dict(zip(tokens, (term.gains for term in terms), strict=True))
    weight_of = dict(zip(tokens, (term.weight for term in terms), strict=True))
    # The abridged rule pairs party words with listed words one to one, so a word the party
    # repeats ("Matuq Matuq" for "MATUQ MOHAMMED MATUQ") counts once per time it is written.
    term_of = dict(zip(tokens, terms, strict=True))
    written = [term_of[token] for token in form.tokens]
    scores: dict[int, float] = {}
    for name, (shared, weight) in reached.items():
        indexed = index.names[name]
        most = shared + others
        score = 0.0
        if 2.0 * most / (most + driver_weight - weight + indexed.weight) >= floor:
            score = _exact_score(index, terms, indexed)
        # Every party word must match a listed word of its own: a candidate some driver did
        # not reach, or with no word twice for a party that wrote one twice, is not abridged.
        if (
            score < ABRIDGED_FACTOR
            and weight >= driver_weight
            and 2 <= len(written) < len(indexed.tokens)
            and (len(written) == len(terms) or len(indexed.token_set) < len(indexed.tokens))
            and index.entries[indexed.entry].kind is EntryKind.PERSON
        ):
            score = max(
                score,
                abridged_score(
                    index, [t.gains for t in written], [t.weight for t in written], indexed
                ),
            )
        if (
            indexed.specific
            and score < CONTAINED_FACTOR
            and len(indexed.tokens) < len(form.tokens)
            and CONTAINED_FACTOR * most >= floor * indexed.weight
        ):
            score = max(score, contained_score(index, form, gains_of, indexed))
        if score >= floor:
            scores[name] = score
    for name in index.compact.get(form.compact, ()):
        # The listed name, spacing aside; under FUZZY_MIN_LENGTH letters with its legal form
        # too ("EP-IBN", a legal form and "ibn", which alone makes no hit: not "Ibn", "Ben"),
        # or spelt letter by letter ("E L N", "G R U": 56 of 241 listed acronyms cleared).
        if (
            len(form.compact) >= FUZZY_MIN_LENGTH
            or (form.legal_form and index.names[name].legal_form)
            or (len(form.tokens) >= 3 and all(len(token) == 1 for token in form.tokens))
        ):
            scores[name] = 1.0
    if form.abjad:
        for name in index.abjad_compact.get(abjad_name_key(form.tokens), ()):
            scores[name] = max(scores.get(name, 0.0), ABJAD_SIMILARITY)
    for name in cut_candidates(index, form.tokens, gains_of) if cut else ():
        if scores.get(name, 0.0) < TRUNCATED_FACTOR:
            score = cut_score(index, form.tokens, gains_of, weight_of, index.names[name])
            if score >= max(floor, scores.get(name, 0.0)):
                scores[name] = score
    return scores


def _exact_score(index: ScreeningIndex, terms: list[_Term], indexed: IndexedName) -> float:
    """The weighted Dice score of the party's terms against one indexed name (0 if no word
    but generic ones is shared)."""
    shared = 0.0
    # A matched party token weighs what it shares with its listed token (the lighter of the
    # two), so a rare spelling of a commoner listed word ("iang" for "jang") costs only its
    # similarity; an unmatched one weighs its own rarity.
    query_weight = 0.0
    informative = False
    for term in terms:
        best = 0.0
        best_number = -1
        for number in indexed.token_set:
            gain = term.gains.get(number, 0.0)
            if gain > best:
                best, best_number = gain, number
        if best_number >= 0:
            shared += best
            query_weight += min(term.weight, index.weights[best_number])
            informative = informative or (
                term.informative and index.tokens[best_number] not in UNINFORMATIVE
            )
        else:
            query_weight += term.weight
    if not informative:
        return 0.0
    return min(1.0, round(2.0 * shared / (query_weight + indexed.weight), 9))


def _forms(name: str) -> list[tuple[FoldedName, bool, int]]:
    """The forms ``name`` is screened under, each with whether it is one part of a name of
    several and its rank if only exactly (``name_parts``): its own, those of each of its parts, and
    for a name or part in Arabic script the one read by its consonants (names.read_abjad)."""
    forms: dict[FoldedName, tuple[bool, int]] = {}
    for number, (part, exact) in enumerate([(name, 0), *name_parts(name)]):
        abjad = read_abjad(part)
        for form in (*fold_name(part), *([abjad] if abjad else [])):
            # A form the whole name (or a freer part) has keeps its freedom.
            was = forms.get(form)
            if was is None or (was[1] and not exact):
                forms[form] = (number > 0, exact)
    return [(form, part, exact) for form, (part, exact) in forms.items()]


def screen(index: ScreeningIndex, party: Party) -> tuple[Hit, ...]:
    """Every hit of ``party`` on the indexed lists, best first, at most one per entry."""
    floor = min((p.threshold for p in index.policies.values()), default=1.0) * WEAK_FACTOR
    best: dict[int, _Scored] = {}
    forms = _forms(party.name)
    # A name as long as a field may have been cut at its end (truncated); counted without its
    # punctuation, which does not change what a name says.
    cut = len(" ".join(_PUNCTUATION.sub(" ", party.name).split())) >= TRUNCATED_MIN_LENGTH
    for read, part, exact in forms:
        if not exact:
            _screen_form(index, read, part, False, floor, best, cut and not (part or read.abjad))
    # The name before a comma, the last first, only when the name as written (or before a
    # later comma) is no listed name exactly: what follows may be a place or a note hiding one
    # ("TARIQ AZIZ, Damascus"); a name listed as written ("Abdul Rahman, Mohamad Iqbal") is
    # read no other way, so its family name alone does not find every listed "Abdul Rahman".
    for rank in sorted({exact for _, _, exact in forms if exact}):
        if any(scored.score >= 1.0 for scored in best.values()):
            break
        for read, part, exact in forms:
            if exact == rank:
                _screen_form(index, read, part, True, floor, best)
    for read, part, _exact in forms:
        if not part and not read.abjad:
            _screen_before_place(index, read, floor, best)
            _screen_without_form(index, read, cut, floor, best)
    # Initials for given names ("A. Q. Khan"), in the name or one of its parts ("Dr. A.Q.
    # Khan, Islamabad"): every listed word is accounted for, so a part counts as the name.
    for written, _exact in [(party.name, 0), *name_parts(party.name)]:
        for name, (score, form, how) in initials_scores(
            index, written, lambda token: expand(index, token, fuzzy=len(token) >= INITIALS_FUZZY)
        ).items():
            if score > getattr(best.get(index.names[name].entry), "score", 0.0):
                best[index.names[name].entry] = _Scored(score, name, form, False, how)
    hits = [
        hit
        for number, scored in best.items()
        if (hit := _name_hit(index, party, number, scored)) is not None
    ]
    hits.extend(identifier_hits(index, party.ids, {(h.list, h.entry) for h in hits}))
    hits.sort(key=lambda h: (-h.score, h.list, h.entry))
    return tuple(hits)


#: The listed names a party's one word before a place may be (places): a company's, not a
#: person's given name ("Hassan Moscow") nor a vessel's ("Noah").
_ONE_WORD_KINDS = frozenset({EntryKind.ENTITY, EntryKind.UNKNOWN})
#: ... of at least this many letters when the listed name is one word once its legal form is
#: dropped ("ROSOBORONEXPORT JSC", not "CANAL S.A.").
ONE_WORD_FORM_MIN_LETTERS = 6


def _screen_before_place(
    index: ScreeningIndex, read: FoldedName, floor: float, best: dict[int, _Scored]
) -> None:
    """Screen the name before a place it ends with ("Rosoboronexport Moscow", places) into
    ``best``, as the name before a comma is: only as a listed name exactly, and only while the
    name as written is none ("BANK MELLI IRAN" is listed with its country)."""
    rest = without_places(index.places, read.tokens)
    # Generic words alone name no company, though a listed name may fold to them ("STG
    # HOLDINGS LIMITED"): "Holdings Hong Kong" is no hit (review13).
    if (
        rest is None
        or all(word in UNINFORMATIVE for word in rest)
        or any(scored.score >= 1.0 for scored in best.values())
    ):
        return
    found: dict[int, _Scored] = {}
    _screen_form(index, FoldedName(rest, read.legal_form), True, True, floor, found)
    for entry, scored in found.items():
        # One word is a company's name only when no listed person's name holds it: "Salim
        # Dubai" is a person as likely as the SDN's "SALIM S.A." (review13).
        # Nor when the word is short and the listed name one word only once its legal form
        # is dropped: an ordinary word a company is called ("CANAL S.A.", "STEP A.S.", "IAN
        # LIMITED") stands before any city as often as it names that company, a coined one
        # ("ROSOBORONEXPORT JSC", "KEENCLOUD LIMITED") does not (review13: "Canal Paris",
        # "Step Tokyo", "Ian London" hit at 1.0). A listed name without a legal form keeps
        # its short word: the acronyms of designated groups ("PIJ Damascus", "AQI Baghdad",
        # review14), and the UN's "HUA" with them. Of 400 listed one-word names followed by a
        # city, 397 hit without the bound, 356 with it.
        one_word = len(rest) == 1
        if one_word and (
            index.names[scored.name].weak
            or (index.names[scored.name].legal_form and len(rest[0]) < ONE_WORD_FORM_MIN_LETTERS)
            or index.entries[entry].kind not in _ONE_WORD_KINDS
            or rest[0] in index.person_words
        ):
            continue
        if entry not in best or scored.score > best[entry].score:
            best[entry] = scored


def _screen_without_form(
    index: ScreeningIndex, read: FoldedName, cut: bool, floor: float, best: dict[int, _Scored]
) -> None:
    """Screen the name without the legal form written out at its end that fold_name left,
    cut short at a field limit or not removed by it (truncated.written_form: "GAZPROMBANK OPEN
    JOINT STOCK C", "TECHMA SOCIETE ANONYME"), as the name with its form removed is; a cut
    one scores at most TRUNCATED_FACTOR, for the word it cut may have been another."""
    length, was_cut = written_form(read.tokens, cut, read.legal_form)
    rest = read.tokens[:-length]
    if not length or all(word in UNINFORMATIVE for word in rest):
        return
    found: dict[int, _Scored] = {}
    _screen_form(index, FoldedName(rest, True), False, False, floor, found)
    how = f"{' '.join(read.tokens[-length:])!r} read as a legal form"
    for entry, scored in found.items():
        scored.score = min(scored.score, TRUNCATED_FACTOR) if was_cut else scored.score
        scored.reading = "; ".join(filter(None, (how + " cut short" * was_cut, scored.reading)))
        if entry not in best or scored.score > best[entry].score:
            best[entry] = scored


def _screen_form(
    index: ScreeningIndex,
    read: FoldedName,
    part: bool,
    exact: bool,
    floor: float,
    best: dict[int, _Scored],
    cut: bool = False,
) -> None:
    """Scores ``read`` and its other readings into ``best``. A one-word part, or one that
    counts only exactly, is taken only as written; with ``cut``, as written it may also be a
    listed name cut short (truncated)."""
    exact = exact or (part and len(read.tokens) == 1)
    others = [] if read.abjad or exact else readings(index, read)
    for reading in [Reading(read, ""), *others]:
        _keep_best(index, reading, part, exact, floor, best, cut and not reading.how)


def _keep_best(
    index: ScreeningIndex,
    reading: Reading,
    part: bool,
    exact: bool,
    floor: float,
    best: dict[int, _Scored],
    cut: bool = False,
) -> None:
    """Score the name as ``reading`` reads it and keep, per entry in ``best``, the best scored
    name (one holding a word ``reading.needs``, if any); with ``exact``, only the listed names
    it is exactly."""
    form = reading.form
    for name, score in _score_form(index, form, floor, cut).items():
        # A one-word part ("(Miami)", "; Tehran") is a place or a note more often than a
        # name: it counts only when it is a listed name exactly ("(Hizballah)"); so does
        # the name before its last comma (``name_parts``).
        if exact and score < 1.0:
            continue
        indexed = index.names[name]
        if reading.needs and indexed.token_set.isdisjoint(reading.needs):
            continue
        if indexed.weak:
            score *= WEAK_FACTOR
        current = best.get(indexed.entry)
        if current is None or score > current.score:
            best[indexed.entry] = _Scored(score, name, form, part, reading.how)


def _name_hit(index: ScreeningIndex, party: Party, number: int, scored: _Scored) -> Hit | None:
    entry = index.entries[number]
    policy = index.policies[entry.list_id]
    if scored.score < policy.threshold:
        return None
    indexed = index.names[scored.name]
    notes = [
        f"{'alias' if indexed.alias else 'name'} {indexed.name!r} "
        f"of {entry.list_id} {entry.reference}"
    ]
    if indexed.weak:
        notes.append(f"weak alias: x{WEAK_FACTOR}")
    if scored.part:
        notes.append(f"found in {' '.join(scored.form.tokens)!r}, one part of the party's name")
    if scored.reading:
        notes.append(scored.reading)
    if scored.form.abjad:
        notes.append(f"Arabic script read by its consonants as {' '.join(scored.form.tokens)!r}")
    notes.extend(_differences(index, scored.form, indexed))
    score, country_note = _country(entry, party, scored.score)
    if country_note:
        notes.append(country_note)
    return Hit(
        entry.list_id,
        entry.reference,
        entry.version,
        indexed.name,
        round(score, 3),
        HitAction(policy.action),
        "; ".join(notes),
    )


def _differences(index: ScreeningIndex, form: FoldedName, indexed: IndexedName) -> list[str]:
    """What the matcher looked past to match ``form`` to ``indexed``, in words."""
    notes: list[str] = []
    if form.legal_form or indexed.legal_form:
        notes.append("legal form ignored")
    listed = [index.tokens[i] for i in indexed.tokens]
    if "".join(form.tokens) == "".join(listed) and form.tokens != tuple(listed):
        return [*notes, "spacing differs"]  # "E L N" for "ELN": no word is extra
    matched_order: list[int] = []
    extra: list[str] = []
    for token in form.tokens:
        # A listed word written twice ("MATUQ MOHAMMED MATUQ") is matched once per time the
        # party writes it, at its next position not yet matched.
        at = next((i for i, t in enumerate(listed) if t == token and i not in matched_order), None)
        if at is not None:
            matched_order.append(at)
            continue
        if token in listed:
            matched_order.append(listed.index(token))
            continue
        near = [
            (s, index.tokens[n])
            for n, s in expand(index, token).items()
            if index.tokens[n] in listed
        ]
        cut = next((t for t in listed if begins(token, t)), "")
        if near:
            spelt = max(near)[1]
            notes.append(f"{token!r} read as {spelt!r}")
            matched_order.append(listed.index(spelt))
        elif cut and token == form.tokens[-1]:
            notes.append(f"{token!r} read as {cut!r} cut short (truncated)")
            matched_order.append(listed.index(cut))
        else:
            extra.append(token)
    if matched_order != sorted(matched_order):
        notes.append("word order differs")
    if extra:
        notes.append(f"extra word(s) {' '.join(extra)!r}")
    else:
        # A person's name without its middle names (_abridged_score), a company's without
        # one of its words: say which.
        left_out = [t for i, t in enumerate(listed) if i not in matched_order]
        if left_out:
            notes.append(f"listed word(s) {' '.join(left_out)!r} not in the party's name")
    return notes


def _country(entry: ListEntry, party: Party, score: float) -> tuple[float, str]:
    if not party.country or not entry.countries or party.country in entry.countries:
        return score, ""
    listed = "/".join(entry.countries[:3])
    return max(0.0, score - COUNTRY_PENALTY), (
        f"country {party.country} differs from {listed}: -{COUNTRY_PENALTY:.2f}"
    )
