"""Attack20: an LLRP reader's own text forged the gate's log.

A reader answers each request with an ``LLRPStatus`` whose error description is its own
UTF-8 text, up to 64 KiB, and tells its firmware version the same way. The gate logged a
failed session's error as it came, at each attempt: a description holding line feeds wrote
whole log lines of the reader's making (``2026-12-01T07:00:00.000Z INFO gate: ...``, the
gate's own format), its escapes (``ESC [2J``, the C1 CSI U+009B) reached the terminal that
follows the log, and its 64 KiB went to the log at each retry; the firmware version,
quoted, went whole into the reader's ``info`` and the connect's log line.

The same error was the reader's ``last_error`` on ``GET /api/v1/readers`` (JSON written with
UTF-8, not ``\\u`` escapes: the CSI and the override reached ``curl`` in a terminal raw).

Now each log record is one line, with line breaks, control characters and bidirectional or
invisible marks written as ``\\uXXXX`` (``gate.cli.main.OneLineFormatter``), an error's text
is cut at ``MAX_ERROR_TEXT`` characters and escaped the same way, and the firmware is cut at
``MAX_FIRMWARE``. Held: the hostile reader's sessions fail and are retried; another reader
of the gate reads on.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from llrpkit.emulator import EmulatedTag, LLRPEmulator
from llrpkit.protocol import params

from gate.cli.main import log_formatter
from gate.ingest.readers.base import MAX_ERROR_TEXT
from gate.ingest.readers.llrp import MAX_FIRMWARE
from tests.conftest import free_port
from tests.readers.support import epc, lines_of, readers_doc
from tests.service.harness import Gates, gtin_with, until

FORGED = "\n2026-12-01T07:00:00.000Z INFO gate.service: door D1 hold acknowledged by ops"
HOSTILE = f"ok{FORGED} \x1b[2J \u009b2J \u202eevil"
RAW = ("\n", "\x1b", "\u009b", "\u202e")


class HostileReader(LLRPEmulator):
    """A reader whose every answer is an error with the hostile text, 500 times over."""

    failing = False

    def _status_ok(self) -> params.LLRPStatus:  # type: ignore[override]
        if self.failing:
            return params.LLRPStatus(status_code=101, error_description=HOSTILE * 500)
        return params.LLRPStatus(status_code=0, error_description="")


def two_readers(hostile: int, plain: int) -> str:
    return "".join(
        f"""
[[readers]]
name = "{name}"
kind = "llrp"
address = "127.0.0.1:{port}"
door = "{door}"
options = {{ retry_initial = 0.05, retry_max = 0.2, dedupe_window = 5.0 }}
"""
        for name, port, door in (("hostile", hostile, "D1"), ("plain", plain, "D2"))
    )


async def test_a_readers_error_text_is_one_bounded_log_line(
    demo_config: Path,
    gates: Gates,
    emulators: list[LLRPEmulator],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A reader whose firmware and error texts hold line feeds, escapes and an override, 60
    KiB long, leaves one escaped log line of bounded length per record; the API shows the
    firmware and the error cut short; the other reader's tags count all the while."""
    caplog.set_level(logging.INFO)
    hostile_port, plain_port = free_port(), free_port()
    hostile = HostileReader(port=hostile_port, tags=[], firmware=HOSTILE * 600)
    await hostile.start()
    emulators.append(hostile)
    gate = await gates.start(readers=two_readers(hostile_port, plain_port))
    await until(lambda: _reader(gate, "hostile", "connected"), "the hostile reader connected")
    info = (await readers_doc(gate))["hostile"]["info"]
    assert len(info) < MAX_FIRMWARE * 4 + 100, len(info)

    hostile.failing = True
    await hostile.stop()
    await hostile.start()  # its next session fails at the first request, again and again
    await until(lambda: _reader(gate, "hostile", "failures", 2), "failed sessions")
    error = (await readers_doc(gate))["hostile"]["last_error"]
    assert "status 101" in error and len(error) < 2 * MAX_ERROR_TEXT, error
    assert [] == [c for c in RAW if c in error]  # as the API has it: ``curl`` in a terminal

    await gate.create("S2", "D2")
    plain = gtin_with(demo_config, "")
    emulators.append(
        emu := LLRPEmulator(port=plain_port, tags=[EmulatedTag(epc(plain, 1))], reads_per_sec=50)
    )
    await emu.start()
    await until(lambda: _counted(gate, plain), "the plain reader's tag counted")

    formatter = log_formatter()
    shown = [formatter.format(r) for r in caplog.records if "hostile" in r.getMessage()]
    assert any("status 101" in line for line in shown)
    assert [] == [c for c in RAW if any(c in line for line in shown)]
    assert max(len(line) for line in shown) < 2 * MAX_ERROR_TEXT + 4 * MAX_FIRMWARE + 300


async def _reader(gate: object, name: str, key: str, at_least: int = 1) -> bool:
    doc = (await readers_doc(gate))[name]  # type: ignore[arg-type]
    return bool(doc[key]) and int(doc[key]) >= at_least


async def _counted(gate: object, key: str) -> bool:
    line = (await lines_of(gate, "S2")).get(key)  # type: ignore[arg-type]
    return line is not None and 1 == line["quantity"]
