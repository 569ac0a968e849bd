"""``make bench``: every benchmark section, one table of measurements and targets.

Benchmarks are not tests: nothing here asserts a time. Each section module has
``run(emit)``; ``emit(what, measured, target)`` prints one row as it is measured.
``python -m tests.bench [--quick] [SECTION ...]``; --quick uses 10^6 instead of 10^7 entries
(and shorter runs, 10^5 instead of 10^6 stored scans for ``restart``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time

SECTIONS = [
    "table",
    "identifiers",
    "decisions",
    "writer",
    "service",
    "readers",
    "screening",
    "restart",
]


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller: 10^6 entries instead of 10^7, 10^5 stored scans instead of 10^6",
    )
    parser.add_argument("sections", nargs="*", default=SECTIONS)
    args = parser.parse_args()
    if args.quick:
        os.environ["GATE_BENCH_QUICK"] = "1"
    python = platform.python_version()
    print(f"gate bench on {platform.machine()}, {os.cpu_count()} CPUs, Python {python}")
    print(f"{'what':<64} {'measured':>28}   target")
    print("-" * 120)

    def emit(what: str, measured: str, target: str = "") -> None:
        print(f"{what:<64} {measured:>28}   {target}", flush=True)

    started = time.perf_counter()
    for name in args.sections:
        try:
            module = importlib.import_module(f"tests.bench.bench_{name}")
        except ModuleNotFoundError as exc:
            print(f"[{name}] not available: {exc}", file=sys.stderr)
            continue
        print(f"\n[{name}]")
        module.run(emit)
    print(f"\nbench finished in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
