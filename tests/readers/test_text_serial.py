"""A plain-text scanner on a serial line: a pseudo-terminal pair (os.openpty) stands in for
the scanner's serial port; the gate opens the terminal's device with pyserial-asyncio-fast."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.readers.support import adapter, lines_of, readers_doc
from tests.service.harness import Gate, Gates, gtin_with, until

TIMEOUT = 10.0


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    """(the scanner's end, the device path the gate opens)."""
    scanner, device = os.openpty()
    tty.setraw(device)  # no echo or line editing, whatever pyserial does and when
    os.set_blocking(scanner, False)
    yield scanner, os.ttyname(device)
    for fd in (scanner, device):
        with contextlib.suppress(OSError):  # a test may have closed it already
            os.close(fd)


async def read_line(fd: int, terminator: bytes = b"\r\n") -> bytes:
    """One answer line written by the gate to the scanner's end."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    data = b""
    while terminator not in data:
        assert loop.time() < deadline, f"no answer line; got {data!r}"
        try:
            data += os.read(fd, 4096)
        except BlockingIOError:
            await asyncio.sleep(0.01)
    return data


async def test_serial_scanner_lines_become_scans(
    demo_config: Path, pty_pair: tuple[int, str], gates: Gates
) -> None:
    """Codes written on the serial line, CR-terminated with "<GS>" for GS, become scans of
    the door, answered on the same line; a line that breaks shows the reader disconnected."""
    scanner, device = pty_pair
    plain = gtin_with(demo_config, "")
    gate = await gates.start(
        readers=f"""
[[readers]]
name = "d1-serial"
kind = "text-serial"
address = "{device}"
door = "D1"
options = {{ baudrate = 115200, terminator = "CR", gs_substitute = "<GS>", reply = "json" }}
""",
    )
    await gate.create("S1", "D1")
    reader = adapter(gate, "d1-serial")
    await until(lambda: reader.health.connected, "the serial port open")
    os.write(scanner, f"01{plain}21A1<GS>10B2\r".encode())
    answer = json.loads((await read_line(scanner, b"\r")).strip())
    assert ("accepted", "A1", "B2") == (
        answer["status"],
        answer["item"]["serial"],
        answer["item"]["batch"],
    )
    os.write(scanner, b"not-a-code\r")
    assert "rejected" == json.loads((await read_line(scanner, b"\r")).strip())["status"]
    assert {plain: 1} == {k: v["quantity"] for k, v in (await lines_of(gate)).items()}
    doc = (await readers_doc(gate))["d1-serial"]
    assert ("connected", "text-serial", 2) == (doc["state"], doc["kind"], doc["reads"])
    assert doc["info"].startswith("115200 baud")

    os.close(scanner)  # the scanner's end goes away: the line breaks
    gone = await until(lambda: not reader.health.connected, "the line shown broken")
    assert gone
    assert reader.health.last_error is not None


async def test_missing_serial_device_is_retried(tmp_path: Path, gates: Gates) -> None:
    """A serial device that is not there leaves the gate running and the reader shown
    disconnected, retried with backoff."""
    gate = await gates.start(
        readers=f"""
[[readers]]
name = "d2-serial"
kind = "text-serial"
address = "{tmp_path / "ttyNOPE"}"
door = "D2"
options = {{ retry_initial = 0.05, retry_max = 0.1 }}
""",
    )
    doc = await until(lambda: _failed_twice(gate), "two failed attempts to open the device")
    assert (False, "disconnected") == (doc["connected"], doc["state"])
    assert "ttyNOPE" in doc["last_error"]


async def _failed_twice(gate: Gate) -> dict[str, object] | None:
    doc = (await readers_doc(gate))["d2-serial"]
    return doc if doc["failures"] >= 2 else None
