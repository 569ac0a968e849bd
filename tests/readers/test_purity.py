"""The readers' pure parts stay pure, and loading a config does not load LLRP or serial code.

Each module is imported in a fresh interpreter, because this one has long since imported
sockets and event loops.
"""

from __future__ import annotations

import pytest

from tests.core.test_purity import loaded_by

PURE = ["gate.ingest.readers.lines", "gate.ingest.readers.dedupe", "gate.ingest.readers.health"]
FORBIDDEN = frozenset(
    {"socket", "sqlite3", "asyncio", "aiohttp", "selectors", "llrpkit", "serial", "subprocess"}
)


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_bring_no_io(module: str) -> None:
    """Importing a pure readers module loads no I/O module."""
    assert set() == loaded_by(module) & FORBIDDEN


def test_config_does_not_load_reader_libraries() -> None:
    """Reading the config (for any CLI command) loads neither llrpkit nor pyserial."""
    loaded = loaded_by("gate.config.settings")
    assert set() == loaded & {
        "llrpkit",
        "serial",
        "serial_asyncio_fast",
        "gate.ingest.readers.llrp",
    }
