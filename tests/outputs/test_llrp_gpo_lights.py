"""Door stack lights on an LLRP reader's GPO ports: llrpkit's reader emulator on loopback,
written over the gate's own reader session (SET_READER_CONFIG GPOWriteData) and read back
with GET_READER_CONFIG."""

from __future__ import annotations

from pathlib import Path

import llrpkit
from llrpkit.emulator import LLRPEmulator

from gate.ingest.readers.llrp import LlrpReader
from tests.conftest import free_port
from tests.outputs.support import wire
from tests.readers.support import adapter
from tests.readers.test_llrp import READER, reader_toml
from tests.service.harness import Gate, Gates, gtin_with, until

GPO = {"red": 1, "amber": 2, "green": 3, "buzzer": 4}


async def gpos(gate: Gate) -> dict[str, bool] | None:
    """The door's lamps as the reader's GPO ports hold them (None: no session yet)."""
    reader = adapter(gate, READER)
    assert isinstance(reader, LlrpReader)
    if reader.session is None:
        return None
    state = await reader.session.get_gpio()
    return {lamp: state.gpos[port] for lamp, port in GPO.items()}


async def test_gpo_ports_follow_the_door_and_stop_red(demo_config: Path, gates: Gates) -> None:
    """An idle door is amber on the reader's GPOs, a prohibited scan turns red (and buzzer)
    on and green off; when the reader drops and comes back, the ports are written again; a
    stopped gate leaves red on and the rest off (read back by another LLRP client)."""
    port = free_port()
    emu = LLRPEmulator(port=port, tags=[])
    await emu.start()
    try:
        lamps = "\n".join(f"{k} = {v}" for k, v in GPO.items())
        wire(
            demo_config,
            "D1",
            f'[[doors.outputs]]\nkind = "llrp-gpo"\nreader = "{READER}"\n{lamps}\n'
            "reassert_seconds = 0.2\nretry_initial = 0.05\nretry_max = 0.2",
        )
        gate = await gates.start(readers=reader_toml(port))
        amber = {"red": False, "amber": True, "green": False, "buzzer": False}
        red = {"red": True, "amber": False, "green": False, "buzzer": True}
        await until(lambda: _is(gate, amber), "amber on the GPOs")
        await gate.create("S1", "D1")
        await gate.scan(gtin_with(demo_config, "1.E.1"))
        await until(lambda: _is(gate, red), "red on the GPOs")

        await emu.stop()  # a reader that restarts comes back with its GPOs off
        emu = LLRPEmulator(port=port, tags=[])
        await emu.start()
        await until(lambda: _is(gate, red), "red again once the reader is back")
        await gates.stop_all()
        async with llrpkit.Reader("127.0.0.1", port) as other:
            state = await other.get_gpio()
        assert {"red": True, "amber": False, "green": False, "buzzer": False} == {
            lamp: state.gpos[n] for lamp, n in GPO.items()
        }
    finally:
        await gates.stop_all()
        await emu.stop()


async def _is(gate: Gate, expected: dict[str, bool]) -> bool:
    try:
        return expected == await gpos(gate)
    except Exception:
        return False  # the session went away under the question
