"""Attack20: a reader's clock could make its reads uncountable.

Each LLRP tag report carries the reader's first-seen time, which became the scan's ``ts``.
The gate takes times from 1970 to the year 9000 (``gate.core.facts``); a reader whose clock
said 9258 (LLRP's microseconds are 64 bits: any year up to 586,912 can be said) had every
scan rejected for its ``ts``, which is no door's refusal, so it was never sent again: the
tags were read and never counted, while the reader showed connected and reading. The time
is the reader's only, used for nothing the gate decides; now a time the gate cannot hold is
left out and the scan counts.
"""

from __future__ import annotations

from pathlib import Path

from llrpkit.emulator import EmulatedTag, LLRPEmulator

from tests.conftest import free_port
from tests.readers.support import epc, lines_of, stored_scans
from tests.readers.test_llrp import READER, reader_toml
from tests.service.harness import Gate, Gates, gtin_with, until

#: 9258-03-28 in microseconds since 1970: past the gate's last year, before Python's.
FAR_AHEAD_US = 230_000_000_000_000_000


class FarAheadReader(LLRPEmulator):
    """A reader whose clock says the year 9258."""

    @staticmethod
    def _now_us() -> int:
        return FAR_AHEAD_US


async def test_a_tag_read_by_a_reader_with_a_clock_far_ahead_counts(
    demo_config: Path, gates: Gates
) -> None:
    """A tag read by a reader whose clock is 7,000 years ahead counts once in the door's
    shipment; its scan is stored with no ``ts`` of the reader's."""
    port = free_port()
    gate = await gates.start(readers=reader_toml(port))
    await gate.create("S1", "D1")
    plain = gtin_with(demo_config, "")
    emu = FarAheadReader(port=port, tags=[EmulatedTag(epc(plain, 1))], reads_per_sec=50)
    await emu.start()
    try:
        await until(lambda: _counted(gate, plain), "the tag counted")
        assert ["accepted"] == [r["status"] for _, _, r in stored_scans(gate, READER)]
    finally:
        await emu.stop()


async def _counted(gate: Gate, key: str) -> bool:
    line = (await lines_of(gate)).get(key)
    return line is not None and 1 == line["quantity"]
