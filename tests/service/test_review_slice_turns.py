"""A reload's swap of the table and policy, a reload's swap of the screening lists and an
operator's acknowledgement fall before or after a portal's batch decided in slices, never
between two of its slices (``gate.service.slice_turns``): a review of the slices found all
three deciding between them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gate.service.scan_path import SLICE_SCANS
from gate.web import app_keys
from tests.service.harness import Gate, Gates, gtin_with, lists_loaded
from tests.service.test_scan_slices import portal
from tests.service.test_writer_process import stored


async def _slicing(g: Gate, sid: str) -> None:
    """Waits (a loop turn at a time) until a sliced batch is deciding and has staged a slice
    of ``sid``: it is then between two of its slices."""
    docks = g.app[app_keys.DOCKS]
    while not (docks.scan_path.turns.busy() and sid in docks.state.pending_ids()):
        await asyncio.sleep(0)


def _long_batch(config: Path) -> list[dict[str, str]]:
    """200 slices of one GTIN at D1 (a second or so of deciding: a reload swaps within a
    fraction of it), then five reads of another, a line of its own decided on the data of
    the last slice's moment."""
    other = gtin_with(config, "", 1)
    last = [{**s, "code": f"]C101{other}21last{i}"} for i, s in enumerate(portal(config, 5, "z"))]
    return portal(config, SLICE_SCANS * 200, "truck") + last


async def test_a_reload_during_a_sliced_batch_swaps_the_table_before_or_after_all_of_it(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shipment to PK loading a portal's batch of unlisted goods (many slices) when PK is
    added to the arms embargo and the gate reloads: every read of the batch is decided on
    the same policy (all before the swap or all after it), never some on each."""
    # The writer process takes the batch's slices: the store's thread, free, writes the
    # reload's journal record at once, and the reload swaps while the batch is deciding.
    monkeypatch.setenv("GATE_WRITER", "process")
    g = await gates.start()
    await lists_loaded(g.app)  # else the reload waits for the lists' first load
    await g.create("S1", "D1", destination="PK", consignee={"name": "Indus Tools", "country": "PK"})
    docks = g.app[app_keys.DOCKS]
    await docks.scans(portal(demo_config, 1, "warm"), "scanner")
    countries = demo_config.parent / "countries.toml"
    text = countries.read_text()
    countries.write_text(text.replace('members = ["KP", "IR"]', 'members = ["KP", "IR", "PK"]'))
    batch = _long_batch(demo_config)
    sent = asyncio.ensure_future(docks.scans(batch, "scanner"))
    await _slicing(g, "S1")
    reloaded = await g.app[app_keys.RELOADER].reload("test")
    answers = await sent
    assert True is reloaded
    decisions = {a["decision"] for a in answers}
    assert 1 == len(decisions), decisions
    lines = {line.verdict.decision.value for line in docks.shipment("S1").lines}
    assert {"licence_required"} == lines  # re-decided on the embargo after all


async def test_an_acknowledgement_waiting_for_its_door_falls_outside_a_sliced_batch(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An acknowledgement that passed the turns while its door's hold was being written
    (its lock held), and a portal's batch of four slices begun meanwhile: the
    acknowledgement's journal record falls before or after every scan of the batch."""
    monkeypatch.setenv("GATE_WRITER", "thread")
    g = await gates.start()
    await g.create("S1", "D1")
    docks, holds = g.app[app_keys.DOCKS], g.app[app_keys.HOLDS]
    await docks.scans(portal(demo_config, 1, "warm"), "scanner")
    await holds.hold("D1", "portal")
    lock = holds._lock("D1")  # what a window's write holds while it is stored
    await lock.acquire()
    try:
        ack = asyncio.ensure_future(holds.acknowledge("D1", "ops", 1))
        while not lock._waiters:  # the acknowledgement waits for the door, past the turns
            await asyncio.sleep(0)
        sent = asyncio.ensure_future(docks.scans(portal(demo_config, SLICE_SCANS * 4, "t"), "x"))
        await _slicing(g, "S1")
    finally:
        lock.release()
    await ack
    answers = await sent
    assert {"accepted"} == {a["status"] for a in answers}
    kinds = [
        row[0]
        for row in stored(
            g.config.database,
            "SELECT kind FROM audit WHERE kind IN ('scan', 'door.hold_acknowledged')"
            " AND seq > (SELECT max(seq) FROM audit WHERE kind = 'door.held') ORDER BY seq",
        )
    ]
    at = kinds.index("door.hold_acknowledged")
    assert at in (0, len(kinds) - 1), (at, len(kinds))


async def test_a_list_reloaded_during_a_sliced_batch_dates_all_of_it_the_same(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The UN list too old (its own date) while a portal's batch of many slices loads, and a
    fresh one reloaded meanwhile: every read of the batch is decided on the same list date
    (all stale or all fresh), never the first slices held as stale data and the last not."""
    monkeypatch.setenv("GATE_WRITER", "process")
    # The UN list alone, of one entry: read again (and indexed) in a moment, not in seconds.
    config = demo_config.read_text()
    others = config.index('[[lists]]\nname = "ofac-sdn"')
    demo_config.write_text(config[:others] + config[config.index("[central]") :])
    un = demo_config.parent / "lists" / "UN_consolidated.xml"
    fresh = _one_entry(un.read_text())
    un.write_text(fresh.replace('dateGenerated="2026-02-27', 'dateGenerated="2020-02-27', 1))
    g = await gates.start()
    await lists_loaded(g.app)
    await g.create("S1", "D1")
    docks = g.app[app_keys.DOCKS]
    (warm,) = await docks.scans(portal(demo_config, 1, "warm"), "scanner")
    assert "stale_data" in warm["reasons"], warm
    un.write_text(fresh)
    batch = _long_batch(demo_config)
    sent = asyncio.ensure_future(docks.scans(batch, "scanner"))
    await _slicing(g, "S1")
    assert True is await g.app[app_keys.RELOADER].reload("test")
    answers = await sent
    stale = {"stale_data" in a["reasons"] for a in answers}
    assert 1 == len(stale), stale


def _one_entry(xml: str) -> str:
    """The UN list ``xml`` with its first individual only, and no entity."""
    start = xml.index("<INDIVIDUALS>") + len("<INDIVIDUALS>")
    first = xml.index("</INDIVIDUAL>", start) + len("</INDIVIDUAL>")
    small = xml[:first] + xml[xml.index("</INDIVIDUALS>") :]
    entities = small.index("<ENTITIES>") + len("<ENTITIES>")
    return small[:entities] + small[small.index("</ENTITIES>") :]
