"""Goods read after their shipment was sealed: what the rules would say of them. Pure.

A sealed shipment takes no more scans (``accepts``), so a read that would add to it is
rejected and the door is held for an operator (``gate.service.door_holds``). Held is not
enough when the goods are prohibited in that shipment: DESIGN 2 says a prohibited item turns
the door red at once, sealed or not. So the read is decided as the line it would have been,
had the shipment still been open: the same line ``add_scan`` would build (``fresh`` from the
shipment's own line, a container through ``count_container``), run through the same decision
(``shipments._decided``) over the shipment's facts as ``add_scan`` would work them out
(``assess``: the facts the shipment keeps while they still hold, worked out again when they
no longer do, or when it keeps none, as after a restart). Nothing of the shipment changes:
the lines are returned, never kept.

Fail closed, and no more: a lookup that failed (or no table at all) decides the line
``licence_required`` with reason ``error``, as in an open shipment, which holds (amber) and
does not turn the door red by itself; a line the central office denied stays prohibited
whatever the lookup says (rule 3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from gate.core.classification import Classification
from gate.core.facts import assess
from gate.core.identifiers import Identifier
from gate.core.line_counting import count_container, fresh
from gate.core.rules import Decision, LineDecision
from gate.core.shipment_values import Controls, Line, SerialBook, Shipment, evolve
from gate.core.shipments import _decided  # add_scan's own decision of a line, not a copy


def late_lines(
    shipment: Shipment,
    item: Identifier,
    classification: Classification | None,
    controls: Controls,
    now: dt.datetime,
    *,
    book: SerialBook,
    lookup_error: str | None = None,
) -> tuple[Line, ...]:
    """The lines a read of ``item`` at ``now`` would add to in ``shipment``, decided as
    ``add_scan`` would decide them in an open shipment (``classification``/``lookup_error``:
    the table's answer for ``item.key``; ``controls.classify`` looks up a container's
    contents). Empty for an identifier with neither a key nor an SSCC. Never raises on a
    lookup: ``classify``'s failures are kept on their line (which then needs a licence,
    never clears)."""
    facts = assess(controls.policy, shipment.context, controls.dates, now, shipment.facts)
    classify = controls.classify
    if item.sscc is not None:
        lines = {line.key: line for line in shipment.lines}
        order = [line.key for line in shipment.lines]
        touched, _, _ = count_container(item.sscc, item, shipment, lines, order, classify, book, [])
        return tuple(_decided(lines[key], facts) for key in touched)
    if item.key is None:
        return ()
    error = lookup_error
    if error is not None:
        classification = None
    elif classification is not None and classification.key != item.key:
        error = f"lookup answered for {classification.key}, not {item.key}"
        classification = None
    line = fresh(shipment.line(item.key), item.key)
    if line.classification != classification or line.lookup_error != error:
        line = evolve(line, classification=classification, lookup_error=error)
    return (_decided(line, facts),)


def prohibitions(lines: tuple[Line, ...]) -> Iterator[tuple[str, LineDecision]]:
    """Each of ``lines`` the rules prohibit: its key and its decision."""
    for line in lines:
        if line.verdict.decision is Decision.PROHIBITED:
            yield line.key, line.verdict
