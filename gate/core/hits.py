"""Screening hits: a party matched to an entry of a sanctions or denial list (DESIGN.md 2.1).

A ``Hit`` is what rows 4 and 6 of the decision table read. It carries the fields DESIGN.md
fixes for every hit (``list``, ``entry``, ``version``, ``name``, ``score``, ``action``,
``explanation``) and nothing about how it was found. It is the gate's one hit type: the
screening engine (``gate.core.screening``) makes them, the clearances filter them, the rules
read them and the store keeps them. The list's ``action`` decides the row: ``prohibit`` (asset
freezes, denial orders) is row 4, ``sanctioned_party``; ``licence`` (entity lists, partners'
denial notices) is row 6, ``listed_party``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gate.core.parties import Party
from gate.errors import PolicyError


class HitAction(StrEnum):
    """What a list's entries do to a shipment whose party matches one."""

    PROHIBIT = "prohibit"
    LICENCE = "licence"


@dataclass(frozen=True, slots=True)
class Hit:
    """One party matched to one list entry.

    ``entry`` is the list's own id (UN reference number, SDN ent_num, a notice's reference);
    ``version`` the entry's version as the list states it (a clearance names it); ``name`` the
    name or alias that matched; ``score`` 0 to 1. Raises ``PolicyError`` for a score outside
    [0, 1], an unknown action, or an empty list name or entry.
    """

    list: str
    entry: str
    version: str
    name: str
    score: float
    action: HitAction
    explanation: str

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "action", HitAction(self.action))
        except ValueError:
            action = self.action
            raise PolicyError(f"a hit's action is prohibit or licence, not {action!r}") from None
        if not self.list or not self.entry:
            raise PolicyError("a hit names its list and entry")
        if not 0.0 <= self.score <= 1.0:
            raise PolicyError(f"a hit's score is between 0 and 1, not {self.score}")


@dataclass(frozen=True, slots=True)
class PartyHits:
    """The hits of one party of a shipment (empty ``hits``: screened, nothing matched)."""

    party: Party
    hits: tuple[Hit, ...] = ()

    def of(self, action: HitAction) -> tuple[Hit, ...]:
        """The hits whose list has ``action``."""
        return tuple(hit for hit in self.hits if hit.action is action)

    def describe(self, action: HitAction) -> str:
        """One line per hit of ``action`` for an operator: whose, which list, how close."""
        return "; ".join(
            f"{self.party.role} {self.party.name!r}: {hit.explanation}" for hit in self.of(action)
        )
