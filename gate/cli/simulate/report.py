"""What a run reports: one line per event as the gate answered, and the counts at the end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from gate.cli.simulate.reads import shown
from gate.cli.simulate.traffic import Step


@dataclass(slots=True)
class Outcome:
    """What happened to one shipment, as the gate answered."""

    id: str
    door: str
    sealed: str | None = None  # the state seal answered: cleared, held or blocked
    final: str | None = None  # dispatched or cancelled, when the simulator closed it
    left: bool = False  # held or blocked, left standing for the operator


@dataclass(slots=True)
class Report:
    """Everything the gate answered during one run, counted."""

    scans_sent: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    #: Units the accepted scans counted into their shipments (a re-read counts none).
    units: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    busy_doors: list[str] = field(default_factory=list)
    interrupted: bool = False

    def sealed(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.sealed == state)

    def final(self, state: str) -> int:
        return sum(1 for o in self.outcomes if o.final == state)

    def summary(self, seconds: float) -> Iterator[str]:
        s = self.statuses
        others = sorted(k for k in s if k not in ("accepted", "duplicate", "rejected"))
        other = "".join(f", {s[k]} {k}" for k in others)
        rate = self.scans_sent / seconds if seconds > 0 else 0.0
        yield (
            f"summary: {self.scans_sent} scans sent in {seconds:.1f} s ({rate:.0f}/s):"
            f" {s['accepted']} accepted, {s['duplicate']} duplicate, {s['rejected']} rejected"
            + other
        )
        yield (
            f"summary: {self.units} units counted into the shipments (an accepted re-read of a"
            " serial or a pallet already counted adds none)"
        )
        yield (
            f"summary: {len(self.outcomes)} shipments: {self.sealed('cleared')} cleared,"
            f" {self.sealed('held')} held, {self.sealed('blocked')} blocked;"
            f" {self.final('dispatched')} dispatched, {self.final('cancelled')} cancelled"
        )
        left = [f"{o.id} ({o.sealed}) at {o.door}" for o in self.outcomes if o.left]
        if left:
            yield f"summary: left for the operator: {', '.join(left)}"
        if self.busy_doors:
            yield f"summary: skipped busy door(s): {', '.join(self.busy_doors)}"
        if self.interrupted:
            yield "summary: interrupted; the run's open shipments were cancelled"


class Printer:
    """One line per event: door, shipment, what happened, what the gate decided."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def line(self, door: str, shipment: str, text: str) -> None:
        print(f"{door:<4}{shipment:<20} {text}", file=self.out, flush=True)


def _decision(result: Mapping[str, Any]) -> str:
    if result.get("status") == "rejected" or result.get("error"):
        return f"error: {result.get('error')}"
    decision = result.get("decision") or "-"
    reasons = result.get("reasons") or []
    return f"{decision} ({', '.join(reasons)})" if reasons else decision


def step_line(step: Step, results: Sequence[Mapping[str, Any]]) -> str:
    statuses = Counter(str(r.get("status")) for r in results)
    if len(results) == 1:
        status = next(iter(statuses))
    else:
        status = ", ".join(f"{n} {s}" for s, n in statuses.most_common())
    answered = [r for r in results if r.get("status") == "accepted"] or list(results)
    last = answered[-1] if answered else {}
    shipment = last.get("shipment") or {}
    door = last.get("door") or {}
    times = f" x{len(step.reads)}" if len(step.reads) > 1 else ""
    where = f"{shipment.get('state') or '-'}/{door.get('signal') or '-'}"
    return (
        f"{step.what + times:<9} {shown(step.label):<51} {status:<11} {_decision(last):<28}"
        f" {where:<13} {step.goods}"
    )


def blocking_lines(doc: Mapping[str, Any]) -> list[str]:
    blocking = set(doc.get("blocking") or ())
    out = []
    for line in doc.get("lines") or ():
        if line.get("key") in blocking:
            control = line.get("control") or "unlisted"
            texts = "; ".join(line.get("reason_text") or ())
            out.append(
                f"  stops it: {line['key']} x{line.get('quantity')} {line.get('description')}"
                f" [{control}] {line.get('decision')} ({', '.join(line.get('reasons') or ())})"
                + (f": {texts}" if texts else "")
            )
    return out
