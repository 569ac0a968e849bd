"""A fake central trade-compliance office for tests: a real aiohttp server on loopback."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.conftest import free_port
from tests.service.harness import Gate, start_gate, stop_gate


class Office:
    """A fake central trade-compliance office: records licence requests, answers as told."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []  # statuses to answer in turn; 202 when empty
        self.runner: web.AppRunner | None = None
        self.arrived = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.received.append((dict(request.headers), raw))
        self.arrived.set()
        status = self.answers.pop(0) if self.answers else 202
        return web.json_response({"status": status}, status=status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/licence-requests", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def wait_for(self, count: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"only {len(self.received)} requests arrived"
            await asyncio.sleep(0.02)


def point_at(config: Path, office: Office) -> None:
    text = config.read_text()
    text = re.sub(r'url = "http://127.0.0.1:9090"', f'url = "{office.url}"', text)
    text = text.replace(
        "[central]\n",
        "[central]\nretry_initial_seconds = 0.05\nretry_max_seconds = 0.3\n"
        "unreachable_alert_seconds = 1\n",
        1,
    )
    config.write_text(text)


@pytest.fixture
async def office(demo_config: Path) -> AsyncIterator[Office]:
    """A fake central office on a free port, with the config pointing at it (202 to all)."""
    o = Office(free_port())
    point_at(demo_config, o)
    await o.start()
    yield o
    await o.stop()


@pytest.fixture
async def gate(demo_config: Path, office: Office) -> AsyncIterator[Gate]:
    """A gate on the demo config, linked to the fake office."""
    g = await start_gate(demo_config)
    yield g
    await stop_gate(g)
