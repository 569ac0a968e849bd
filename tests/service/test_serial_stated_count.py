"""A serialised label counts at the most units any read of it stated: read first saying 1 and
again saying 50 (AI 30 or AI 37), its line holds 50 and the second answer counts 49, in
either order, so a standing licence for 1 never covers it. The units each serial counted at
are stored with it (over a restart), taken back to what they were when a write fails, and a
read after the seal stating more is goods the shipment does not count (the door is held)."""

from __future__ import annotations

import gc
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from gate.core.shipment_values import SerialRead
from gate.errors import InvalidShipment, StaleDecision
from gate.service.serial_ledger import SerialLedger
from tests.central.test_central_link import callback, licence_body, office_key
from tests.service.harness import Gate, Gates, gtin_with
from tests.service.test_label_count import BATTERY
from tests.service.test_late_prohibited import door_hold
from tests.service.test_serials import docks_of, failing_change


async def licensed_for_one(gate: Gate, demo_config: Path) -> None:
    """A standing licence from the office for 1 unit of the battery's control."""
    body = {**licence_body(1), "controls": [BATTERY]}
    status, answer = await callback(gate, "/api/v1/licences", body, key=office_key(demo_config))
    assert 200 == status, answer


def stored_units(gate: Gate, sid: str) -> list[tuple[str, int]]:
    """Each stored serial of ``sid`` with the units it is stored at, by serial."""
    conn = sqlite3.connect(gate.config.database)
    try:
        rows = conn.execute(
            "SELECT serial, units FROM serials WHERE shipment = ? ORDER BY serial", (sid,)
        ).fetchall()
    finally:
        conn.close()
    return [(str(serial), int(units)) for serial, units in rows]


def counts(answers: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Each answer's ``counted`` and its line's quantity."""
    return [(a["counted"], a["line"]["quantity"]) for a in answers]


async def test_a_reread_stating_more_counts_the_difference_and_no_licence_for_one_covers_it(
    gate: Gate, demo_config: Path
) -> None:
    """S1 read bare (1 unit), then with (30)50: the line holds 50, the second answer counts
    49, the serial's row stores 50, and a standing licence for 1 leaves the shipment held
    (its dispatch refused)."""
    await licensed_for_one(gate, demo_config)
    await gate.create()
    unit = gtin_with(demo_config, BATTERY)
    first = await gate.scan(f"(01){unit}(21)S1")
    more = await gate.scan(f"(01){unit}(21)S1(30)50")
    assert [(1, 1), (49, 50)] == counts([first, more])
    assert [("S1", 50)] == stored_units(gate, "S1")
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held", 50) == (status, doc["state"], doc["lines"][0]["quantity"])
    status, problem = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status, problem


async def test_either_order_of_the_reads_counts_the_larger_claim(
    gate: Gate, demo_config: Path
) -> None:
    """The bare read then the one saying 50 (at D1), and the other way round (at D2): both
    lines hold 50."""
    unit = gtin_with(demo_config, BATTERY)
    await gate.create("S1", "D1")
    await gate.create("S2", "D2")
    bare, fifty = f"(01){unit}(21)S1", f"(01){unit}(21)S1(30)50"
    up = [await gate.scan(bare, "D1"), await gate.scan(fifty, "D1")]
    down = [await gate.scan(fifty, "D2"), await gate.scan(bare, "D2")]
    assert [[(1, 1), (49, 50)], [(50, 50), (0, 50)]] == [counts(up), counts(down)]


async def test_a_reread_stating_the_same_or_fewer_adds_nothing(
    gate: Gate, demo_config: Path
) -> None:
    """Reads of S1 saying 10, 10, 3, nothing, 12 and 12 count 10, 0, 0, 0, 2 and 0: only a
    claim larger than every earlier one adds, and only what it adds."""
    await gate.create()
    unit = gtin_with(demo_config, BATTERY)
    codes = [f"(01){unit}(21)S1{count}" for count in ("(37)10", "(37)10", "(37)3", "")]
    codes += [f"(01){unit}(21)S1(37)12"] * 2
    answers = [await gate.scan(code) for code in codes]
    assert [(10, 10), (0, 10), (0, 10), (0, 10), (2, 12), (0, 12)] == counts(answers)
    assert [("S1", 12)] == stored_units(gate, "S1")


async def test_the_units_a_serial_counted_at_survive_a_restart(
    gates: Gates, demo_config: Path
) -> None:
    """After a restart (which loads the serials lazily from the database), a re-read of a
    serial counted at 10 adds nothing saying 10 and only 2 saying 12."""
    unit = gtin_with(demo_config, BATTERY)
    gate = await gates.start()
    await gate.create()
    assert [(10, 10)] == counts([await gate.scan(f"(01){unit}(21)S1(37)10")])
    await gates.stop(gate)
    gate = await gates.start()
    assert 0 == docks_of(gate).scan_path.ledger.loaded()
    same = await gate.scan(f"(01){unit}(21)S1(37)10", scan_id="after-1")
    more = await gate.scan(f"(01){unit}(21)S1(37)12", scan_id="after-2")
    assert [(0, 10), (2, 12)] == counts([same, more])
    assert [("S1", 12)] == stored_units(gate, "S1")


def read(code: str, n: str) -> dict[str, str]:
    """A read at D1 of ``code``, under scan id ``n``."""
    return {"scan_id": n, "reader": "r1", "door": "D1", "code": code}


async def test_a_raise_whose_write_failed_leaves_the_serial_at_its_old_units(
    gate: Gate, demo_config: Path
) -> None:
    """A re-read saying 50 of a serial counted at 10, decided on top of a change whose write
    then fails, is refused with it and the ledger holds the serial at 10 again: read once
    more, it counts 40 (not 50, as a new serial would, nor 0)."""
    unit = gtin_with(demo_config, BATTERY)
    docks = docks_of(gate)
    consignee = {"name": "Acme Precision GmbH", "country": "DE"}
    await docks.create(
        {"id": "S1", "door": "D1", "destination": "DE", "consignee": consignee}, "wms"
    )
    (first,) = await docks.scans([read(f"(01){unit}(21)S1(37)10", "a")], "scanner-door-1")
    assert 10 == first["counted"]
    shipment = docks.state.latest("S1")
    assert shipment is not None
    doomed = await failing_change(docks, shipment)
    fifty = f"(01){unit}(21)S1(37)50"
    with pytest.raises(StaleDecision):
        await docks.scans([read(fifty, "b")], "scanner-door-1")
    with pytest.raises(InvalidShipment):
        await doomed
    assert 10 == docks.scan_path.ledger.book("S1").stated(unit, 0, "S1")
    (again,) = await docks.scans([read(fifty, "c")], "scanner-door-1")
    assert ("accepted", 40, 50) == (again["status"], again["counted"], again["line"]["quantity"])
    assert [("S1", 50)] == stored_units(gate, "S1")


async def test_a_read_after_the_seal_stating_more_holds_the_door(
    gate: Gate, demo_config: Path
) -> None:
    """After the seal, a re-read of S1 saying what it was counted at adds nothing and holds
    nothing; one saying more is goods the shipment did not count: the door is held."""
    await gate.create()
    plain = gtin_with(demo_config, "")
    await gate.scan(f"(01){plain}(21)S1(37)2")
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"])
    same = await gate.scan(f"(01){plain}(21)S1(37)2")
    assert ("rejected", None) == (same["status"], await door_hold(gate))
    more = await gate.scan(f"(01){plain}(21)S1(37)5")
    assert "door D1 is held until an operator has checked the goods" in more["error"]
    assert "S1 was sealed" in (await door_hold(gate))["reason"]


def test_the_ledger_takes_failed_raises_back_in_either_order() -> None:
    """A serial counted first (at 1) and raised to 10, then to 50, by three reads whose
    writes all fail goes out of the ledger whichever order they are taken back in; when only
    the raise to 50 fails, it goes back to 10."""
    new = SerialRead("K", 0, "S1", 1, 0)
    ten = SerialRead("K", 0, "S1", 10, 1)
    fifty = SerialRead("K", 0, "S1", 50, 10)
    outcomes = []
    for order in ([new, ten, fifty], [fifty, ten, new], [ten, new, fifty]):
        ledger = SerialLedger()
        ledger.install("S", [])
        for r in (new, ten, fifty):
            ledger.add("S", [r])
        for r in order:
            ledger.drop("S", [r])
        outcomes.append(ledger.book("S").stated("K", 0, "S1"))
    ledger = SerialLedger()
    ledger.install("S", [("K", 0, "S1", 10)])
    ledger.add("S", [fifty])
    ledger.drop("S", [fifty])
    outcomes.append(ledger.book("S").stated("K", 0, "S1"))
    assert [0, 0, 0, 10] == outcomes


def test_the_ledger_costs_the_collector_nothing_per_serial() -> None:
    """A truck's serials are strings counted in ints: nothing CPython's cyclic collector
    tracks, so a collection of every generation walks the same few objects of the ledger at
    100 serials as at 20,000 (keyed by tuples, the ledger was one tracked dict whose every
    key a full collection visited, tracked again by the next scan's new key)."""

    def walked(ledger: SerialLedger) -> int:
        """References the collector follows from the ledger's tracked objects."""
        seen, todo, total = set(), [ledger.__dict__], 0
        while todo:
            obj = todo.pop()
            if id(obj) in seen or not gc.is_tracked(obj):
                continue
            seen.add(id(obj))
            referents = gc.get_referents(obj)
            total += len(referents)
            todo.extend(referents)
        return total

    counts = []
    for serials in (100, 20_000):
        ledger = SerialLedger()
        ledger.install("S", [("K", 0, f"old{n}", 1) for n in range(serials // 2)])
        reads = [SerialRead(key, 1, f"new{n}") for n in range(serials // 4) for key in "AB"]
        ledger.add("S", reads)
        ledger.drop("S", reads[:10])
        gc.collect()  # what a collection can untrack is untracked; then one more scan's serial
        ledger.add("S", [SerialRead("A", 1, "one more")])
        assert serials // 2 == sum(
            ledger.book("S").stated("K", 0, f"old{n}") for n in range(serials)
        )
        counts.append(walked(ledger))
    assert counts[0] == counts[1] < 20
