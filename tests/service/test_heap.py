"""``gate.service.heap``: settling freezes what is live and collects what is not, only in a
process that manages its heap (``gate serve``). Each case runs in a child interpreter: a
frozen heap would outlive the test in this one."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _child(code: str) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


PRELUDE = """
import gc, json, weakref
from gate.service import heap

class Node:
    def __init__(self):
        self.me = self  # a cycle: only the collector frees it

def cycle_ref():
    return weakref.ref(Node())
"""


def test_settle_does_nothing_unless_the_heap_is_managed() -> None:
    out = _child(
        PRELUDE
        + """
kept = [Node() for _ in range(1000)]
heap.settle("a test")
print(json.dumps({"frozen": gc.get_freeze_count()}))
"""
    )
    assert out["frozen"] == 0


def test_settle_freezes_what_loaded_after_start_and_collects_what_it_left() -> None:
    out = _child(
        PRELUDE
        + """
heap.manage()
at_start = gc.get_freeze_count()
loaded = [Node() for _ in range(5000)]  # reference data loaded after start
young_before = len(gc.get_objects(0)) + len(gc.get_objects(1)) + len(gc.get_objects(2))
gc.disable()  # nothing collects but settle
garbage = cycle_ref()  # dead at once, kept alive only by its cycle
loaded_then_dropped = [weakref.ref(x) for x in loaded[:10]]
heap.settle("lists loaded")
frozen_once = gc.get_freeze_count()
del loaded  # dropped while frozen: the cycles wait for the next settle
dropped_alive = sum(r() is not None for r in loaded_then_dropped)
heap.settle("lists reloaded")
print(json.dumps({
    "at_start": at_start,
    "frozen_once": frozen_once,
    "young_before": young_before,
    "young_after": len(gc.get_objects(0)) + len(gc.get_objects(1)) + len(gc.get_objects(2)),
    "garbage_alive": garbage() is not None,
    "dropped_alive_while_frozen": dropped_alive,
    "dropped_alive_after": sum(r() is not None for r in loaded_then_dropped),
    "threshold": gc.get_threshold()[0],
}))
"""
    )
    assert out["frozen_once"] >= out["at_start"] + 5000
    assert out["young_before"] >= 5000 and out["young_after"] < 100
    assert out["garbage_alive"] is False
    assert out["dropped_alive_while_frozen"] == 10  # dropped while frozen: still there...
    assert out["dropped_alive_after"] == 0  # ...until the next settle unfreezes them
    assert out["threshold"] == 20_000


CHURN = """
from collections import OrderedDict

class Item:
    __slots__ = ("a", "b")

    def __init__(self, a):
        self.a = a
        self.b = (a, [a])

# A heap that keeps its size: each new long-lived object replaces an old one (the identifier
# cache, the recent scan ids), and a garbage cycle now and then.
cache = OrderedDict((i, Item(i)) for i in range(8192))
cycles = []
young = 0
for i in range(8192, 8192 + 200_000):
    cache[i] = Item(i)
    cache.popitem(last=False)
    if i % 1000 == 0:
        cycles.append(cycle_ref())
    if i % 2000 == 0:
        heap.tick()
        young = max(young, len(gc.get_objects(0)))
print(json.dumps({
    "alive": sum(r() is not None for r in cycles[:-2]), "cycles": len(cycles) - 2, "young": young,
}))
"""


def test_ticks_collect_the_young_generation_of_a_heap_that_keeps_its_size() -> None:
    """A managed heap whose size does not change (new long-lived objects replacing old ones)
    never reaches the collector's threshold; ``tick`` collects its garbage cycles anyway and
    keeps the young generation to what the last ticks left."""
    out = _child(PRELUDE + "heap.manage()\n" + CHURN)
    assert 0 == out["alive"], out
    assert 198 == out["cycles"]
    assert out["young"] < 20_000, out


def test_without_ticks_the_same_heap_keeps_its_garbage() -> None:
    """The same heap unmanaged (``tick`` does nothing) with the gate's threshold: its garbage
    cycles are all still there (what ``tick`` is for)."""
    out = _child(PRELUDE + "gc.set_threshold(heap.GC_YOUNG, 10, 10)\n" + CHURN)
    assert out["cycles"] == out["alive"], out


AGED = """
heap.manage()
gc.disable()  # only the ticks collect: what CPython does in a heap that keeps its size
held = [Node() for _ in range(50)]
refs = [weakref.ref(n) for n in held]
for _ in range(TICKS_HELD):
    heap.tick()
del held
for _ in range(TICKS_AFTER):
    heap.tick()
print(json.dumps({"alive": sum(r() is not None for r in refs)}))
"""


def _aged(held: int, after: int) -> dict[str, int]:
    code = AGED.replace("TICKS_HELD", str(held)).replace("TICKS_AFTER", str(after))
    return _child(PRELUDE + code)


def test_cycles_that_reached_the_middle_generation_are_freed_by_the_ticks() -> None:
    """Cycles kept past a young collection (the first tick after ``manage`` has nothing to
    do: its settle collected) and then dropped are freed by the tenth collecting tick, the
    middle generation's, and not by the young collections before it."""
    assert 0 == _aged(2, 9)["alive"]
    assert 50 == _aged(2, 8)["alive"]


def test_cycles_that_reached_the_oldest_generation_are_freed_by_the_ticks() -> None:
    """Cycles kept past a middle collection (the tenth collecting tick) and then dropped are
    freed by the 240th tick, the oldest generation's, and not by the young and middle ones."""
    assert 0 == _aged(11, 229)["alive"]
    assert 50 == _aged(11, 228)["alive"]


def test_the_oldest_generation_is_collected_even_while_the_collector_runs_on_its_own() -> None:
    """A tick whose young generation the collector collected since the last one forces
    nothing, but every 240th tick collects the oldest generation anyway: under a steady load
    the collector's own young collections may come every tick and never reach it."""
    out = _child(
        PRELUDE
        + """
heap.manage()
gc.disable()
held = [Node() for _ in range(50)]
refs = [weakref.ref(n) for n in held]
for _ in range(11):
    heap.tick()  # into the oldest generation
del held
for _ in range(229):
    gc.collect(1)  # the collector's own collections, one before each tick
    heap.tick()
print(json.dumps({"alive": sum(r() is not None for r in refs)}))
"""
    )
    assert 0 == out["alive"]
