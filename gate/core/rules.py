"""The decision table: one line of a shipment in, clear / licence_required / prohibited out.

Rule 1: the table below is DESIGN.md section 2 (version 2), row for row, in the same order
and with the same numbers and reason codes. Read the two side by side; a change to one is a
change to the other. Anything that does not fit a row (which countries a shipment touches, what
an end use names, which parties a list matched, how old the data is, which general licence
could apply) is computed beforehand into ``Facts`` and read by the rows, so the rows stay one
line each.

Rule 2: nothing here ever answers ``clear`` by accident. ``assess`` and ``decide`` never
raise: any exception, including facts that could not be established (an unknown country code,
a naive timestamp, an unknown end-use code), gives ``licence_required`` with reason ``error``
(a line the central office denied stays ``prohibited``). A category the table does not know is
"not classified" (row 11), never "not listed".

Theory of operation
===================

Every row is evaluated; the first matching row decides, and its reason comes first in
``LineDecision.reasons``. Every other matching row that would hold the line (rows 1 to 12) is
listed after it, in table order, each code once. The extra reasons are for people, and for the
standing licences, which must not be misled by the first reason alone: a standing licence
covers only lines whose reasons are all ``cat1``/``cat2`` (see ``gate.core.licences``). A
Category II line for a party on an entity list reads ``("listed_party", "cat2")``, and a
standing licence does not release it.

Parties. Every party of the shipment counts, not only the consignee: its country for the
embargo rows (2 and 8) and the general licence (13), its screening hits for rows 4 and 6.

A general licence (row 13) is chosen per shipment and per line: among ``policy.general_licences``
in the configured order, the first whose group holds the destination and every party's country
and does not exclude the line's control; and only for a Category II line that no row 2 to 8
matched. The line's decision names it (``LineDecision.general_licence``).

Per-shipment facts are computed once by ``assess`` and shared by all lines. ``decide`` then
depends only on a few fields of the line (category, the production flag, the control code,
denied, container), so its answer is memoised per shipment facts: re-evaluating a thousand
lines of a few dozen kinds runs the table a few dozen times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from gate.core.classification import CATEGORY_I, CATEGORY_II, NOT_LISTED, Classification
from gate.core.facts import (
    EARLIEST,
    LATEST,
    ControlDates,
    Facts,
    GeneralLicence,
    Policy,
    ShipmentContext,
    assess,
    require_aware,
    require_instant,
    stale_at,
)
from gate.core.hits import HitAction

__all__ = [
    "EARLIEST",
    "LATEST",
    "ControlDates",
    "Facts",
    "GeneralLicence",
    "Policy",
    "ShipmentContext",
    "assess",
    "require_aware",
    "require_instant",
    "stale_at",
]


class Decision(StrEnum):
    """A line's decision. Ordered by severity in ``SEVERITY``."""

    CLEAR = "clear"
    LICENCE_REQUIRED = "licence_required"
    PROHIBITED = "prohibited"


SEVERITY: Mapping[Decision, int] = {
    Decision.CLEAR: 0,
    Decision.LICENCE_REQUIRED: 1,
    Decision.PROHIBITED: 2,
}

# Reason codes, as DESIGN.md spells them, plus ``error`` for fail-closed evaluation.
CAT1_PRODUCTION = "cat1_production"
EMBARGO = "embargo"
DENIED = "denied"
SANCTIONED_PARTY = "sanctioned_party"
WMD_END_USE = "wmd_end_use"
LISTED_PARTY = "listed_party"
CATCH_ALL = "catch_all"
CAT1 = "cat1"
CAT2 = "cat2"
UNCLASSIFIED = "unclassified"
STALE_DATA = "stale_data"
GENERAL_LICENCE = "general_licence"
NOT_LISTED_REASON = "not_listed"
ERROR = "error"

#: The control-list flag of row 1.
PRODUCTION = "production"

#: The categories a classification may carry; any other fails closed.
_KNOWN_CATEGORIES = frozenset({NOT_LISTED, CATEGORY_I, CATEGORY_II})


class Case:
    """One line as the rows see it: the shipment's facts plus the line's classification.

    The yes/no questions the rows ask are answered once, here, so that each row is a couple
    of attribute reads.
    """

    __slots__ = (
        "category",
        "container",
        "control",
        "denied",
        "facts",
        "general_licence",
        "listed",
        "production",
        "unclassified",
        "unlisted",
    )

    def __init__(
        self,
        facts: Facts,
        category: int | None,
        control: str,
        *,
        production: bool,
        denied: bool,
        container: bool | str,
    ) -> None:
        self.facts = facts
        self.category = category
        self.control = control
        self.production = production
        self.denied = denied
        self.container = container
        self.listed = category in (CATEGORY_I, CATEGORY_II)
        self.unlisted = category == NOT_LISTED
        self.unclassified = category not in _KNOWN_CATEGORIES or bool(container)
        self.general_licence = self._general_licence()

    def _general_licence(self) -> str | None:
        """The general licence row 13 would use, or ``None``: a Category II line, no row 2 to
        8 matching, the first licence whose group holds every country and that does not
        exclude the control."""
        if self.category != CATEGORY_II or self.container or any(r(self) for r in _ROWS_2_TO_8):
            return None
        for licence in self.facts.general_licences:
            if not licence.info.excludes(self.control):
                return licence.name
        return None


def _embargo(c: Case) -> bool:
    return bool(c.facts.embargoed)


def _wmd(c: Case) -> bool:
    return c.facts.end_use.wmd is not None


# Rows 2 to 8, as conditions (the general licence needs to know none of them matched).
_ROWS_2_TO_8: tuple[Callable[[Case], bool], ...] = (
    lambda c: c.listed and _embargo(c),
    lambda c: c.denied,
    lambda c: bool(c.facts.prohibit_hits),
    lambda c: c.category == CATEGORY_I and _wmd(c),
    lambda c: bool(c.facts.licence_hits),
    lambda c: c.facts.end_use.catch_all is not None,
    lambda c: c.unlisted and _embargo(c),
)


@dataclass(frozen=True, slots=True)
class Rule:
    """A row of the decision table."""

    number: int
    applies: Callable[[Case], bool]
    decision: Decision
    reason: str


P, L, C = Decision.PROHIBITED, Decision.LICENCE_REQUIRED, Decision.CLEAR

# DESIGN.md section 2. First match wins. Keep the numbers, the order and the reason codes.
RULES: tuple[Rule, ...] = (
    Rule(1, lambda c: c.production, P, CAT1_PRODUCTION),
    Rule(2, _ROWS_2_TO_8[0], P, EMBARGO),
    Rule(3, _ROWS_2_TO_8[1], P, DENIED),
    Rule(4, _ROWS_2_TO_8[2], P, SANCTIONED_PARTY),
    Rule(5, _ROWS_2_TO_8[3], P, WMD_END_USE),
    Rule(6, _ROWS_2_TO_8[4], L, LISTED_PARTY),
    Rule(7, _ROWS_2_TO_8[5], L, CATCH_ALL),
    Rule(8, _ROWS_2_TO_8[6], L, CATCH_ALL),
    Rule(9, lambda c: c.category == CATEGORY_I, L, CAT1),
    Rule(10, lambda c: c.category == CATEGORY_II and c.general_licence is None, L, CAT2),
    Rule(11, lambda c: c.unclassified, L, UNCLASSIFIED),
    Rule(12, lambda c: bool(c.facts.stale), L, STALE_DATA),
    Rule(13, lambda c: c.category == CATEGORY_II and c.general_licence is not None, C,
         GENERAL_LICENCE),
    Rule(14, lambda c: True, C, NOT_LISTED_REASON),
)  # fmt: skip


def _countries(pairs: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{country} ({group})" for country, group in pairs)


def _explain_unclassified(c: Case) -> str:
    if isinstance(c.container, str) and c.container:
        return c.container  # what the line says its manifest failed to confirm
    if c.container:
        return "container (SSCC) not in the shipment's manifest"
    if c.category is None:
        return "item key not in the control table"
    return f"the table gives category {c.category}, which the rules do not know"


def _explain_catch_all(c: Case) -> str:
    why = []
    end_use = c.facts.end_use
    if end_use.wmd is not None:
        why.append(f"the declared end use names {end_use.wmd!r} (WMD or missile delivery)")
    elif end_use.military is not None:
        why.append(f"the declared end use names {end_use.military!r} (military)")
    if c.unlisted and c.facts.embargoed:
        why.append(f"unlisted item to or via embargoed {_countries(c.facts.embargoed)}")
    return "catch-all: " + " and ".join(why)


def _explain_stale(c: Case) -> str:
    parts = []
    for name, age, limit in c.facts.stale:
        if age is None:
            parts.append(f"the {name} carries no date")
        elif age < 0:  # facts._ages: dated that many days ahead, a wrong date
            parts.append(f"the {name} is dated {-age} days ahead of the gate's clock")
        else:
            parts.append(f"the {name} is {age} days old (limit {limit:g})")
    return "; ".join(parts)


def _explain_hits(c: Case, action: HitAction) -> str:
    hits = c.facts.prohibit_hits if action is HitAction.PROHIBIT else c.facts.licence_hits
    return "; ".join(h.describe(action) for h in hits)


_EXPLAIN: Mapping[str, Callable[[Case], str]] = {
    CAT1_PRODUCTION: lambda c: "Category I production facility or technology",
    EMBARGO: lambda c: f"listed item, embargoed {_countries(c.facts.embargoed)}",
    DENIED: lambda c: "denied by the central office",
    SANCTIONED_PARTY: lambda c: _explain_hits(c, HitAction.PROHIBIT),
    WMD_END_USE: lambda c: f"Category I item, end use names {c.facts.end_use.wmd!r}",
    LISTED_PARTY: lambda c: _explain_hits(c, HitAction.LICENCE),
    CATCH_ALL: _explain_catch_all,
    CAT1: lambda c: "Category I item: strong presumption of denial",
    CAT2: lambda c: "Category II item, no general licence applies",
    UNCLASSIFIED: _explain_unclassified,
    STALE_DATA: _explain_stale,
    GENERAL_LICENCE: lambda c: f"Category II item under general licence {c.general_licence}",
    NOT_LISTED_REASON: lambda c: "not listed",
}


@dataclass(frozen=True, slots=True)
class LineDecision:
    """The answer for one line: decision, reasons (primary first), the deciding row.

    ``rule`` is 0 when the table was not reached (evaluation failed, reason ``error``).
    ``detail`` explains each reason for an operator; ``general_licence`` names the general
    licence row 13 used (the exporter must record it), ``None`` otherwise.
    """

    decision: Decision
    reasons: tuple[str, ...]
    rule: int
    detail: str = ""
    general_licence: str | None = None

    @property
    def reason(self) -> str:
        """The primary reason: the first matching row's."""
        return self.reasons[0]


#: Past this many kinds of line, a shipment's memo starts again (a bound, not a tuning knob).
_MEMO_LIMIT = 4096


def decide(
    facts: Facts,
    classification: Classification | None,
    *,
    denied: bool = False,
    container: bool | str = False,
) -> LineDecision:
    """Run the table over one line. Never raises and never clears on a failure.

    ``classification`` ``None`` means not in the table; ``container`` says the line is a
    scanned SSCC the manifest does not vouch for (row 11): ``True`` when it is missing from
    the manifest, or a text saying what its label said that the manifest did not confirm
    (the row's explanation); ``denied`` that the central office denied the line (row 3).
    """
    try:
        if facts.error is not None:
            raise _FactsUnavailable(facts.error)
        if classification is None:
            category: int | None = None
            control = ""
            production = False
        else:
            category = classification.category
            control = classification.control
            production = PRODUCTION in classification.flags
        key = (category, control, production, denied, container)
        memo = facts.memo
        known = memo.get(key)
        if known is not None:
            return known
        case = Case(
            facts, category, control, production=production, denied=denied, container=container
        )
        hits = [rule for rule in RULES if rule.applies(case)]
        first = hits[0]
        reasons = [first.reason]
        for rule in hits[1:]:
            if rule.decision is not C and rule.reason not in reasons:
                reasons.append(rule.reason)
        answer = LineDecision(
            first.decision,
            tuple(reasons),
            first.number,
            "; ".join([_EXPLAIN[reason](case) for reason in reasons]),
            case.general_licence if first.reason == GENERAL_LICENCE else None,
        )
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[key] = answer
        return answer
    except Exception as exc:  # fail closed, whatever went wrong
        return failed(exc, denied=denied)


class _FactsUnavailable(Exception):
    pass


def failed(exc: BaseException | str, *, denied: bool = False) -> LineDecision:
    """The fail-closed answer when a line cannot be evaluated.

    A line the office denied stays prohibited (row 3 needs no other input); any other line
    needs a licence, reason ``error``.
    """
    why = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    if denied:
        return LineDecision(P, (DENIED, ERROR), 3, f"denied by the central office; {why}")
    return LineDecision(L, (ERROR,), 0, f"could not be evaluated: {why}")


def decide_line(
    policy: Policy,
    classification: Classification | None,
    context: ShipmentContext,
    dates: ControlDates,
    now: dt.datetime,
    *,
    denied: bool = False,
) -> LineDecision:
    """``assess`` and ``decide`` in one call, for a single line."""
    return decide(assess(policy, context, dates, now), classification, denied=denied)


def worst(decisions: Iterable[Decision]) -> Decision:
    """The most severe of ``decisions``; ``clear`` for none."""
    return max(decisions, key=SEVERITY.__getitem__, default=Decision.CLEAR)
