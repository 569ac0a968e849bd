"""Defects found by attacking a running gate (the scripts are on the attacker's branch, not in
the product), each pinned by a test that failed before its fix."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from gate.core.end_use import Vocabulary
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.service.harness import OPERATOR, Gate, gtin_with, until

BUILT_IN = Vocabulary()


@pytest.mark.parametrize(
    "text",
    [
        "m\u0456ssile guidance",  # Cyrillic i
        "missil\u0435 guidance",  # Cyrillic e
        "b\u0430llistic",  # Cyrillic a
        "\u041c\u0406SS\u0406L\u0415 parts",  # a word of Cyrillic look-alikes and Latin
        "m i s s i l e guidance",  # spaced letters
        "for a m i s s i l e",  # ... after a one-letter word
        "parts for a U A V",
        "I m i s s i l e",
        "a t o m i c bomb",  # a spelt-out word inside a phrase
        "n e r v e agent",
        "m-i-s-s-i-l-e",  # other separators
        "U.A.V",
        "m\u00a0i\u00a0s\u00a0s\u00a0i\u00a0l\u00a0e",
    ],
)
def test_an_end_use_with_look_alike_letters_names_the_missile(text: str) -> None:
    """A declared end use that spells a WMD term with Cyrillic look-alike letters, or with its
    letters spaced out, is read as that term (rows 5 and 7), as party names already are:
    otherwise catch_all is dodged."""
    assert BUILT_IN.read(text).wmd is not None


def stored_hold(gate: Gate, door: str) -> tuple[int | None, int]:
    """What the database holds for ``door``: its hold's window count (None: no hold) and how
    many ``door.held`` records the journal has."""
    conn = connect_readonly(gate.config.database)
    try:
        row = conn.execute("SELECT windows FROM door_holds WHERE door = ?", (door,)).fetchone()
        records = conn.execute("SELECT count(*) FROM audit WHERE kind = 'door.held'").fetchone()
    finally:
        conn.close()
    return (None if row is None else int(row[0]), int(records[0]))


async def sealed_and_cleared(gate: Gate, demo_config: Path) -> None:
    """S1 at D1 with one unlisted item, sealed: cleared."""
    await gate.create()
    await gate.scan(gtin_with(demo_config, ""))
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, sealed["state"])


@pytest.mark.parametrize(
    "text",
    [
        "replacement seals for V-X series valves",
        "Model V X",
        "sizes S, L, V",
        "grades M, I, R, V",
        "ball bearings for a conveyor",
        "Type A/B/C bracket",
        "U.S.A. customer",
    ],
)
def test_letters_that_spell_nothing_out_are_not_read_as_a_term(text: str) -> None:
    """Single letters joined by hyphens or commas, or only two of them, are not a word spelt
    out: no VX nerve agent in a valve's model name, no MIRV in a list of grades."""
    assert BUILT_IN.read(text).wmd is None


async def test_goods_read_at_a_sealed_cleared_door_hold_it_until_checked(
    gate: Gate, demo_config: Path
) -> None:
    """A Category I production item read at a door whose shipment is sealed and cleared is
    not loaded unseen: the answer says the door is held, the shipment cannot be dispatched
    until an operator has checked the goods and acknowledged the hold (then it can)."""
    await sealed_and_cleared(gate, demo_config)
    late = await gate.scan(gtin_with(demo_config, "1.E.1"))
    assert "rejected" == late["status"]
    assert "door D1 is held until an operator has checked the goods" in late["error"]
    status, refused = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (409, 1) == (status, refused["hold"]["windows"]), refused
    assert "read after S1 was sealed" in refused["hold"]["reason"]
    holds = gate.app[app_keys.HOLDS]
    await until(lambda: holds.unwritten("D1") == 0, "the hold to be stored")
    status, _ = await gate.call(
        "POST", "/api/v1/doors/D1/acknowledge", {"windows": 1}, auth=OPERATOR
    )
    assert 200 == status
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"]), doc


async def test_a_re_read_of_a_counted_unit_after_seal_holds_nothing(
    gate: Gate, demo_config: Path
) -> None:
    """A portal re-reading a serialised unit the sealed shipment already counted (the truck
    standing in its field) is rejected as before, and neither holds the door nor stops the
    dispatch."""
    await gate.create()
    unit = f"(01){gtin_with(demo_config, '')}(21)SER-1"
    assert "accepted" == (await gate.scan(unit))["status"]
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, sealed["state"])
    again = await gate.scan(unit)
    assert ("rejected", False) == (again["status"], "held" in again["error"])
    assert gate.app[app_keys.HOLDS].held == {}
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert (200, "dispatched") == (status, doc["state"]), doc


async def test_removed_goods_put_back_after_seal_hold_the_door(
    gate: Gate, demo_config: Path
) -> None:
    """A unit the operator took off the truck (its line removed) and read again after the
    seal is goods going back on: the door is held, although that serial was counted once."""
    await gate.create()
    key = gtin_with(demo_config, "1.E.1")
    unit = f"(01){key}(21)X-1"
    assert "accepted" == (await gate.scan(unit))["status"]
    status, _ = await gate.call(
        "POST", f"/api/v1/shipments/S1/lines/{key}/remove", {}, auth=OPERATOR
    )
    assert 200 == status
    await gate.scan(gtin_with(demo_config, ""))
    status, sealed = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, sealed["state"])
    again = await gate.scan(unit)
    assert "door D1 is held" in again["error"]
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status


async def test_a_late_read_naming_another_shipment_holds_the_door_and_is_stored_first(
    gate: Gate, demo_config: Path
) -> None:
    """A read at a sealed door that names another shipment holds the door too; and the hold
    is in the database (its row and its ``door.held`` record) by the time the answer that
    says so comes back."""
    await sealed_and_cleared(gate, demo_config)
    late = await gate.scan(gtin_with(demo_config, "1.E.1"), shipment="S2")
    assert "door D1 is held" in late["error"]
    assert (1, 1) == stored_hold(gate, "D1")
    status, _ = await gate.call("POST", "/api/v1/shipments/S1/dispatch")
    assert 409 == status


async def test_a_window_written_with_its_scan_is_not_written_again_by_another_hold(
    gate: Gate, demo_config: Path
) -> None:
    """While a late read's batch is being written (the writer held), an empty read window at
    the same door is stored on its own: two windows, two ``door.held`` records, not three (the
    second review found the batch's window written twice)."""
    await sealed_and_cleared(gate, demo_config)
    store = gate.app[app_keys.DOCKS].store
    holds = gate.app[app_keys.HOLDS]
    entered, release = threading.Event(), threading.Event()

    def block(conn: object) -> None:
        entered.set()
        release.wait(10)

    blocker = asyncio.ensure_future(store.write(block))
    assert await asyncio.to_thread(entered.wait, 10)
    late = asyncio.ensure_future(gate.scan(gtin_with(demo_config, "1.E.1")))
    await until(lambda: holds.unwritten("D1") == 1, "the late read to be held")
    portal = asyncio.ensure_future(holds.hold("D1", "r9"))
    await until(lambda: holds.unwritten("D1") == 2, "the empty window to be held")
    release.set()
    await blocker
    assert "door D1 is held" in (await late)["error"]
    assert 2 == (await portal).windows
    assert (2, 2) == stored_hold(gate, "D1")
