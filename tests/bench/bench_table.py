"""The compiled table against its baselines, in one process: a Python dict and SQLite.

Rows of DESIGN.md section 5 that concern the table. The large catalogues are generated
here into a temporary folder and deleted afterwards; none is committed.
"""

from __future__ import annotations

import gc
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable
from pathlib import Path

from gate.table import native as lt
from gate.table import snapshots
from gate.table.compiler import compile_table

Emit = Callable[[str, str, str], None]

CONTROLS = [
    (f"{item}.A.{n}", 1 if item <= 2 else 2, f"title {item}.{n}", "")
    for item in (1, 2, 3, 4, 6, 9, 10, 11)
    for n in range(1, 6)
]
DESCRIPTIONS = [
    f"{kind} {size}"
    for kind in ("Hex bolt", "Bearing", "O-ring", "Gyro", "Valve", "Cable", "Sensor", "Fitting")
    for size in range(1, 126)
]

# Weighted digit sums of every 4-digit group, at odd and even positions from the right.
_W = [
    [
        sum(
            (ord(c) - 48) * (3 if (i + start) % 2 == 0 else 1)
            for i, c in enumerate(reversed(f"{g:04d}"))
        )
        for g in range(10000)
    ]
    for start in (0, 1)
]


def gtin_of(body: int) -> int:
    """A 13-digit body with its GS1 check digit appended (a GTIN-14 value)."""
    b0, r = body % 10000, body // 10000
    b1, r = r % 10000, r // 10000
    b2, b3 = r % 10000, r // 10000
    total = _W[0][b0] + _W[0][b1] + _W[0][b2] + _W[0][b3]
    return body * 10 + (10 - total % 10) % 10


def make_keys(n: int, seed: int) -> array[int]:
    """n distinct GTIN-14 values with valid check digits, in random order."""
    rng = random.Random(seed)
    step = 7_777_777_777_777 % 10**13 | 1  # odd and not a multiple of 5: coprime to 10^13
    start = rng.randrange(10**13)
    return array("Q", (gtin_of((start + i * step) % 10**13) for i in range(n)))


def write_arrays(path: Path, keys: array[int]) -> float:
    """Builds a table of keys with the C builder; returns the builder's seconds."""
    pool = bytearray()
    control_table = []
    for code, category, title, flags in CONTROLS:
        parts = []
        for text in (code, title, flags):
            parts += [len(pool), len(text)]
            pool += text.encode()
        control_table.append((*parts, category))
    offsets = []
    for d in DESCRIPTIONS:
        offsets.append((len(pool), len(d)))
        pool += d.encode()
    n = len(keys)
    desc_offsets = array("I", (offsets[i % len(offsets)][0] for i in range(n)))
    desc_lengths = array("H", (offsets[i % len(offsets)][1] for i in range(n)))
    controls = array("H", ((i % len(CONTROLS)) if i % 4 == 0 else lt.NO_CONTROL for i in range(n)))
    started = time.perf_counter()
    lt.write_table(
        path,
        keys=keys,
        desc_offsets=desc_offsets,
        desc_lengths=desc_lengths,
        controls=controls,
        control_table=control_table,  # type: ignore[arg-type]
        strings=bytes(pool),
        build_time=int(time.time()),
        source_digest=bytes(32),
    )
    return time.perf_counter() - started


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def rate(n: int, seconds: float) -> str:
    per = n / seconds
    return f"{per / 1e6:.2f} M/s" if per >= 1e6 else f"{per / 1e3:.1f} k/s"


def run(emit: Emit) -> None:
    big = 10**6 if os.environ.get("GATE_BENCH_QUICK") else 10**7
    with tempfile.TemporaryDirectory(prefix="gate-bench-") as tmp:
        folder = Path(tmp)
        snapshot_folder = folder / "tables"
        for n in sorted({10**4, 10**6, big}):
            keys = make_keys(n, seed=n)
            path = folder / f"t{n}.gtab"
            build_s = write_arrays(path, keys)
            # The service's way in (gate/table/snapshots.py): the first load of a table
            # version copies it into the gate's folder and verifies the copy, once; every
            # later load of that version reads the configured header and maps the snapshot.
            started = time.perf_counter()
            snapshot = Path(snapshots.open_snapshot(path, snapshot_folder).info.path)
            copy_s = time.perf_counter() - started
            emit(
                f"snapshot a {n:,}-entry table (copy, fsync, full verify)",
                f"{copy_s * 1e3:.0f} ms",
                "once per table version",
            )
            load = lambda p=path: snapshots.open_snapshot(p, snapshot_folder)  # noqa: E731
            open_s = timed(load, repeat=20)  # type: ignore[misc]
            emit(
                f"open a {n:,}-entry table (snapshot reused: header + mmap)",
                f"{open_s * 1e3:.2f} ms",
                "< 1 ms, independent of size",
            )
            map_s = timed(lambda p=snapshot: lt.Table.map(p), repeat=20)  # type: ignore[misc]
            emit("  of which Table.map of the snapshot", f"{map_s * 1e3:.2f} ms", "")
            if n == big:
                emit(
                    f"C builder for {n:,} rows (build + fsync'd write)",
                    f"{build_s:.2f} s",
                    "< 5 s for 10^7",
                )
                private_s = timed(lambda p=path: lt.Table.open(p, verify=False), repeat=3)  # type: ignore[misc]
                emit(
                    f"private copy of a {n:,}-entry user file (gate lookup --table)",
                    f"{private_s * 1e3:.0f} ms",
                    "O(size), not the service's open",
                )
                verify_s = timed(lambda p=snapshot: lt.Table.map(p).verify(), repeat=3)  # type: ignore[misc]
                emit(
                    f"full verify (checksum, every slot) of a mapped {n:,}",
                    f"{verify_s * 1e3:.0f} ms",
                    "(part of the snapshot row)",
                )
                table = lt.Table.map(snapshot)
                size = path.stat().st_size
                emit(f"bytes per entry, whole file ({n:,})", f"{size / n:.1f} B", "< 32 B")
                emit("bytes per entry, slots only", f"{table.info.slots * 16 / n:.1f} B", "")
                big_keys, big_table = keys, table
        del keys
        gc.collect()
        _lookups(emit, big_table, big_keys, big)
        _cli(emit, folder)


def _lookups(emit: Emit, table: lt.Table, keys: array[int], n: int) -> None:
    # The raw calls come from lt.Probe, the bench-only surface: the product's single lookup
    # is Table.lookup, measured after them.
    raw = lt.Probe(table)
    rng = random.Random(1)
    probe = array("Q", (keys[rng.randrange(n)] for _ in range(1_000_000)))
    one = raw.control_index
    sample = probe[:200_000].tolist()
    single = timed(lambda: [one(k) for k in sample], repeat=3)
    emit(
        f"one lookup from Python, random keys over {n:,}",
        f"{single / len(sample) * 1e9:.0f} ns",
        "< 700 ns",
    )
    hot = [sample[0]] * len(sample)
    hot_s = timed(lambda: [one(k) for k in hot], repeat=3)
    emit("one lookup from Python, hot key", f"{hot_s / len(hot) * 1e9:.0f} ns", "< 200 ns")
    lookup = table.lookup
    fresh = sample[:50_000]
    product = timed(lambda: [lookup(k) for k in fresh], repeat=1)  # once: then cached
    emit(
        f"  product Table.lookup (Classification), first sight, {n:,}",
        f"{product / len(fresh) * 1e9:.0f} ns",
        "",
    )
    product_hot = timed(lambda: [lookup(k) for k in hot], repeat=3)
    emit(
        "  product Table.lookup, hot key (answer cache)",
        f"{product_hot / len(hot) * 1e9:.0f} ns",
        "",
    )
    out = array("q", bytes(8 * len(probe)))
    batch = timed(lambda: raw.lookup_packed(probe, out), repeat=5)
    emit(f"batch lookups, random keys over {n:,}, packed", rate(len(probe), batch), ">= 10 M/s")

    # Baselines over the same keys: a Python dict of the whole catalogue, then SQLite.
    started = time.perf_counter()
    d = {k: i % 4 for i, k in enumerate(keys)}
    dict_build = time.perf_counter() - started
    emit(f"baseline: build a Python dict of {n:,} int keys", f"{dict_build:.1f} s", "")
    get = d.get
    dict_loop = timed(lambda: [get(k) for k in sample], repeat=3)
    dict_ns = dict_loop / len(sample) * 1e9
    emit("baseline: dict loop, random int keys", f"{dict_ns:.0f} ns/key", "")
    emit(
        "  batch (packed) vs dict loop",
        f"{dict_loop / len(sample) / (batch / len(probe)):.1f}x",
        "",
    )

    codes = [f"{k:014d}" for k in probe[:500_000]]
    text_d = {f"{k:014d}": i for i, k in enumerate(keys)}
    del d
    getc = text_d.get
    e2e = timed(lambda: raw.lookup_codes(codes), repeat=3)
    dict_codes = timed(lambda: [getc(c) for c in codes], repeat=3)
    emit(
        f"batch from a Python list of {len(codes):,} code strings",
        rate(len(codes), e2e),
        "",
    )
    emit("baseline: dict loop over the same code strings", rate(len(codes), dict_codes), "")
    emit("  end to end vs dict loop", f"{dict_codes / e2e:.1f}x", ">= 8x")
    text_d.clear()
    gc.collect()

    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE items (gtin INTEGER PRIMARY KEY, control INTEGER)")
    db.executemany("INSERT INTO items VALUES (?, ?)", ((k, i % 4) for i, k in enumerate(keys)))
    q = sample[:50_000]
    cur = db.cursor()
    sql_s = timed(
        lambda: [
            cur.execute("SELECT control FROM items WHERE gtin = ?", (k,)).fetchone() for k in q
        ],
        repeat=2,
    )
    emit("baseline: indexed SQLite SELECT, random keys", f"{sql_s / len(q) * 1e6:.1f} µs/key", "")
    emit("  batch (packed) vs SQLite", f"{sql_s / len(q) / (batch / len(probe)):.0f}x", "")
    emit("  single Python lookup vs SQLite", f"{sql_s / len(q) / (single / len(sample)):.0f}x", "")
    db.close()


def _cli(emit: Emit, folder: Path) -> None:
    """`gate lookup` over a file of 10^6 codes against loading the catalogue into a dict."""
    n = 10**6
    keys = make_keys(n, seed=42)
    catalogue = folder / "catalogue.csv"
    with open(catalogue, "w") as f:
        f.write("gtin,description,control\n")
        for i, k in enumerate(keys):
            f.write(
                f"{k:014d},{DESCRIPTIONS[i % len(DESCRIPTIONS)]},{'3.A.1' if i % 4 == 0 else ''}\n"
            )
    control_list = folder / "control-list.csv"
    control_list.write_text("code,category,title,flags\n3.A.1,2,Turbojet and turbofan engines,\n")
    table = folder / "cli.gtab"
    result = compile_table(control_list, [catalogue], table)
    emit(
        f"gate compile, {n:,}-row CSV: parsing and checks (Python)",
        f"{result.parse_seconds:.2f} s",
        "measured apart",
    )
    emit(f"gate compile, {n:,}-row CSV: C builder + write", f"{result.build_seconds:.2f} s", "")
    rng = random.Random(3)
    codes = folder / "codes.txt"
    with open(codes, "w") as f:
        for _ in range(n):
            f.write(f"{keys[rng.randrange(n)]:014d}\n")
    started = time.perf_counter()
    with open(codes, "rb") as src:
        subprocess.run(
            [sys.executable, "-m", "gate", "lookup", "--table", str(table)],
            stdin=src,
            stdout=subprocess.DEVNULL,
            check=True,
        )
    cli_s = time.perf_counter() - started
    emit(
        f"gate lookup over {n:,} codes (process, JSON out)",
        f"{cli_s:.2f} s ({rate(n, cli_s)})",
        "faster than dict baseline",
    )
    started = time.perf_counter()
    d = {}
    with open(catalogue) as f:
        next(f)
        for line in f:
            gtin, description, control = line.rstrip("\n").split(",")
            d[gtin] = (description, control)
    with open(codes) as f:
        found = [d.get(line.strip()) for line in f]
    dict_s = time.perf_counter() - started
    emit("baseline: load the catalogue into a dict, look each code up", f"{dict_s:.2f} s", "")
    emit("  gate lookup vs dict baseline", f"{dict_s / cli_s:.1f}x", "> 1x")
    del found, d
