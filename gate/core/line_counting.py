"""Counting reads into a shipment's lines, and looking their keys up.

A serial counts once per line however often it is read; a read without a serial adds one
unit, or the count of units its label states (AI 37 or AI 30: a label that says 10 counts 10,
with or without a serial; never fewer than the label claims, whatever GS1 says of pairing AI
37 with AI 01). A serial's label counts at the most units any of its reads stated: read first
saying 1 and again saying 50, it counts 50 (the second read adds 49), in either order; a
re-read stating the same or fewer adds nothing. Which serials are counted already, and at how
many units, is the shell's to keep (``SerialBook``: a shipment of 100,000 tagged units must
not copy a set of 100,000 serials per read); the core asks it and returns each serial it
counts first or at more units (``SerialRead``), which the shell stores.
A container (SSCC) in the manifest expands into its contents once; one not in the
manifest, or whose label says what the manifest does not confirm
(:mod:`gate.core.container_labels`), becomes an ``unclassified`` line keyed by the SSCC, also
counted once, and each GTIN its label names counts from the label, as a line of its own, at
the largest claim any read of the label made (``Shipment.label_counts``), as a serial does.
What a read added (``added``: 0 for a re-read claiming no more) is what the scan answer
reports as ``counted``. A
removed line read again was put back on the truck and counts from that read on. A lookup that
fails is kept on the line (``lookup_error``), which holds it: never "not in the table".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from gate.core.classification import Classification
from gate.core.container_labels import Claim, Label, claims, unconfirmed
from gate.core.identifiers import Identifier
from gate.core.manifest import ManifestItem
from gate.core.rules import SEVERITY
from gate.core.shipment_values import (
    Controls,
    Line,
    SerialBook,
    SerialRead,
    Shipment,
    evolve,
)

#: (SSCC, GTIN, line epoch), as ``Shipment.container_counts`` keeps it
Record = tuple[str, str, int]
#: (SSCC, GTIN, line epoch, units), as ``Shipment.label_counts`` keeps it
LabelCount = tuple[str, str, int, int]


def fresh(line: Line | None, key: str, *, container: bool = False) -> Line:
    """The line a read of ``key`` counts into: a new one, or a removed one started again."""
    # A removed line read again was put back on the truck: count it from this read on.
    if line is None:
        return Line(key, container=container)
    if line.removed:
        # A new epoch: the serials counted before the removal left with the goods.
        return evolve(line, removed=False, unserialised=0, serialised=0, epoch=line.epoch + 1)
    return line


def added(before: Shipment, lines: Sequence[Line]) -> int:
    """The units a read added to ``before``: how far each line it touched (``lines``, as the
    read left them) grew from where ``fresh`` started it (nothing for a new or removed line,
    whose count starts again). 0 for a re-read of serials counted already."""
    if len(lines) == 1:  # a unit read: no index of every line for one look-up
        olds = {lines[0].key: before.line(lines[0].key)}
    else:
        olds = {line.key: line for line in before.lines}
    total = 0
    for line in lines:
        old = olds.get(line.key)
        total += line.quantity - (0 if old is None or old.removed else old.quantity)
    return total


def count(
    line: Line,
    units: int,
    serials: Iterable[str],
    book: SerialBook,
    counted: list[SerialRead],
    *,
    stated: int = 1,
) -> Line:
    """``line`` with one read counted: ``units`` without serial, and each of ``serials``
    whose label states ``stated`` units (``stated_units``). A serial the ``book`` does not
    hold counts as one serialised unit and ``stated`` less one unserialised; one it holds at
    fewer units than ``stated`` counts the difference (a label never counts for fewer units
    than it claims, whichever of its reads comes first); one it holds at ``stated`` or more
    adds nothing. Each serial that counted is appended to ``counted``. The same line when
    nothing is new."""
    # Once each, also within this read (a container's contents): never trust the input to
    # hold each serial once, as the book and the table's key both count on it.
    earlier = {r.serial for r in counted if r.key == line.key} if counted else ()
    reads = []
    for serial in dict.fromkeys(serials):
        if serial not in earlier:
            before = book.stated(line.key, line.epoch, serial)
            if before < stated:
                reads.append(SerialRead(line.key, line.epoch, serial, stated, before))
    if not units and not reads:
        return line
    new = 0
    if reads:
        counted.extend(reads)
        # A serial counted first is one serialised unit and the rest of its label's units; a
        # re-read stating more adds the difference, unserialised too: the line's serialised
        # count stays its serials (one row each, ``gate.storage.serial_rows``).
        for r in reads:
            units += r.units - max(r.before, 1)
            if not r.before:
                new += 1
    return evolve(line, unserialised=line.unserialised + units, serialised=line.serialised + new)


def count_unit(line: Line, item: Identifier, book: SerialBook, counted: list[SerialRead]) -> Line:
    """``line`` with a read of one unit's label ``item`` counted (``count``): its serial at
    the units the label states, or without a serial those units."""
    stated = stated_units(item)
    if item.serial is None:
        return count(line, stated, (), book, counted)
    return count(line, 0, (item.serial,), book, counted, stated=stated)


def stated_units(item: Identifier) -> int:
    """The units a unit's label says it is: its count (AI 37, or AI 30), at least 1."""
    return max(1, item.count or 1)


def put(lines: dict[str, Line], order: list[str], line: Line) -> None:
    """Puts ``line`` into ``lines``, keeping the order lines were first read in."""
    if line.key not in lines:
        order.append(line.key)
    lines[line.key] = line


def count_container(
    sscc: str,
    item: Identifier,
    shipment: Shipment,
    lines: dict[str, Line],
    order: list[str],
    classify: Callable[[str], Classification | None],
    book: SerialBook,
    counted: list[SerialRead],
) -> tuple[tuple[str, ...], frozenset[Record], frozenset[LabelCount]]:
    """Counts a read ``item`` of container ``sscc`` into ``lines``/``order`` (new
    serials appended to ``counted``); returns the keys it touched (its manifest contents, or
    the SSCC itself and its label's GTINs when the manifest does not vouch for it), what it
    counted of the manifest, as ``Shipment.container_counts`` keeps it, and the shipment's
    ``label_counts`` after it.

    An entry of the manifest counts unless this container's read counted it into the line's
    current start already: after a line is removed and the goods put back, every container
    holding its GTIN counts it again, each entry of it (a GTIN can be listed twice in one
    container) once. A GTIN of the label counts the same way, once per start of its line,
    topped up when a later read of the label claims more."""
    contents, said, contradicted = vouching(shipment, sscc, item)
    if contents is None:
        held, labelled = _count_unvouched(
            sscc, said, contradicted, shipment, lines, order, classify, book, counted, ()
        )
        return held, frozenset(), labelled
    already = shipment.container_counts
    records: set[Record] = set()
    touched: list[str] = []
    # The manifest's contents count whatever the label says: a label that contradicts the
    # manifest adds to what is held, never takes the manifest's goods (a prohibited item
    # among them) out of the decision.
    for entry in contents:
        line = lines.get(entry.gtin)
        touched.append(entry.gtin)
        if line is not None and not line.removed and (sscc, entry.gtin, line.epoch) in already:
            continue  # this container was counted into this start of the line already
        started = classified(fresh(line, entry.gtin), classify)
        units = entry.quantity - len(entry.serials)
        put(lines, order, count(started, units, sorted(entry.serials), book, counted))
        records.add((sscc, entry.gtin, started.epoch))
    if not contradicted:
        return tuple(dict.fromkeys(touched)), frozenset(records), shipment.label_counts
    held, labelled = _count_unvouched(
        sscc, said, contradicted, shipment, lines, order, classify, book, counted, contents
    )
    return tuple(dict.fromkeys((*held, *touched))), frozenset(records), labelled


def vouching(
    shipment: Shipment, sscc: str, item: Identifier
) -> tuple[tuple[ManifestItem, ...] | None, tuple[Claim, ...], tuple[Label, ...]]:
    """For a read ``item`` of container ``sscc``: the unit's manifest contents (``None``: not
    in the manifest), what its label claims, and the claims the manifest does not confirm.
    The manifest vouches for the read only when it lists the unit and confirms every claim."""
    contents = shipment.manifest.contents(sscc)
    said = claims(item)
    if contents is None or not said:
        return contents, said, ()
    return contents, said, unconfirmed(said, contents)


def _count_unvouched(
    sscc: str,
    said: tuple[Claim, ...],
    contradicted: tuple[Label, ...],
    shipment: Shipment,
    lines: dict[str, Line],
    order: list[str],
    classify: Callable[[str], Classification | None],
    book: SerialBook,
    counted: list[SerialRead],
    contents: Sequence[ManifestItem],
) -> tuple[tuple[str, ...], frozenset[LabelCount]]:
    """A container the manifest does not vouch for: its own line (held, row 11), counted once
    and holding what contradicted the manifest, then each GTIN its label names, beyond what
    the manifest's ``contents`` (counted by the caller) already put on that line: the label's
    units of a GTIN and the manifest's are the same goods, so the line gets the larger. Those
    top-ups are recorded with their units in ``Shipment.label_counts``, apart from the
    manifest's entries, so a bare read of the unit later still counts the manifest, and a
    read of the label claiming more than an earlier one counts the difference (never fewer
    units than a label claims). Returns the keys it touched and the new ``label_counts``."""
    line = lines.get(sscc)
    if sscc not in shipment.containers or line is None or line.removed:
        line = count(fresh(line, sscc, container=True), 1, (), book, counted)
    new = tuple(label for label in contradicted if label not in line.labels)
    put(lines, order, evolve(line, labels=line.labels + new) if new else line)
    had = label_units(shipment, sscc)
    raised: dict[tuple[str, int], int] = {}
    claimed = [claim.gtin for claim in said if claim.gtin is not None]
    for gtin, extra in beyond_manifest(said, contents).items():
        own = lines.get(gtin)
        before = 0 if own is None or own.removed else had.get((gtin, own.epoch), 0)
        if before >= extra:
            continue  # counted from this unit's label into this start, at this claim or more
        started = classified(fresh(own, gtin), classify)
        put(lines, order, count(started, extra - before, (), book, counted))
        raised[gtin, started.epoch] = extra
    keys = (sscc, *dict.fromkeys(claimed))
    if not raised:
        return keys, shipment.label_counts
    kept = {c for c in shipment.label_counts if c[0] != sscc or (c[1], c[2]) not in raised}
    return keys, frozenset(kept | {(sscc, g, epoch, n) for (g, epoch), n in raised.items()})


def beyond_manifest(said: Sequence[Claim], contents: Sequence[ManifestItem]) -> dict[str, int]:
    """Each GTIN a label names, with the units it claims beyond what ``contents`` (the unit's
    manifest entries, empty when it has none) list of that GTIN; only GTINs with some beyond.
    A GTIN named twice counts at its largest claim; a count naming no GTIN counts nothing
    (the unit's own line holds for it)."""
    units: dict[str, int] = {}
    for claim in said:
        if claim.gtin is not None:
            units[claim.gtin] = max(units.get(claim.gtin, 0), claim.units)
    listed: dict[str, int] = {}
    for entry in contents:
        listed[entry.gtin] = listed.get(entry.gtin, 0) + entry.quantity
    return {gtin: n - listed.get(gtin, 0) for gtin, n in units.items() if n > listed.get(gtin, 0)}


def label_units(shipment: Shipment, sscc: str) -> dict[tuple[str, int], int]:
    """What unit ``sscc``'s label counted beyond its manifest (``Shipment.label_counts``):
    the units of each (GTIN, line epoch)."""
    return {(g, epoch): n for unit, g, epoch, n in shipment.label_counts if unit == sscc}


def worst_first(lines: tuple[Line, ...]) -> tuple[Line, ...]:
    """``lines`` (those a read touched) with the most severe decision first, the rest in their
    order: a scan answer reports the first, so a pallet's answer is never more lenient than
    its worst line. A decision the table does not know counts as the most severe."""
    if len(lines) < 2:
        return lines
    worst = len(SEVERITY)
    # Within one decision, a line nothing covers before a covered one (a licence_required
    # line the answer reports must be one that holds, if any does).
    return tuple(
        sorted(
            lines,
            key=lambda line: (-SEVERITY.get(line.decision, worst), line.covered_by is not None),
        )
    )


def classified(line: Line, classify: Callable[[str], Classification | None]) -> Line:
    """``line`` with its key looked up; a failed lookup is kept on the line (it holds)."""
    if line.container:
        return evolve(line, classification=None, lookup_error=None)
    try:
        found = classify(line.key)
    except Exception as exc:  # a failed lookup holds the line, never clears it
        return evolve(line, classification=None, lookup_error=f"{type(exc).__name__}: {exc}")
    if found is not None and found.key != line.key:
        return evolve(line, classification=None, lookup_error=f"lookup answered for {found.key}")
    return evolve(line, classification=found, lookup_error=None)


def reclassified(shipment: Shipment, controls: Controls) -> list[Line]:
    """Every line of ``shipment`` looked up again in the current table."""
    return [classified(line, controls.classify) for line in shipment.lines]


def counted_already(shipment: Shipment, item: Identifier, book: SerialBook) -> bool:
    """Whether a read of ``item`` would add nothing to ``shipment``: a serial its line counted
    in the line's current start (not removed since), or a container whose every manifest entry
    was counted into lines still on the truck (one the manifest does not vouch for: its own
    line, not removed, holding what its label contradicted, and each GTIN its label names
    counted from it). A read without a serial always adds a unit."""
    if item.sscc is not None:
        sscc = item.sscc
        contents, said, contradicted = vouching(shipment, sscc, item)
        if sscc not in shipment.containers:
            return False
        done = shipment.container_counts

        def recorded(gtin: str) -> bool:
            line = shipment.line(gtin)
            return line is not None and not line.removed and (sscc, gtin, line.epoch) in done

        if not all(recorded(entry.gtin) for entry in contents or ()):
            return False
        if contents is not None and not contradicted:
            return True
        own = shipment.line(sscc)
        had = label_units(shipment, sscc)

        def labelled(gtin: str, extra: int) -> bool:
            line = shipment.line(gtin)
            return line is not None and not line.removed and had.get((gtin, line.epoch), 0) >= extra

        return (
            own is not None
            and not own.removed
            and all(label in own.labels for label in contradicted)
            and all(labelled(g, n) for g, n in beyond_manifest(said, contents or ()).items())
        )
    if item.key is None or item.serial is None:
        return False
    line = shipment.line(item.key)
    if line is None or line.removed:
        return False
    return book.stated(line.key, line.epoch, item.serial) >= stated_units(item)
