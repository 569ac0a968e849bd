"""LLRP end to end: llrpkit's reader emulator on loopback, speaking real LLRP frames, and the
real gate (HTTP API, SQLite, journal) reading it as a configured ``[[readers]]`` entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from llrpkit.emulator import EmulatedTag, LLRPEmulator
from llrpkit.protocol import messages

from gate.ingest.readers.llrp import LlrpReader
from tests.conftest import free_port
from tests.readers.support import (
    adapter,
    epc,
    journal,
    lines_of,
    readers_doc,
    stored_scans,
)
from tests.service.harness import Gate, Gates, gtin_with, until

READER = "portal-1"


def reader_toml(port: int, **options: object) -> str:
    opts = {"retry_initial": 0.05, "retry_max": 0.2, "dedupe_window": 5.0, **options}
    body = ", ".join(
        f"{k} = {v!r}" if not isinstance(v, bool) else f"{k} = {str(v).lower()}"
        for k, v in opts.items()
    )
    return f"""
[[readers]]
name = "{READER}"
kind = "llrp"
address = "127.0.0.1:{port}"
door = "D1"
options = {{ {body} }}
"""


@pytest.fixture
def port() -> int:
    return free_port()


async def emulate(
    emulators: list[LLRPEmulator], port: int, tags: list[EmulatedTag], rate: float = 300.0
) -> LLRPEmulator:
    emu = LLRPEmulator(port=port, tags=tags, reads_per_sec=rate)
    await emu.start()
    emulators.append(emu)
    return emu


async def gate_reading(gates: Gates, port: int, **options: object) -> Gate:
    return await gates.start(readers=reader_toml(port, **options))


async def test_tags_become_lines_of_the_doors_shipment_counted_once(
    demo_config: Path, port: int, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    """Tags an LLRP reader reports many times a second become lines of the door's open
    shipment, each unit counted once, decided and journaled like any other scan."""
    plain = gtin_with(demo_config, "")
    gyro = gtin_with(demo_config, "9.A.4")
    gate = await gate_reading(gates, port)
    await gate.create("S1", "D1")
    tags = [EmulatedTag(epc(plain, 1)), EmulatedTag(epc(plain, 2)), EmulatedTag(epc(gyro, 7))]
    await emulate(emulators, port, tags)
    reader = adapter(gate, READER)
    assert isinstance(reader, LlrpReader)

    lines = await until(
        lambda: _quantities(gate, {plain: 2, gyro: 1}), "both lines with their units"
    )
    # Each tag goes on being reported (about 100 times a second each) ...
    await until(lambda: reader.health.reads >= 150, "many more reads than tags")
    # ... and still counts once.
    assert {plain: 2, gyro: 1} == {k: v["quantity"] for k, v in (await lines_of(gate)).items()}
    assert (["1", "2"], ["7"]) == (await gate.serials("S1", plain), await gate.serials("S1", gyro))
    assert ("licence_required", ["cat2"]) == (lines[gyro]["decision"], lines[gyro]["reasons"])
    assert ("clear", ["not_listed"]) == (lines[plain]["decision"], lines[plain]["reasons"])

    stored = stored_scans(gate, READER)
    assert 3 == len(stored)
    assert {e.epc.hex().upper() for e in tags} == {code for _, code, _ in stored}
    assert ["accepted"] * 3 == [result["status"] for _, _, result in stored]
    assert all(sid.startswith(code + ".") for sid, code, _ in stored)
    scans = [d for kind, d in journal(gate, f"reader:{READER}") if kind == "scan"]
    assert 3 == len(scans)
    assert {"D1"} == {d["door"] for d in scans}

    doc = (await readers_doc(gate))[READER]
    assert (True, "connected", 3) == (doc["connected"], doc["state"], doc["scans"])
    assert doc["reads"] > doc["scans"]
    assert doc["reads_per_second"] > 0
    assert doc["last_read"] is not None
    assert 1 == doc["last_tag"]["antenna"]
    assert doc["last_tag"]["rssi_dbm"] < 0


async def _quantities(gate: Gate, expected: dict[str, int]) -> dict[str, dict[str, object]] | None:
    lines = await lines_of(gate)
    got = {k: v["quantity"] for k, v in lines.items()}
    return lines if got == expected else None


async def test_reader_dropped_and_back_is_reconnected(
    demo_config: Path, port: int, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    """When the reader goes away the gate shows it disconnected and reconnects with backoff
    once it is back, and what it reads then is counted too."""
    plain = gtin_with(demo_config, "")
    gate = await gate_reading(gates, port)
    await gate.create("S1", "D1")
    emu = await emulate(emulators, port, [EmulatedTag(epc(plain, 1))])
    await until(lambda: _quantities(gate, {plain: 1}), "the first unit")

    await emu.stop()
    gone = await until(
        lambda: _state(gate, lambda d: not d["connected"] and d["last_error"]),
        "the reader shown disconnected",
    )
    assert gone["state"] in ("disconnected", "connecting")

    emu.tags = [EmulatedTag(epc(plain, 2))]
    await emu.start()  # the same port
    back = await until(
        lambda: _state(gate, lambda d: d["connected"] and d["connects"] == 2),
        "the reader reconnected",
    )
    assert (1, None) == (back["reconnects"], back["last_error"])
    await until(lambda: _quantities(gate, {plain: 2}), "the unit read after reconnecting")


async def _state(gate: Gate, predicate: object) -> dict[str, object] | None:
    doc = (await readers_doc(gate))[READER]
    return doc if predicate(doc) else None  # type: ignore[operator]


async def test_absent_reader_is_retried_and_never_fatal(
    demo_config: Path, port: int, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    """A gate whose reader is not there starts, is ready, shows the reader disconnected with
    the reason and connects once the reader appears."""
    gate = await gate_reading(gates, port)
    status, ready = await gate.call("GET", "/readyz", token=None)
    assert 200 == status, ready
    down = await until(lambda: _state(gate, lambda d: d["failures"] >= 2), "a few failed attempts")
    assert (False, "llrp", "D1") == (down["connected"], down["kind"], down["door"])
    assert "connect" in down["last_error"]
    status, text = await gate.call("GET", "/metrics")
    assert 200 == status
    assert f'gate_reader_connected{{door="D1",kind="llrp",reader="{READER}"}} 0.0' in text
    for name in ("reads_total", "connects_total", "dropped_total", "reads_per_second"):
        assert f"gate_reader_{name}{{" in text

    await emulate(emulators, port, [])
    up = await until(lambda: _state(gate, lambda d: d["connected"]), "connected")
    assert "model 700" in up["info"]
    status, text = await gate.call("GET", "/metrics")
    assert f'gate_reader_connected{{door="D1",kind="llrp",reader="{READER}"}} 1.0' in text


async def test_keepalives_are_acknowledged_and_a_silent_reader_is_dropped(
    demo_config: Path, port: int, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    """The gate asks the reader for keepalives and acknowledges them; a reader that stops
    answering is dropped and connected again."""
    gate = await gate_reading(gates, port, keepalive=0.2, response_timeout=0.3)
    emu = await emulate(emulators, port, [])
    await until(lambda: emu.keepalive_acks >= 2, "two keepalives acknowledged")
    await until(lambda: _state(gate, lambda d: d["connected"]), "connected")
    # The liveness probe (no tags, so the gate asks after two silent periods) goes
    # unanswered once: the session ends and a new one starts.
    emu.drop_next(messages.GET_READER_CONFIG)
    again = await until(
        lambda: _state(gate, lambda d: d["connected"] and d["connects"] >= 2),
        "reconnected after an unanswered probe",
    )
    assert again["reconnects"] >= 1


async def test_reads_before_the_shipment_are_sent_again_once_it_is_open(
    demo_config: Path, port: int, emulators: list[LLRPEmulator], gates: Gates
) -> None:
    """A tag read while the door has no open shipment is refused by the gate and sent again
    (under a new scan id) while it stays in the field, so it counts once the shipment opens."""
    plain = gtin_with(demo_config, "")
    gate = await gate_reading(gates, port, rejected_retry=0.2)
    await emulate(emulators, port, [EmulatedTag(epc(plain, 1))])
    reader = adapter(gate, READER)
    await until(lambda: reader.health.results.get("rejected", 0) >= 1, "a refused read")
    await gate.create("S1", "D1")
    await until(lambda: _quantities(gate, {plain: 1}), "the unit counted")
    stored = stored_scans(gate, READER)
    assert "rejected" == stored[0][2]["status"]
    assert "door D1 has no open shipment" == stored[0][2]["error"]
    assert ["accepted"] == [r["status"] for _, _, r in stored if r["status"] != "rejected"]
    assert len({sid for sid, _, _ in stored}) == len(stored)
