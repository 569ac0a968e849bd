"""The decision core stays pure: importing it brings no I/O module, and it reads no clock.

Each module is imported in a fresh interpreter, because in this one the test runner and other
tests have long since imported sockets and event loops. (This file may use subprocess; the
modules it imports may not.)
"""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import gate.core

FORBIDDEN = frozenset(
    {
        "socket",
        "sqlite3",
        "asyncio",
        "aiohttp",
        "ssl",
        "http",
        "urllib.request",
        "selectors",
        "subprocess",
        "cffi",
        "msgpack",
    }
)
CORE = Path(gate.core.__file__).parent
# Subpackages (gate.core.screening) are core too: walk them, and check each package's __init__.
MODULES = sorted(info.name for info in pkgutil.walk_packages([str(CORE)], prefix="gate.core."))
# Calls that read the clock or the filesystem. The core takes `now` as an argument.
IMPURE_CALLS = frozenset({"now", "utcnow", "today", "time", "monotonic", "perf_counter", "open"})

PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
"""


def loaded_by(module: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(result.stdout))


def test_core_modules_are_found() -> None:
    """The probe sees the core's modules (an empty list would make the checks below vacuous)."""
    expected = {"gate.core.rules", "gate.core.shipments", "gate.core.screening.matcher"}
    assert expected <= set(MODULES)


def test_probe_sees_an_io_import() -> None:
    """The probe reports what an import brings: sqlite3 shows up when imported."""
    assert "sqlite3" in loaded_by("sqlite3")


@pytest.mark.parametrize("module", ["gate.core", *MODULES])
def test_importing_core_module_brings_no_io(module: str) -> None:
    """Importing a core module in a fresh interpreter loads none of the I/O modules."""
    assert set() == loaded_by(module) & FORBIDDEN


@pytest.mark.parametrize("module", MODULES)
def test_core_module_reads_no_clock_and_opens_no_file(module: str) -> None:
    """No core module calls now()/today()/time()/open(): time comes in as an argument."""
    relative = Path(*module.split(".")[2:])
    package = CORE / relative / "__init__.py"
    path = package if package.exists() else CORE / f"{relative}.py"
    source = path.read_text(encoding="utf-8")
    calls = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in IMPURE_CALLS:
                calls.append(f"line {node.lineno}: {name}()")
    assert [] == calls
