"""Tag reports per second through the LLRP path: reader emulator -> gate scan path, durable.

The gate runs in this process on a temporary copy of configs/ (its own SQLite file in WAL
mode with ``synchronous=FULL``, the demo table) with one ``[[readers]]`` LLRP entry. The
reader is llrpkit's emulator on loopback, genuine for the whole session (connection event,
capabilities, Impinj extensions, keepalives, ROSpec add/enable/start/stop/delete) with only
its report loop replaced: the stock loop draws one random tag per report at a set pace,
which measures the emulator, not the gate. Here every report is encoded before the clock
starts, ``PER_REPORT`` tags each (as a reader set to report every N tags sends them), and
written as fast as the socket takes them, so the clock measures the gate: LLRP framing and
decoding (llrpkit), the portal window, the scan path (decode, classify, decide) and the
commits. Each tag is reported ``REPEATS`` times, round after round, as a portal does;
every tag is a new unit (a fresh SGTIN-96 serial) of one of 30 catalogue items, and the
clock stops when the last distinct tag's scan is durable.

No DESIGN.md row names readers; the ingest target (5,000 durable scans/s in batches on two
cores) is the yardstick. ``GATE_BENCH_QUICK=1`` uses fewer tags.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from llrpkit.emulator import LLRPEmulator
from llrpkit.inventory import TagReport
from llrpkit.protocol import decode_message, messages, params

from gate.cli.simulate import sgtin96_hex
from gate.config.settings import load_config
from gate.web import app_keys
from gate.web.app import create_app
from tests.conftest import free_port

Emit = Callable[[str, str, str], None]

ROOT = Path(__file__).resolve().parents[2]
READER = "bench-portal"
PER_REPORT = 50
REPEATS = 4
ITEMS = 30
TARGET = "(ingest target: 5,000 durable scans/s in batches)"


class BurstEmulator(LLRPEmulator):
    """llrpkit's emulator whose report loop sends prepared RO_ACCESS_REPORT frames, back to
    back, once the gate has started its ROSpec."""

    def __init__(self, frames: list[bytes], **kwargs: object) -> None:
        super().__init__(tags=[], **kwargs)  # type: ignore[arg-type]
        self.frames = frames
        self.started_at: float | None = None
        self.sent_at: float | None = None

    async def _report_loop(self) -> None:
        self.started_at = time.perf_counter()
        writer = self._writer
        assert writer is not None
        async with self._send_lock:
            for frame in self.frames:
                writer.write(frame)
                await writer.drain()
        self.sent_at = time.perf_counter()
        await asyncio.Event().wait()  # the ROSpec stays active, quietly


def frames_for(epcs: list[bytes]) -> list[bytes]:
    now_us = int(time.time() * 1e6)
    frames = []
    for start in range(0, len(epcs), PER_REPORT):
        datas = [
            params.TagReportData(
                epc_parameter=params.EPC_96(epc=epc),
                antenna_id=params.AntennaID(antenna_id=1 + (i % 4)),
                peak_rssi=params.PeakRSSI(peak_rssi=-50 - (i % 20)),
                first_seen_timestamp_utc=params.FirstSeenTimestampUTC(microseconds=now_us),
                tag_seen_count=params.TagSeenCount(tag_count=1),
            )
            for i, epc in enumerate(epcs[start : start + PER_REPORT])
        ]
        frames.append(messages.RO_ACCESS_REPORT(tag_report_datas=datas).to_bytes(message_id=0))
    return frames


def prepare(folder: Path, reader_port: int) -> Path:
    target = folder / "configs"
    shutil.copytree(ROOT / "configs", target)
    path = target / "gate.toml"
    text = path.read_text()
    text = re.sub(r'(\[http\]\s*listen = )"[^"]*"', rf'\1"127.0.0.1:{free_port()}"', text)
    text = re.sub(r'(\[scanner\]\s*listen = )"[^"]*"', rf'\1"127.0.0.1:{free_port()}"', text)
    text += f"""
[[readers]]
name = "{READER}"
kind = "llrp"
address = "127.0.0.1:{reader_port}"
door = "D1"
options = {{ retry_initial = 0.05, retry_max = 0.2, dedupe_window = 60, max_pending = 1000000 }}
"""
    path.write_text(text)
    return path


def gtins(config_path: Path) -> list[str]:
    rows = (config_path.parent / "catalogue.csv").read_text().splitlines()[1:]
    return [row.split(",", 1)[0] for row in rows][:: max(1, len(rows) // ITEMS)][:ITEMS]


async def measure(tags: int, repeats: int) -> tuple[float, float, int, int]:
    """(seconds to the last durable scan, seconds to send, reports, scans stored)."""
    with tempfile.TemporaryDirectory(prefix="gate-bench-readers-") as tmp:
        port = free_port()
        config_path = prepare(Path(tmp), port)
        items = gtins(config_path)
        distinct = [bytes.fromhex(sgtin96_hex(items[n % len(items)], n)) for n in range(tags)]
        emu = BurstEmulator(frames_for(distinct * repeats), port=port)
        await emu.start()  # before the gate, so its first attempt connects
        app = create_app(load_config(config_path))
        runner = web.AppRunner(app, shutdown_timeout=1.0)
        try:
            await runner.setup()
            docks = app[app_keys.DOCKS]
            await docks.create(
                {
                    "id": "B1",
                    "door": "D1",
                    "destination": "DE",
                    "consignee": {"name": "Hansa Lagertechnik GmbH", "country": "DE"},
                },
                "bench",
            )
            health = app[app_keys.READERS][READER].health
            while health.results.get("accepted", 0) < tags:
                await asyncio.sleep(0.002)
            done = time.perf_counter()
            assert emu.started_at is not None and emu.sent_at is not None
            stored = health.results.get("accepted", 0)
            return done - emu.started_at, emu.sent_at - emu.started_at, health.reads, stored
        finally:
            await runner.cleanup()
            await emu.stop()


def decode_rate(tags: int) -> float:
    """llrpkit's decoding alone: frames to TagReports, per second."""
    frames = frames_for([bytes.fromhex(sgtin96_hex("04012345031072", n)) for n in range(tags)])
    started = time.perf_counter()
    for frame in frames:
        for data in decode_message(frame).tag_report_datas:  # type: ignore[attr-defined]
            TagReport.from_param(data)
    return tags / (time.perf_counter() - started)


def run(emit: Emit) -> None:
    tags = 2_000 if os.environ.get("GATE_BENCH_QUICK") else 10_000
    elapsed, _, reports, stored = asyncio.run(measure(tags, REPEATS))
    emit(
        f"LLRP tag reports into the gate ({tags:,} tags x {REPEATS}, {PER_REPORT}/report)",
        f"{reports / elapsed:,.0f} reports/s",
        "(a fixed reader: about 1,000 reads/s)",
    )
    emit(
        "  of which distinct tags, durable scans (portal window 60 s)",
        f"{stored / elapsed:,.0f} scans/s",
        "",
    )
    elapsed, _, reports, stored = asyncio.run(measure(tags, 1))
    emit(
        f"LLRP, every report a new tag ({tags:,} tags), durable scans",
        f"{stored / elapsed:,.0f} scans/s",
        TARGET,
    )
    emit(
        "  llrpkit decoding alone (frame -> TagReport), one core",
        f"{decode_rate(tags):,.0f} reports/s",
        "",
    )
