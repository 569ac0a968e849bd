"""``gate.service.task_ends.cancelled``: a stop ends every background task, even one that
swallowed its cancellation (Python 3.11's ``asyncio.wait_for`` does, as the awaited future
completes: the MQTT link's sending task ran on and the gate's stop hung in the fresh-clone
CI until the broker went away)."""

from __future__ import annotations

import asyncio

import pytest

from gate.service import task_ends
from gate.service.task_ends import cancelled


async def test_a_task_that_swallows_its_cancellation_is_cancelled_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The task catches its first CancelledError and waits again for an event that never
    comes (what wait_for's swallowed cancellation leaves): ``cancelled`` cancels it again and
    returns once it has ended; a plain cancel-and-await would wait for ever."""
    monkeypatch.setattr(task_ends, "AGAIN_AFTER", 0.01)
    never = asyncio.Event()
    swallowed = []

    async def stubborn() -> None:
        try:
            await never.wait()
        except asyncio.CancelledError:
            swallowed.append(True)  # runs on, as after wait_for swallowed it
        await never.wait()

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=0.05)
    assert not done and [True] == swallowed  # one cancel is not enough
    await asyncio.wait_for(cancelled([task]), 5)
    assert task.cancelled()


async def test_failed_and_finished_tasks_are_taken_quietly() -> None:
    """A task that already failed, one that finished and one still running: ``cancelled``
    ends the running one and raises nothing of the failed one's."""

    async def fails() -> None:
        raise RuntimeError("broke")

    async def runs() -> None:
        await asyncio.Event().wait()

    failed, finished = asyncio.create_task(fails()), asyncio.create_task(asyncio.sleep(0))
    running = asyncio.create_task(runs())
    await asyncio.sleep(0.01)
    await asyncio.wait_for(cancelled([failed, finished, running]), 5)
    assert (failed.done(), finished.done(), running.cancelled()) == (True, True, True)
