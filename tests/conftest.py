"""The shared fixtures, one of each: the demo configuration in a temporary folder
(``demo_config``), the fake central office (``office``), a gate app on a real socket
(``gate``, and ``gates`` to start more or restart), and a served ``gate serve`` process
(``served``, and ``serve`` to start one on a config of the test's making).

Tests that spawn ``gate serve`` or drive a browser are marked ``slow`` here, by the fixtures
they use, so ``make test-fast`` (``-m "not slow"``) leaves them out.

Async tests run on asyncio's own loop; every ``gate serve`` they start runs on uvloop's, its
default (tests/service/test_event_loop.py covers the choice; tests/web/test_listener_watch.py
runs the listener watch on both).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

# Imported now, not by its plugin's summary at the session's end: there, CPython 3.11.7's
# parser can fail the import ("AST constructor recursion depth mismatch", CPython
# gh-106905) when no test of the run used it, and the run ends in a SystemError.
import hypothesis  # noqa: F401
import pytest
from llrpkit.emulator import LLRPEmulator

from tests.fake_office import Office, point_at
from tests.service.harness import (
    CONFIGS,
    ROOT,
    SCANNER_TOKEN,
    WMS_TOKEN,
    Gate,
    Gates,
    Served,
    free_port,
    spawn_serve,
)

if TYPE_CHECKING:
    from tests.reference.test_bundles import Office as BundleOffice

# Re-exported: test modules import these from here.
__all__ = ["ROOT", "SCANNER_TOKEN", "WMS_TOKEN", "free_port"]

# Fixtures whose tests are slow: a process of its own (the gate, the MQTT broker), or a real
# browser.
SLOW_FIXTURES = frozenset({"serve", "served", "browser", "broker", "screen"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def demo_config(tmp_path: Path) -> Path:
    """The demo configs/ copied under tmp_path/configs with free ports; var/ sits beside it."""
    target = tmp_path / "configs"
    shutil.copytree(CONFIGS, target)
    path = target / "gate.toml"
    text = path.read_text()
    http = free_port()
    scanner = free_port()
    while scanner == http:  # two free ports asked one after the other can be the same one
        scanner = free_port()
    text = re.sub(r'(\[http\]\s*listen = )"[^"]*"', rf'\1"127.0.0.1:{http}"', text)
    text = re.sub(r'(\[scanner\]\s*listen = )"[^"]*"', rf'\1"127.0.0.1:{scanner}"', text)
    path.write_text(text)
    return path


@pytest.fixture
async def office(demo_config: Path) -> AsyncIterator[Office]:
    """A fake central office on a free port, started, with demo_config pointing at it (short
    retry times); it answers 202 unless told otherwise. A test may stop and start it."""
    o = Office(free_port())
    point_at(demo_config, o)
    await o.start()
    yield o
    await o.stop()


@pytest.fixture
async def gates(demo_config: Path, office: Office) -> AsyncIterator[Gates]:
    """Starts gates as the test asks; stops every one still running at the end."""
    started = Gates(demo_config)
    try:
        yield started
    finally:
        await started.stop_all()


@pytest.fixture
def gate_readers() -> str:
    """``[[readers]]`` tables the ``gate`` fixture adds to its config: none; a test module
    whose gate reads from hardware overrides this fixture."""
    return ""


@pytest.fixture
async def gate(gates: Gates, gate_readers: str) -> Gate:
    """A gate app on a real socket over demo_config and a real SQLite file, linked to the
    fake office."""
    return await gates.start(readers=gate_readers)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[Served]]]:
    """Starts ``gate serve --config PATH`` processes (``await serve(path, ready=True,
    **env)``), waiting until each is ready unless told not to; kills them all at the end."""
    started: list[Served] = []

    async def start(config: Path, *, ready: bool = True, **env: str) -> Served:
        served = spawn_serve(config, **env)
        started.append(served)
        if ready:
            await served.wait_ready()
        return served

    try:
        yield start
    finally:
        for served in started:
            served.kill()


@pytest.fixture
async def served(demo_config: Path, serve: Callable[..., Awaitable[Served]]) -> Served:
    """A ready ``gate serve`` process on demo_config."""
    return await serve(demo_config)


@pytest.fixture
async def emu() -> AsyncIterator[LLRPEmulator]:
    """An LLRP reader emulator on a free port, no tags in its field yet, 200 reads a second."""
    emulator = LLRPEmulator(port=free_port(), tags=[], reads_per_sec=200.0)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def emulators() -> AsyncIterator[list[LLRPEmulator]]:
    """Emulators a test starts; each is stopped at the end."""
    started: list[LLRPEmulator] = []
    yield started
    for emu in started:
        await emu.stop()


@pytest.fixture
async def office_repo(tmp_path: Path) -> AsyncIterator[BundleOffice]:
    """The central office's signed reference-data repository (a TUF repository served over
    HTTP by the test: tests/reference/test_bundles.py's ``Office``), started; stopped at the end."""
    from tests.reference.test_bundles import Office as Repository  # a test module: when asked

    o = Repository(tmp_path)
    await o.start()
    yield o
    await o.stop()
