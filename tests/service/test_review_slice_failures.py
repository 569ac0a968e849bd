"""A batch whose slices' writes fail takes every slice's error: none is left for the loop to
report as "never retrieved" (a traceback per slice in the log, at the moment an operator
reads it for the storage failure itself), even when its caller went away before they
failed."""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from gate.errors import Unavailable
from gate.service.docks import Docks
from gate.service.scan_path import SLICE_SCANS
from gate.storage.writer_process import WriterProcess
from gate.web import app_keys
from tests.service.harness import Gates, until
from tests.service.test_scan_slices import portal


@contextmanager
def loop_reports() -> Iterator[list[str]]:
    """The messages the loop's exception handler is given while the block runs."""
    loop = asyncio.get_running_loop()
    reported: list[str] = []

    def report(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        reported.append(str(context.get("message")))

    loop.set_exception_handler(report)
    try:
        yield reported
    finally:
        loop.set_exception_handler(None)


async def process_gate(
    gates: Gates, monkeypatch: pytest.MonkeyPatch
) -> tuple[Docks, WriterProcess]:
    """A gate writing its scan batches in a writer process, S1 open at D1: its docks and the
    writer process."""
    monkeypatch.setenv("GATE_WRITER", "process")
    g = await gates.start()
    await g.create("S1", "D1")
    docks = g.app[app_keys.DOCKS]
    writer = docks.committer.writer
    assert writer is not None
    return docks, writer


async def test_a_refused_sliced_batch_leaves_no_slice_error_unretrieved(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer process killed while a batch of three slices is handed to it: the batch is
    refused, and once its writes have ended and been collected, the loop was asked to report
    no error that nobody took."""
    docks, writer = await process_gate(gates, monkeypatch)
    with loop_reports() as reported:
        writer.process.send_signal(signal.SIGSTOP)
        sent = asyncio.ensure_future(docks.scans(portal(demo_config, SLICE_SCANS * 3, "k"), "x"))
        await until(lambda: writer.pending >= 1, "a slice handed over")
        writer.process.send_signal(signal.SIGKILL)
        await asyncio.wait([sent])
        assert isinstance(sent.exception(), Unavailable)
        del sent  # its traceback holds the batch's frame, and the frame its slices' writes
        await until(lambda: docks.committer.oldest_write() is None, "every write ended")
        gc.collect()
        await asyncio.sleep(0)  # the reports of futures collected are made on the loop
    assert [] == [m for m in reported if "never retrieved" in m]


async def test_a_sliced_batch_whose_caller_went_away_leaves_no_slice_error_unretrieved(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The caller of a batch of three slices cancelled while the stopped writer process holds
    them (a client that hung up), then the process killed: each slice's error is taken, and
    the loop was asked to report none that nobody took."""
    docks, writer = await process_gate(gates, monkeypatch)
    with loop_reports() as reported:
        writer.process.send_signal(signal.SIGSTOP)
        sent = asyncio.ensure_future(docks.scans(portal(demo_config, SLICE_SCANS * 3, "k"), "x"))
        await until(lambda: writer.pending == 3, "every slice handed over")
        sent.cancel()
        await asyncio.wait([sent])
        assert sent.cancelled()
        del sent
        writer.process.send_signal(signal.SIGKILL)
        await until(lambda: docks.committer.oldest_write() is None, "every write ended")
        await until(lambda: not docks.committer._running, "every write's task ended")
        gc.collect()
        await asyncio.sleep(0)  # the reports of futures collected are made on the loop
    assert [] == [m for m in reported if "never retrieved" in m]
