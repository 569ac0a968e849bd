"""The requests the store's writer thread takes, and how each answer reaches the loop that
awaits it (``gate.storage.store`` explains the thread; this is its small vocabulary)."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import sqlite3
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class StoreStats:
    """Counters of the writer thread, for metrics and tests. Written only by that thread.

    ``writes`` counts write requests that committed, ``failed_writes`` those that got an
    exception (their own, or a failed COMMIT's), ``commits`` the transactions committed: so
    ``writes / commits`` is the mean group size. ``largest_group`` is the most requests one
    transaction carried, ``failed_commits`` the groups whose COMMIT failed.
    """

    commits: int = 0
    writes: int = 0
    failed_writes: int = 0
    failed_commits: int = 0
    largest_group: int = 0
    reads: int = 0


class Kind(enum.Enum):
    WRITE = "write"
    READ = "read"
    STOP = "stop"


class WriteRequest(Generic[T]):
    """A function for the writer thread and the future, on its caller's loop, that awaits it."""

    __slots__ = ("fn", "future", "kind", "loop", "once")

    def __init__(
        self,
        kind: Kind,
        fn: Callable[[sqlite3.Connection], T] | None,
        loop: asyncio.AbstractEventLoop,
        once: Mapping[Hashable, Callable[[sqlite3.Connection], None]] | None = None,
    ) -> None:
        self.kind = kind
        self.fn = fn
        self.loop = loop
        self.once = once
        self.future: asyncio.Future[T] = loop.create_future()


# An outcome to hand to a future: (request, succeeded, value or exception).
Outcome = tuple[WriteRequest[Any], bool, Any]


def settle(outcomes: list[Outcome]) -> None:
    """Hands outcomes to their futures on their loops: one wake-up per loop, not per request."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Outcome]] = {}
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].loop, []).append(outcome)
    for loop, batch in by_loop.items():
        # A loop that is already closed has nobody left waiting for an answer.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_resolve, batch)


def _resolve(outcomes: list[Outcome]) -> None:
    for request, ok, value in outcomes:
        future = request.future
        if future.done():
            continue
        if ok:
            future.set_result(value)
        elif isinstance(value, StopIteration | StopAsyncIteration):
            future.set_exception(RuntimeError(f"write function raised {value!r}"))
        else:
            future.set_exception(value)
