"""A writer that stalls (the writer process stopped, the store's thread kept from its turn):
``/readyz`` fails naming the writer and the age of its oldest write, one alert says so (and
one more when writes flow again), a scan batch's request is answered 503 after the bound
instead of waiting without end, and the batch, stored once the writer resumes, answers
``duplicate`` when sent again."""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from gate.service.events import Events
from gate.web import app_keys
from tests.service.harness import READY_CHECKS, SCANNER_TOKEN, UNTIL_TIMEOUT, Gate, Gates, until
from tests.service.test_writer_process import reads, stored, writing_gate

#: The stall bound the tests give the gate (10 s in service): short, so a test is quick,
#: and far above a commit on a loaded test machine.
BOUND = 1.0


async def post_scans(g: Gate, scans: list[dict[str, str]]) -> tuple[int, Any, str | None]:
    """POSTs a scan batch; the status, the body and the ``Retry-After`` header. A request
    still unanswered after ``UNTIL_TIMEOUT`` fails the test (one waiting without end)."""

    async def send() -> tuple[int, Any, str | None]:
        headers = {"Authorization": f"Bearer {SCANNER_TOKEN}"}
        async with g.session.post(
            g.url + "/api/v1/scans", json={"scans": scans}, headers=headers
        ) as r:
            return r.status, await r.json(content_type=None), r.headers.get("Retry-After")

    return await asyncio.wait_for(send(), UNTIL_TIMEOUT)


async def ready(g: Gate) -> tuple[int, Any]:
    return await g.call("GET", "/readyz", token=None)


@asynccontextmanager
async def alerts(events: Events) -> AsyncIterator[list[dict[str, Any]]]:
    """The alerts published while the block runs, as they come."""
    seen: list[dict[str, Any]] = []
    async with events.subscribe() as sub:

        async def follow() -> None:
            while (event := await sub.queue.get()) is not None:
                if event.kind == "alert":
                    seen.append(event.data)

        task = asyncio.create_task(follow())
        try:
            yield seen
        finally:
            task.cancel()


def kinds(seen: list[dict[str, Any]]) -> list[str]:
    return [a["kind"] for a in seen if str(a.get("kind", "")).startswith("writer_")]


async def test_a_stopped_writer_process_fails_readyz_alerts_and_answers_503(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer process SIGSTOPped with a batch sent: the batch's request is answered 503
    with Retry-After after the bound, /readyz answers 503 naming the process and the age,
    one alert is raised; after SIGCONT /readyz answers 200, one alert says writes flow, the
    batch is stored once and its retry answers duplicate."""
    g, writer = await writing_gate(gates, monkeypatch)
    docks = g.app[app_keys.DOCKS]
    docks.committer.stall_bound = BOUND
    status, doc = await ready(g)
    assert (200, True) == (status, doc["checks"]["writer"]), doc
    batch = reads(demo_config, 0)
    async with alerts(g.app[app_keys.EVENTS]) as seen:
        writer.process.send_signal(signal.SIGSTOP)
        try:
            status, problem, retry = await post_scans(g, batch)
            assert (503, "5") == (status, retry), problem
            assert "may still be stored" in problem["detail"]
            status, doc = await ready(g)
            assert (503, False, "process") == (
                status,
                doc["checks"]["writer"],
                doc["writer"]["kind"],
            ), doc
            assert BOUND <= doc["writer"]["oldest_write_seconds"]
            await until(lambda: kinds(seen) == ["writer_stalled"], "the stall's alert")
            assert [(0,)] == stored(g.config.database, "SELECT count(*) FROM scans")
        finally:
            writer.process.send_signal(signal.SIGCONT)
        await until(lambda: kinds(seen) == ["writer_stalled", "writer_flowing"], "the all clear")
    status, doc = await ready(g)
    # Another write may be in flight as /readyz looks (the all clear's own record): young.
    oldest = doc["writer"]["oldest_write_seconds"]
    assert (200, True, True) == (
        status,
        doc["checks"]["writer"],
        oldest is None or oldest < BOUND,
    ), doc
    status, body, _ = await post_scans(g, batch)
    assert 200 == status, body
    assert {"duplicate"} == {result["status"] for result in body["results"]}
    assert [(5,)] == stored(g.config.database, "SELECT count(*) FROM scans")


async def test_the_stores_thread_kept_from_its_turn_fails_readyz_and_answers_503(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``GATE_WRITER=thread``, the write turn (``<database>.write``) held elsewhere
    stalls the store's thread (a flock has no timeout; SQLite's busy_timeout does not come
    into it): the batch's request is answered 503 after the bound, /readyz answers 503
    naming the thread, and once the turn is let go the batch is stored and /readyz is 200."""
    monkeypatch.setenv("GATE_WRITER", "thread")
    g = await gates.start()
    await g.create("S1", "D1")
    docks = g.app[app_keys.DOCKS]
    docks.committer.stall_bound = BOUND
    assert docks.committer.writer is None
    batch = reads(demo_config, 0)
    turn = os.open(f"{g.config.database}.write", os.O_RDWR)
    try:
        async with alerts(g.app[app_keys.EVENTS]) as seen:
            fcntl.flock(turn, fcntl.LOCK_EX)
            try:
                status, problem, retry = await post_scans(g, batch)
                assert (503, "5") == (status, retry), problem
                status, doc = await ready(g)
                assert (503, False, False, "thread") == (
                    status,
                    doc["checks"]["writer"],
                    doc["checks"]["database"],
                    doc["writer"]["kind"],
                ), doc
                await until(lambda: kinds(seen) == ["writer_stalled"], "the stall's alert")
            finally:
                fcntl.flock(turn, fcntl.LOCK_UN)
            await until(
                lambda: kinds(seen) == ["writer_stalled", "writer_flowing"], "the all clear"
            )
    finally:
        os.close(turn)
    await until(lambda: stored(g.config.database, "SELECT count(*) FROM scans") == [(5,)], "5")
    status, doc = await ready(g)
    assert (
        200,
        READY_CHECKS,
    ) == (
        status,
        doc["checks"],
    )
    status, body, _ = await post_scans(g, batch)
    assert 200 == status, body
    assert {"duplicate"} == {result["status"] for result in body["results"]}
