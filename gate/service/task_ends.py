"""Ending background tasks at a stop, even one that swallowed its cancellation.

On Python 3.11 ``asyncio.wait_for`` can swallow a cancellation that arrives as the awaited
future completes: the task returns the result and runs on as if never cancelled. aiomqtt
waits for every acknowledgement with ``wait_for``, so the MQTT link's sending task, cancelled
as a PUBACK came, went back to waiting for the next message, and the gate's stop, awaiting
it, hung until the broker went away (the fresh-clone CI, 2026-12-01). ``cancelled`` cancels
again whatever is still running after a moment, until every task has ended.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

#: Seconds between two cancellations of a task that has not ended.
AGAIN_AFTER = 0.5


async def cancelled(tasks: Iterable[asyncio.Task[object]]) -> None:
    """Cancels ``tasks`` and returns once every one has ended, cancelling again any that
    runs on after ``AGAIN_AFTER`` seconds. Their results and errors are taken (a task that
    failed is not logged as never retrieved); raises nothing of theirs."""
    every = list(tasks)
    pending = {task for task in every if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=AGAIN_AFTER)
    for task in every:
        if not task.cancelled():
            with contextlib.suppress(BaseException):
                task.exception()
