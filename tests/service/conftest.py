"""Fixtures of the service tests: a scanner socket over the running app (``address``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gate.ingest.scanner_socket import ScannerServer
from gate.web import app_keys
from tests.service.harness import Gate


@pytest.fixture
async def address(gate: Gate) -> AsyncIterator[tuple[str, int]]:
    """A ScannerServer on 127.0.0.1 port 0 over the running app's docks, clients and metrics."""
    app = gate.app
    server = ScannerServer(app[app_keys.DOCKS], app[app_keys.CLIENTS].by_token)
    bound = await server.start("127.0.0.1", 0)
    yield bound
    await server.close()
