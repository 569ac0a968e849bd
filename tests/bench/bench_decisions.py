"""The pure decision core: rule-table decisions and scan counting, per second, one core.

No DESIGN.md row names these directly; the targets below are budgets derived from the
ingest target (5,000 durable scans/s on 2 cores): the core should take a small slice of the
time a scan has, leaving the rest to decoding, the table lookup and the SQLite commit.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable

from gate.core import shipments as sh
from gate.core.classification import Classification
from gate.core.countries import CountryGroups
from gate.core.identifiers import Identifier
from gate.core.rules import ControlDates, Policy, ShipmentContext, assess, decide
from gate.service.serial_ledger import SerialLedger

Emit = Callable[[str, str, str], None]

NOW = dt.datetime(2025, 6, 2, 9, 30, tzinfo=dt.UTC)
DATES = ControlDates(NOW - dt.timedelta(days=3))
GROUPS = CountryGroups.from_mapping(
    {"embargoed": ["KP", "IR", "SY"], "mtcr_partners": ["DE", "FR", "GB", "US", "JP"]}
)
POLICY = Policy(GROUPS, embargo_groups=("embargoed",), general_licences=("mtcr_partners",))


def catalogue(n: int, seed: int) -> dict[str, Classification]:
    """n items: 80 % unlisted, 15 % Category II, 4 % Category I, 1 % production."""
    rng = random.Random(seed)
    table = {}
    for i in range(n):
        key = f"{4012345000000 + i:014d}"
        roll = rng.random()
        if roll < 0.80:
            table[key] = Classification(key, "bolt", "", 0, "", frozenset())
        elif roll < 0.95:
            table[key] = Classification(key, "gyro", "9.A.3", 2, "nav", frozenset())
        elif roll < 0.99:
            table[key] = Classification(key, "motor", "2.A.1.c", 1, "motor", frozenset())
        else:
            table[key] = Classification(key, "jig", "1.B.1", 1, "prod", frozenset({"production"}))
    return table


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} /s"


def run(emit: Emit) -> None:
    table = catalogue(2000, seed=1)
    items: list[Classification | None] = [*table.values(), None, None]
    rng = random.Random(2)
    mix = [rng.choice(items) for _ in range(200_000)]
    contexts = [
        ShipmentContext("DE", "Acme Avionik GmbH", "DE"),
        ShipmentContext("AE", "Gulf Avionics LLC", "AE", ("OM",), "civil aviation"),
        ShipmentContext("AE", "Rocket Dynamic Trading", "AE"),
    ]

    for context in contexts:
        facts = assess(POLICY, context, DATES, NOW)
        started = time.perf_counter()
        for classification in mix:
            decide(facts, classification)
        elapsed = time.perf_counter() - started
        emit(
            f"rule table, mixed lines, to {context.destination} ({context.consignee_name})",
            rate(len(mix), elapsed),
            ">= 100,000 /s (a 1,000-line re-evaluation in 10 ms)",
        )
    # The same lines with the per-shipment memo emptied before each: every row evaluated.
    facts = assess(POLICY, contexts[1], DATES, NOW)
    cold = mix[:20_000]
    started = time.perf_counter()
    for classification in cold:
        facts.memo.clear()
        decide(facts, classification)
    emit(
        "rule table, every row evaluated (no memo), to AE",
        rate(len(cold), time.perf_counter() - started),
        ">= 25,000 /s (the table alone, before the memo)",
    )

    rounds = 20
    started = time.perf_counter()
    for _ in range(rounds):
        assess(POLICY, contexts[1], DATES, NOW)
    emit(
        "assess a shipment (groups, end use, ages; list screening: bench_screening)",
        f"{(time.perf_counter() - started) / rounds * 1e3:.2f} ms",
        "once per shipment and policy change",
    )

    keys = list(table)[:40]
    scans = []
    for n in range(20_000):
        key = rng.choice(keys)
        # A portal re-reads tags: one read in four repeats a serial already seen.
        serial = f"S{rng.randrange(n // 4 + 1)}" if rng.random() < 0.25 else f"S{n}"
        scans.append((Identifier("epc", "x", key=key, serial=serial), table[key]))
    controls = sh.Controls(POLICY, table.get, DATES)
    shipment = sh.new_shipment(
        shipment_id="B-1",
        door="D1",
        destination="AE",
        consignee=sh.Consignee("Gulf Avionics LLC", "AE"),
        now=NOW,
    )
    # The service's serial ledger, as the scan path keeps it (a set per shipment).
    ledger = SerialLedger()
    ledger.install(shipment.id, ())
    book = ledger.book(shipment.id)
    started = time.perf_counter()
    for identifier, classification in scans:
        t = sh.add_scan(shipment, identifier, classification, controls, NOW, book=book)
        ledger.add(shipment.id, t.serials)
        shipment = t.shipment
    elapsed = time.perf_counter() - started
    emit(
        f"add_scan, serialised, {len(shipment.lines)} lines, {len(scans):,} scans",
        rate(len(scans), elapsed),
        ">= 50,000 /s (5x the 10,000 scans/s ingest target)",
    )

    rounds = 50
    started = time.perf_counter()
    for _ in range(rounds):
        sh.reevaluate(shipment, controls, NOW)
    per = (time.perf_counter() - started) / rounds
    emit(
        f"reevaluate a {len(shipment.lines)}-line, {sum(x.quantity for x in shipment.lines):,}-unit"
        " shipment",
        f"{per * 1e3:.2f} ms",
        "< 10 ms",
    )
