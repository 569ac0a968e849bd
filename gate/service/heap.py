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

Only ``gate serve`` manages the heap (``manage``); in any other process (the tests, the
CLI's one-shot commands) ``settle`` does nothing.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger("gate.service.heap")

#: Allocations between young-generation collections (CPython's default is 700).
GC_YOUNG = 20_000

_managed = False


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
    settle("start")


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
