"""Counting reads into a shipment's lines, and looking their keys up.

A serial counts once per shipment however often it is read; a read without a serial adds one
unit. A container (SSCC) in the manifest expands into its contents once; one not in the
manifest becomes an ``unclassified`` line keyed by the SSCC, also counted once. A removed line
read again was put back on the truck and counts from that read on. A lookup that fails is
kept on the line (``lookup_error``), which holds it: never "not in the table".
"""

from __future__ import annotations

from collections.abc import Callable

from gate.core.classification import Classification
from gate.core.shipment_values import Controls, Line, Shipment, evolve


def fresh(line: Line | None, key: str, *, container: bool = False) -> Line:
    """The line a read of ``key`` counts into: a new one, or a removed one started again."""
    # A removed line read again was put back on the truck: count it from this read on.
    if line is None:
        return Line(key, container=container)
    if line.removed:
        return evolve(line, removed=False, unserialised=0, serials=frozenset())
    return line


def count(line: Line, serial: str | None, units: int, serials: frozenset[str]) -> Line:
    """``line`` with one read counted: a serial once, else ``units`` and ``serials``."""
    if serial is not None:
        if serial in line.serials:
            return line
        return evolve(line, serials=line.serials | {serial})
    if serials - line.serials:
        line = evolve(line, serials=line.serials | serials)
    return evolve(line, unserialised=line.unserialised + units) if units else line


def put(lines: dict[str, Line], order: list[str], line: Line) -> None:
    """Puts ``line`` into ``lines``, keeping the order lines were first read in."""
    if line.key not in lines:
        order.append(line.key)
    lines[line.key] = line


def count_container(
    sscc: str,
    shipment: Shipment,
    lines: dict[str, Line],
    order: list[str],
    classify: Callable[[str], Classification | None],
) -> tuple[str, ...]:
    """Counts a read of container ``sscc`` into ``lines``/``order``; returns the keys it
    touched (its manifest contents, or the SSCC itself when the manifest lacks it)."""
    contents = shipment.manifest.contents(sscc)
    seen = sscc in shipment.containers
    if contents is None:
        line = lines.get(sscc)
        if not seen or line is None or line.removed:
            put(lines, order, count(fresh(line, sscc, container=True), None, 1, frozenset()))
        return (sscc,)
    touched: list[str] = []
    for item in contents:
        line = lines.get(item.gtin)
        touched.append(item.gtin)
        if seen and line is not None and not line.removed:
            continue  # this container was counted already
        started = classified(fresh(line, item.gtin), classify)
        units = item.quantity - len(item.serials)
        put(lines, order, count(started, None, units, item.serials))
    return tuple(dict.fromkeys(touched))


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
