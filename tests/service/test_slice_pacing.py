"""A portal's batch paced to the writer while single scans come (``gate.service.slice_turns``):
each send to the writer process carries one slice of it, so a single scan at another door
queues behind one slice, not behind the rest of the batch; with no small request about the
slices follow at once; and pacing never keeps a batch from its answer, whether the writer
stops (503 after the stall bound) or dies (503 at once)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from gate.service import slice_turns
from gate.service.scan_path import SLICE_SCANS
from gate.service.slice_turns import SliceTurns
from gate.web import app_keys
from tests.service.harness import UNTIL_TIMEOUT, Gates, until
from tests.service.test_scan_slices import portal
from tests.service.test_writer_process import stored, writing_gate
from tests.service.test_writer_stall import BOUND, post_scans

#: Loop turns a paced wait is given to end on its own (it must not).
TURNS = 20


async def turns(n: int = TURNS) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_a_slice_waits_for_the_last_to_be_taken_while_small_requests_come(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Both long (review21): a box busy elsewhere for 0.1 s between the single and the batch
    # must not make the single "long ago".
    monkeypatch.setattr(slice_turns, "PACE_SECONDS", 60.0)
    monkeypatch.setattr(slice_turns, "PACE_WAIT", 60.0)
    turns_ = SliceTurns()
    async with turns_.batch(sliced=False):
        pass  # a single scan came
    async with turns_.batch() as slices:
        taken = asyncio.get_running_loop().create_future()
        waiting = asyncio.create_task(slices.next(taken))
        await turns()
        assert not waiting.done()
        taken.set_result(None)
        await asyncio.wait_for(waiting, UNTIL_TIMEOUT)


async def test_with_no_small_request_about_the_next_slice_does_not_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(slice_turns, "PACE_WAIT", 60.0)
    turns_ = SliceTurns()
    async with turns_.batch() as slices:
        taken = asyncio.get_running_loop().create_future()
        await asyncio.wait_for(slices.next(taken), UNTIL_TIMEOUT)
        assert not taken.done()
    # A single scan long enough ago paces nothing either.
    monkeypatch.setattr(slice_turns, "PACE_SECONDS", 0.0)
    async with turns_.batch(sliced=False):
        pass
    async with turns_.batch() as slices:
        await asyncio.wait_for(slices.next(taken), UNTIL_TIMEOUT)
        assert not taken.done()


async def test_a_slice_not_taken_within_the_wait_ends_the_batchs_pacing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A last slice not taken within ``PACE_WAIT`` (a writer that stalls): the batch goes on,
    and its later slices do not wait at all (a batch of 40 slices would otherwise wait 40
    times before the commit step's stall bound could answer it)."""
    monkeypatch.setattr(slice_turns, "PACE_SECONDS", 60.0)  # the single stays recent
    monkeypatch.setattr(slice_turns, "PACE_WAIT", 0.01)
    turns_ = SliceTurns()
    async with turns_.batch(sliced=False):
        pass
    async with turns_.batch() as slices:
        never = asyncio.get_running_loop().create_future()
        await asyncio.wait_for(slices.next(never), UNTIL_TIMEOUT)
        monkeypatch.setattr(slice_turns, "PACE_WAIT", 60.0)
        following = asyncio.create_task(slices.next(never))
        await turns()
        assert following.done()
        assert not never.done()


async def test_a_paced_wait_never_goes_past_the_batchs_stall_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """review21: a batch whose stall bound has passed (here a bound of 0) does not wait for a
    slice that is not taken, however long ``PACE_WAIT`` is, and paces no later slice."""
    monkeypatch.setattr(slice_turns, "PACE_SECONDS", 60.0)
    monkeypatch.setattr(slice_turns, "PACE_WAIT", 60.0)
    turns_ = SliceTurns()
    async with turns_.batch(sliced=False):
        pass
    async with turns_.batch(bound=0.0) as slices:
        never = asyncio.get_running_loop().create_future()
        await asyncio.wait_for(slices.next(never), UNTIL_TIMEOUT)
        assert slices.started is not None
        following = asyncio.create_task(slices.next(never))
        await turns()
        assert following.done()
        assert not never.done()


async def test_while_single_scans_come_each_send_carries_one_slice_of_a_portal_batch(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A single scan at D2, then a portal batch of four slices at D1: the writer process
    commits the batch in four sends (decided at once, its last three slices went in one),
    and the batch is answered whole, in order."""
    monkeypatch.setattr(slice_turns, "PACE_SECONDS", 60.0)
    # Long (review21): a commit slower than 0.1 s on a loaded machine must not end the
    # pacing and send the last three slices together.
    monkeypatch.setattr(slice_turns, "PACE_WAIT", 60.0)
    g, writer = await writing_gate(gates, monkeypatch)
    await g.create("S2", "D2")
    docks = g.app[app_keys.DOCKS]
    await docks.scans(portal(demo_config, 1, "warm"), "scanner")
    (alone,) = await docks.scans(portal(demo_config, 1, "one", "D2"), "scanner")
    assert "accepted" == alone["status"]
    before = writer.commits
    batch = portal(demo_config, 4 * SLICE_SCANS, "truck")
    answers = await asyncio.wait_for(docks.scans(batch, "scanner"), UNTIL_TIMEOUT)
    assert [s["scan_id"] for s in batch] == [a["scan_id"] for a in answers]
    assert {"accepted"} == {a["status"] for a in answers}
    assert 4 == writer.commits - before
    rows = stored(g.config.database, "SELECT count(*) FROM scans WHERE scan_id LIKE 'truck-%'")
    assert [(4 * SLICE_SCANS,)] == rows


async def test_a_paced_batch_behind_a_stopped_writer_is_answered_503_after_the_bound(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer process stopped while a batch of four slices is paced: the batch is
    answered 503 once the stall bound passes (its pacing gives up after ``PACE_WAIT``), and
    once the writer resumes its retry answers every scan duplicate."""
    monkeypatch.setattr(slice_turns, "PACE_SECONDS", 60.0)
    g, writer = await writing_gate(gates, monkeypatch)
    docks = g.app[app_keys.DOCKS]
    docks.committer.stall_bound = BOUND
    await docks.scans(portal(demo_config, 1, "warm"), "scanner")
    batch = portal(demo_config, 4 * SLICE_SCANS, "truck")
    writer.process.send_signal(signal.SIGSTOP)
    try:
        status, problem, retry = await post_scans(g, batch)
        assert (503, "5") == (status, retry), problem
        assert "may still be stored" in problem["detail"]
    finally:
        writer.process.send_signal(signal.SIGCONT)
    await until(lambda: not writer.pending, "the stopped writer's sends to be answered")
    status, body, _ = await post_scans(g, batch)
    assert 200 == status, body
    assert {"duplicate"} == {result["status"] for result in body["results"]}
    rows = stored(g.config.database, "SELECT count(*) FROM scans WHERE scan_id LIKE 'truck-%'")
    assert [(4 * SLICE_SCANS,)] == rows


async def test_a_paced_batch_whose_writer_dies_is_answered_503_at_once(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer process killed while a batch waits for its slice to be taken (no pacing
    bound, no stall bound to end the wait): the writer's end lets the batch go on, and it is
    refused 503 naming the writer's end."""
    monkeypatch.setattr(slice_turns, "PACE_SECONDS", 60.0)
    monkeypatch.setattr(slice_turns, "PACE_WAIT", 600.0)
    g, writer = await writing_gate(gates, monkeypatch)
    docks = g.app[app_keys.DOCKS]
    docks.committer.stall_bound = 600.0
    await docks.scans(portal(demo_config, 1, "warm"), "scanner")
    writer.process.send_signal(signal.SIGSTOP)
    answer = asyncio.create_task(post_scans(g, portal(demo_config, 4 * SLICE_SCANS, "truck")))
    # The first slice is sent (unanswered), the second waits in the loop to be sent.
    await until(lambda: writer.pending >= 2, "two slices handed to the stopped writer")
    await turns()
    assert not answer.done()
    writer.process.send_signal(signal.SIGKILL)
    status, problem, _ = await answer
    assert 503 == status, problem
    assert "writer process ended" in problem["detail"]
    assert [(0,)] == stored(
        g.config.database, "SELECT count(*) FROM scans WHERE scan_id LIKE 'truck-%'"
    )


async def test_the_stall_bound_counts_a_paced_batchs_waits_between_its_slices(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """review21: the stall bound is how long a batch's caller waits for the writer, pacing
    included. Each paced wait is ``PACE_WAIT`` at most, but a batch of 40 slices waits up to 39
    times (a writer slow to commit, not stopped) before the commit step's bound began: here one
    wait longer than the bound stands for them. The writer stopped, the batch is still
    answered 503 once the bound passes."""
    monkeypatch.setattr(slice_turns, "PACE_SECONDS", 60.0)
    monkeypatch.setattr(slice_turns, "PACE_WAIT", 600.0)
    g, writer = await writing_gate(gates, monkeypatch)
    docks = g.app[app_keys.DOCKS]
    docks.committer.stall_bound = BOUND
    await docks.scans(portal(demo_config, 1, "warm"), "scanner")
    writer.process.send_signal(signal.SIGSTOP)
    try:
        status, problem, retry = await post_scans(g, portal(demo_config, 4 * SLICE_SCANS, "truck"))
        assert (503, "5") == (status, retry), problem
        assert "may still be stored" in problem["detail"]
    finally:
        writer.process.send_signal(signal.SIGCONT)
    await until(lambda: not writer.pending, "the stopped writer's sends to be answered")
