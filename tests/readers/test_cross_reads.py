"""Cross-reads and weak reads: a tag the portals of two doors both read counts at the door
that read it strongest, and reads under an antenna's ``min_rssi`` are dropped. The arbiter
as values first, then end to end with two llrpkit reader emulators feeding one gate."""

from __future__ import annotations

from pathlib import Path

import pytest
from llrpkit.emulator import EmulatedTag, LLRPEmulator

from gate.ingest.readers.crossread import CrossReads
from gate.ingest.readers.llrp import LlrpReader
from tests.conftest import free_port
from tests.readers.support import adapter, epc, lines_of, readers_doc, stored_scans
from tests.service.harness import Gate, Gates, gtin_with, until

# --- the arbiter, as values ------------------------------------------------------------------


def test_strongest_door_counts_and_the_other_drops() -> None:
    """The door with the higher peak RSSI in the window counts the tag; the other does not,
    whichever asks first."""
    cross = CrossReads(window=2.0)
    cross.seen("T", "D2", -70.0, 0.0)
    cross.seen("T", "D1", -52.0, 0.1)
    cross.seen("T", "D2", -65.0, 0.2)  # the peak at D2 is -65
    lost = cross.decide("T", "D2", 0.5)
    assert (False, "D1", -52.0, -65.0) == (
        lost.counts,
        lost.winner,
        lost.winner_rssi,
        lost.own_rssi,
    )
    assert cross.decide("T", "D1", 0.6).counts


def test_a_door_that_counted_the_tag_keeps_it_while_it_reads_it() -> None:
    """A claim stands while the claiming door goes on reading the tag, even against a
    stronger late read elsewhere; once that door has not read it for a window, it lapses."""
    cross = CrossReads(window=2.0)
    cross.seen("T", "D1", -60.0, 0.0)
    assert cross.decide("T", "D1", 0.5).counts
    cross.seen("T", "D2", -40.0, 1.0)
    cross.seen("T", "D1", -61.0, 1.5)
    assert not cross.decide("T", "D2", 1.6).counts
    cross.seen("T", "D2", -40.0, 4.0)  # D1 last read the tag at 1.5: out of the window
    assert cross.decide("T", "D2", 4.1).counts


def test_reads_without_rssi_lose_and_ties_go_to_the_lower_door() -> None:
    cross = CrossReads(window=2.0)
    cross.seen("A", "D1", None, 0.0)
    cross.seen("A", "D2", -80.0, 0.0)
    assert "D2" == cross.decide("A", "D1", 0.1).winner
    cross.seen("B", "D2", -50.0, 0.0)
    cross.seen("B", "D1", -50.0, 0.0)
    assert "D1" == cross.decide("B", "D2", 0.1).winner


def test_an_implausible_rssi_counts_as_none() -> None:
    """A peak RSSI above 0 dBm (a reader in error, or one that lies: attack20's +127) is no
    tag's: it counts as a read with no RSSI, the weakest; 0 dBm itself still counts."""
    cross = CrossReads(window=2.0)
    cross.seen("T", "D1", 127.0, 0.0)
    cross.seen("T", "D2", -70.0, 0.0)
    lost = cross.decide("T", "D1", 0.1)
    assert (False, "D2", None) == (lost.counts, lost.winner, lost.own_rssi)
    cross.seen("U", "D1", 0.0, 0.0)
    cross.seen("U", "D2", -70.0, 0.0)
    assert "D1" == cross.decide("U", "D2", 0.1).winner
    cross.seen("V", "D1", float("nan"), 0.0)
    cross.seen("V", "D2", -90.0, 0.0)
    assert "D2" == cross.decide("V", "D1", 0.1).winner


def test_a_tag_only_one_door_read_counts_there() -> None:
    cross = CrossReads(window=2.0)
    cross.seen("T", "D3", -75.0, 0.0)
    assert cross.decide("T", "D3", 0.5).counts
    cross.seen("T", "D3", -75.0, 10.0)  # long after: a fresh episode, still D3's
    assert cross.decide("T", "D3", 10.5).counts


# --- end to end -------------------------------------------------------------------------------


def portal(name: str, door: str, port: int, raw: str = "", **options: object) -> str:
    """A ``[[readers]]`` table; ``raw`` is added to its options as written."""
    opts = {"retry_initial": 0.05, "retry_max": 0.2, "dedupe_window": 5.0, **options}
    body = ", ".join([f"{k} = {v!r}" for k, v in opts.items()] + ([raw] if raw else []))
    return f"""
[[readers]]
name = "{name}"
kind = "llrp"
address = "127.0.0.1:{port}"
door = "{door}"
options = {{ {body} }}
"""


async def emulator(started: list[LLRPEmulator]) -> LLRPEmulator:
    """A reader with no tag in its field yet (the test puts them there once all are up)."""
    emu = LLRPEmulator(port=free_port(), tags=[], reads_per_sec=200.0)
    await emu.start()
    started.append(emu)
    return emu


async def two_doors(
    gates: Gates, emulators: list[LLRPEmulator]
) -> tuple[Gate, LLRPEmulator, LLRPEmulator]:
    """A gate with portal north at D1 and south at D2 (their emulators with no tag in the
    field yet), S1 open at D1 and S2 at D2, both readers connected."""
    north, south = await emulator(emulators), await emulator(emulators)
    gate = await gates.start(
        readers=portal("north", "D1", north.port) + portal("south", "D2", south.port)
    )
    await gate.create("S1", "D1")
    await gate.create("S2", "D2")
    await connected(gate, "north", "south")
    return gate, north, south


async def connected(gate: Gate, *names: str) -> None:
    async def up() -> bool:
        docs = await readers_doc(gate)
        return all(docs[n]["connected"] for n in names)

    await until(up, f"readers {names} connected")


async def test_a_cross_read_lands_at_the_stronger_door(
    demo_config: Path, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    """Two doors' portals both read two pallets' tags: each unit is counted once, at the
    door that read it strongest, and the other reader shows it as a cross-read."""
    plain = gtin_with(demo_config, "")
    gate, north, south = await two_doors(gates, emulators)
    at_d1, at_d2 = epc(plain, 1), epc(plain, 2)
    # Both tags are in both fields: one strong at D1 and weak at D2, the other the reverse.
    north.tags = [EmulatedTag(at_d1, rssi_dbm=-45.0), EmulatedTag(at_d2, rssi_dbm=-66.0)]
    south.tags = [EmulatedTag(at_d1, rssi_dbm=-66.0), EmulatedTag(at_d2, rssi_dbm=-45.0)]

    await until(lambda: _units(gate, "S1", plain, ["1"]), "unit 1 counted at D1")
    await until(lambda: _units(gate, "S2", plain, ["2"]), "unit 2 counted at D2")
    docs = await until(lambda: _cross_reads(gate), "both cross-reads in the health")
    assert ("D2", "D1") == (
        docs["north"]["last_cross_read"]["counted_at"],
        docs["south"]["last_cross_read"]["counted_at"],
    )
    assert [at_d1.hex().upper()] == [code for _, code, _ in stored_scans(gate, "north")]
    assert [at_d2.hex().upper()] == [code for _, code, _ in stored_scans(gate, "south")]
    # Still one unit each, while the tags go on being read at both doors.
    reader = adapter(gate, "south")
    assert isinstance(reader, LlrpReader)
    reads = reader.health.reads
    await until(lambda: reader.health.reads > reads + 100, "many more reads")
    assert await _units(gate, "S1", plain, ["1"]) and await _units(gate, "S2", plain, ["2"])


async def test_a_reader_reporting_an_implausible_rssi_takes_no_other_doors_tags(
    demo_config: Path, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    """The north portal reports +127 dBm for a pallet going through D2 (read at -45 there):
    the unit is counted at D2, where it passed, not taken by north's lie (attack20)."""
    plain = gtin_with(demo_config, "")
    gate, north, south = await two_doors(gates, emulators)
    at_d2 = epc(plain, 2)
    north.tags = [EmulatedTag(at_d2, rssi_dbm=127.0)]
    south.tags = [EmulatedTag(at_d2, rssi_dbm=-45.0)]

    await until(lambda: _units(gate, "S2", plain, ["2"]), "unit 2 counted at D2")
    docs = await until(lambda: _north_crossed(gate), "north's read a cross-read")
    assert "D2" == docs["north"]["last_cross_read"]["counted_at"]
    assert [] == stored_scans(gate, "north")
    assert {} == await lines_of(gate, "S1")


async def _north_crossed(gate: Gate) -> dict[str, dict[str, object]] | None:
    docs = await readers_doc(gate)
    return docs if docs["north"]["cross_reads"] > 0 else None


async def test_reads_under_min_rssi_are_dropped(
    demo_config: Path, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    """A stray weak read (under the antenna's min_rssi) never becomes a scan, and the
    reader's health counts it on its antenna; a strong one counts."""
    plain = gtin_with(demo_config, "")
    emu = await emulator(emulators)
    gate = await gates.start(readers=portal("north", "D1", emu.port, "min_rssi = { 1 = -58 }"))
    await gate.create("S1", "D1")
    await connected(gate, "north")
    emu.tags = [
        EmulatedTag(epc(plain, 1), rssi_dbm=-45.0),
        EmulatedTag(epc(plain, 2), rssi_dbm=-68.0),
    ]

    await until(lambda: _units(gate, "S1", plain, ["1"]), "the strong tag counted")
    docs = await until(lambda: _weak(gate), "weak reads counted in the health")
    assert {"1": -58.0} == docs["north"]["min_rssi"]
    assert await _units(gate, "S1", plain, ["1"])  # never the weak one
    assert 1 == len(stored_scans(gate, "north"))


async def _units(gate: Gate, shipment: str, gtin: str, serials: list[str]) -> bool:
    lines = await lines_of(gate, shipment)
    line = lines.get(gtin)
    if line is None or len(serials) != line["quantity"]:
        return False
    return serials == sorted(await gate.serials(shipment, gtin))


async def _cross_reads(gate: Gate) -> dict[str, dict[str, object]] | None:
    docs = await readers_doc(gate)
    both = docs["north"]["cross_reads"] > 0 and docs["south"]["cross_reads"] > 0
    return docs if both else None


async def _weak(gate: Gate) -> dict[str, dict[str, object]] | None:
    docs = await readers_doc(gate)
    return docs if docs["north"]["below_min_rssi"].get("1", 0) > 0 else None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("min_rssi = -65", ((0, -65.0),)),
        ("min_rssi = { 1 = -60, 2 = -70.5 }", ((1, -60.0), (2, -70.5))),
        ("min_rssi = 5", None),
        ("min_rssi = { north = -60 }", None),
        ('min_rssi = "-60"', None),
    ],
)
def test_min_rssi_option(demo_config: Path, raw: str, expected: object) -> None:
    """``min_rssi`` is one dBm value for every antenna or a table per antenna; anything else
    stops the start naming the option."""
    from gate.config.settings import load_config
    from gate.errors import ConfigError
    from tests.service.harness import add_readers

    add_readers(demo_config, portal("north", "D1", 5084, raw))
    if expected is None:
        with pytest.raises(ConfigError, match=r"readers\[0\]\.options\.min_rssi: must be a dBm"):
            load_config(demo_config)
        return
    (reader,) = load_config(demo_config).readers
    assert expected == reader.options.min_rssi  # type: ignore[union-attr]
