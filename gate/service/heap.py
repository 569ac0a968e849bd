"""The collector and the long-lived heap: reference data frozen out of its sight.

The gate's heap is mostly data loaded once and kept for hours: the control table's metadata,
the screening lists and their index (a few hundred thousand objects), the recent scan ids.
CPython's cyclic collector walks every object of a generation each time it collects it, so
data loaded after start (the screening lists load in a worker thread once the sockets
listen) sat in the young generations and then in the oldest: each collection of those took
35 to 90 ms of the event loop in the loaded latency row of ``python -m tests.bench
service``, every scan in flight waiting for it.

``settle`` runs one full collection and then freezes what is left (``gc.freeze``: kept, still
freed by reference counting, never walked again). A frozen object that later becomes part of
a garbage cycle is not collected until the next ``settle``, which unfreezes first: settling
after each load of reference data (start, a list reload, a reference swap) collects what the
last load left. One settle walks the whole heap once, on the event loop: about 0.1 to 0.3 s
on the box beside the doors (the log says how long), during which scans wait. That pause comes
once per load of reference data (the first list load, a reload that changed a list, a
reference bundle), where unsettled the same data cost a 35-130 ms pause at every older
collection, several a minute under load. Objects of requests in flight at that moment are
frozen too; any that end up in a garbage cycle stay until the next settle (a bounded amount
per settle, not a growing one). Call it from the loop's thread only: a collection already
running in another thread would make this one return without collecting.

The collector counts allocations less deallocations: it collects the young generation when
that net count passes its threshold. A gate at work keeps its heap about the same size (a
decoded tag enters the identifier cache as an old one leaves it, a scan id enters the
memory of recent scans as an old one leaves it), so the net count hardly moves while the
young generation fills with the new long-lived objects: in the loaded latency row the young
collections came every 1.5, 2.3, then 3.4 s, each walking more (4, 6, 10, then 14 ms of the
loop), and in a heap that does not grow at all they never come, and garbage cycles made in
the meantime are never freed (a child interpreter with a cache churning 300,000 times:
no collection, every cycle still alive). ``tick``, every ``TICK_SECONDS`` on the loop
(``tend``), collects the young generation when the collector has not since the last tick,
every ``OLDER_EVERY``-th time the middle one with it, and every ``OLDEST_EVERY``-th tick
(about once a minute) every generation but the frozen data: each collection then walks what
a quarter of a second (a few seconds, a minute) left, not what an unbounded time did.

Only ``gate serve`` manages the heap (``manage``, ``tend``); in any other process (the tests,
the CLI's one-shot commands) ``settle`` and ``tick`` do nothing.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger("gate.service.heap")

#: Allocations between young-generation collections (CPython's default is 700).
GC_YOUNG = 20_000
#: Seconds between two ``tick``s of ``tend``.
TICK_SECONDS = 0.25
#: Every this many collections made by ``tick``, the middle generation is collected too.
OLDER_EVERY = 10
#: Every this many, the oldest too (about once a minute): a garbage cycle that lived long
#: enough to reach it is freed only by a collection of every generation, which CPython
#: starts only from a young collection of its own. The frozen reference data is not walked.
OLDEST_EVERY = 240

_managed = False
#: Collections the collector has made (any generation), and the count at the last tick.
_collections = 0
_at_tick = 0
#: Ticks so far, and the collections they made of the young (and middle) generation.
_ticks = 0
_forced = 0


def _counted(phase: str, info: dict[str, int]) -> None:
    global _collections
    if phase == "stop":
        _collections += 1


def manage() -> None:
    """Takes the heap in hand for this process: settles it now and after each ``settle``
    call, and lets the young generation grow before it is collected.

    A scan allocates a few hundred short-lived objects; with CPython's defaults the
    collector ran every few scans and now and then walked the whole loaded heap, about 26 µs
    per scan (10 %) in ``python -m tests.bench service``; frozen and with this threshold,
    about 2 µs. Nothing of this is needed for correctness: reference counting frees almost
    everything, and the collector still runs for cycles.
    """
    global _managed
    _managed = True
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, older, oldest)
    if _counted not in gc.callbacks:
        gc.callbacks.append(_counted)
    settle("start")


def tick() -> None:
    """Collects the young generation (every ``OLDER_EVERY``-th time the middle one too)
    unless the collector has collected since the last tick, and every ``OLDEST_EVERY``-th
    tick all of them; nothing unless ``manage`` ran.
    Call it from the loop's thread only (as ``settle``)."""
    global _at_tick, _ticks, _forced
    if not _managed:
        return
    _ticks += 1
    if _ticks % OLDEST_EVERY == 0:
        # Whether or not the collector ran since: under a steady load its own young
        # collections may come every tick, and they never reach the oldest generation.
        gc.collect(2)
    elif _collections == _at_tick:
        _forced += 1
        gc.collect(1 if _forced % OLDER_EVERY == 0 else 0)
    _at_tick = _collections


async def tend(every: float = TICK_SECONDS) -> None:
    """``tick`` every ``every`` seconds until cancelled."""
    while True:
        await asyncio.sleep(every)
        tick()


def settle(why: str) -> None:
    """Collects every generation, then freezes what is left; nothing unless ``manage`` ran."""
    if not _managed:
        return
    started = time.perf_counter()
    gc.unfreeze()
    collected = gc.collect()
    gc.freeze()
    log.info(
        "heap settled (%s): %d objects frozen, %d collected, %.0f ms",
        why,
        gc.get_freeze_count(),
        collected,
        (time.perf_counter() - started) * 1e3,
    )
