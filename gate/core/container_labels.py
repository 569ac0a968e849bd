"""What a logistics unit's label says it holds, checked against the shipment's manifest.

An SSCC (AI 00) names a logistics unit whose contents come from the manifest (DESIGN.md
section 3). Its label often says more: AI (01) the GTIN of the unit itself when the unit is a
trade item, AI (02) the GTIN of the trade items it holds, AI (37) how many. The manifest is
trusted for a unit only when it confirms every such claim: the GTIN is among the unit's
contents, and a count is the number of units of that GTIN the manifest lists in it.

When it does not, the gate believes neither side and guesses nothing (section 2, fail
closed): the unit becomes its own line, keyed by the SSCC and held ``unclassified`` (row 11,
like a unit missing from the manifest), and each GTIN the label names is counted as a line of
its own (the label's count, or one unit), looked up in the table like any item. So the
unit waits for the central office, which reads here what contradicted what; and a controlled
GTIN on the label is decided as that item, never more leniently than reading it alone.

A label that names nothing about the contents (a bare SSCC) leaves the manifest in charge, as
before. A count with no GTIN to count (AI 37 without AI 02; GS1 requires the pair) is a claim
the manifest cannot confirm either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from gate.core.identifier import Identifier

__all__ = ["Claim", "Content", "Label", "claims", "unconfirmed"]


class Content(Protocol):
    """A manifest entry as this module reads it (``ManifestItem`` is one)."""

    @property
    def gtin(self) -> str: ...

    @property
    def quantity(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Claim:
    """What a label says a unit holds: a GTIN-14 (``None``: a count naming no GTIN) and a
    count (``None``: the label gives none)."""

    gtin: str | None
    count: int | None

    @property
    def units(self) -> int:
        """The units of ``gtin`` the label vouches for: its count, else one, and never fewer
        than one (the label shows at least one is there; how many more is for the office to
        ask, not for us to guess)."""
        return 1 if self.count is None else max(1, self.count)


@dataclass(frozen=True, slots=True)
class Label:
    """A claim of a unit's label that its manifest did not confirm, and ``listed``: the units
    of that GTIN the manifest lists in the unit (0: none, or no GTIN to look for)."""

    gtin: str | None
    count: int | None
    listed: int

    def describe(self) -> str:
        """One clause for the operator and the office: what the label said, against what."""
        if self.gtin is None:
            return f"its label counts {self.count} units (AI 37) without naming them (AI 02)"
        if not self.listed:
            counted = "" if self.count is None else f" x {self.count}"
            return f"its label names GTIN {self.gtin}{counted}, which its manifest does not list"
        return (
            f"its label counts {self.count} of GTIN {self.gtin},"
            f" where its manifest lists {self.listed}"
        )


def claims(item: Identifier) -> tuple[Claim, ...]:
    """What ``item``'s label says about the unit's contents: AI (01) with the count the label
    gives (AI 37 or 30), or AI (02) with its count, or a lone count naming no GTIN; empty for
    a label that names nothing (a bare SSCC). The decoder refuses (01) with (02); were both
    there, (01) would claim one unit and (02) the count."""
    found: list[Claim] = []
    if item.key is not None:
        found.append(Claim(item.key, item.count if item.content is None else None))
    if item.content is not None or (item.count is not None and item.key is None):
        found.append(Claim(item.content, item.count))
    return tuple(found)


def unconfirmed(said: Iterable[Claim], contents: Iterable[Content]) -> tuple[Label, ...]:
    """The claims in ``said`` that ``contents`` (the unit's manifest entries) do not confirm,
    each with what the manifest lists instead. Empty: the manifest confirms the label."""
    listed: dict[str, int] = {}
    for entry in contents:  # a GTIN may be listed twice in one unit: its units add up
        listed[entry.gtin] = listed.get(entry.gtin, 0) + entry.quantity
    found: list[Label] = []
    for claim in said:
        units = 0 if claim.gtin is None else listed.get(claim.gtin, 0)
        if units and (claim.count is None or claim.count == units):
            continue
        label = Label(claim.gtin, claim.count, units)
        if label not in found:
            found.append(label)
    return tuple(found)
