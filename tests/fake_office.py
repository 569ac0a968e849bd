"""A fake central trade-compliance office for tests: a real aiohttp server on loopback.

It records the licence requests it receives and answers each as the test told it: a status,
or a hostile answer (a redirect, a body that is not UTF-8, a huge body streamed on). The
``office`` fixture (tests/conftest.py) starts one and points the demo config at it.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from tests.service.harness import until


@dataclass(frozen=True)
class Answer:
    """One answer of the office: ``status`` with ``body`` and ``headers``; with ``stream``
    > 0, a body of that many bytes written in 64 KiB chunks as fast as the client reads;
    with ``release``, only once the test sets that event."""

    status: int = 202
    body: bytes = b'{"status": "accepted"}'
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    stream: int = 0
    release: asyncio.Event | None = None


CHUNK = 64 * 1024


class Office:
    """A fake central trade-compliance office: records licence requests, answers as told."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[dict[str, str], bytes]] = []
        # Answers in turn, a status or an Answer; 202 when empty.
        self.answers: list[int | Answer] = []
        self.elsewhere: list[tuple[str, str, bytes]] = []  # (method, path, body) off the API
        self.streamed = 0  # body bytes of streamed answers the client took
        self.streams_ended = 0  # streamed answers finished or cut off by the client
        self.runner: web.AppRunner | None = None
        self.arrived = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        self.received.append((dict(request.headers), raw))
        self.arrived.set()
        answer = self.answers.pop(0) if self.answers else 202
        if isinstance(answer, int):
            return web.json_response({"status": answer}, status=answer)
        if answer.release is not None:
            await answer.release.wait()
        if answer.stream:
            return await self._stream(request, answer)
        return web.Response(status=answer.status, body=answer.body, headers=answer.headers)

    async def _stream(self, request: web.Request, answer: Answer) -> web.StreamResponse:
        response = web.StreamResponse(status=answer.status, headers=answer.headers)
        response.content_length = answer.stream
        await response.prepare(request)
        chunk = b"x" * CHUNK
        try:
            while self.streamed < answer.stream:
                part = chunk[: answer.stream - self.streamed]
                await response.write(part)  # waits while the client does not read
                self.streamed += len(part)
            await response.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the client went away: what it did not read was never sent
        finally:
            self.streams_ended += 1
        return response

    async def handle_elsewhere(self, request: web.Request) -> web.Response:
        """Anything off /licence-requests (where a redirect points): recorded, answered 200."""
        self.elsewhere.append((request.method, request.path, await request.read()))
        return web.json_response({"status": "ok"})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/licence-requests", self.handle)
        app.router.add_route("*", "/{tail:.*}", self.handle_elsewhere)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    async def wait_for(self, count: int) -> None:
        """Returns once ``count`` licence requests have arrived in all."""
        await until(lambda: len(self.received) >= count, f"{count} licence request(s)")


def point_at(config: Path, office: Office) -> None:
    """Points the config's ``[central]`` at ``office``, with short retry and alert times."""
    text = config.read_text()
    text, count = re.subn(r'url = "http://127.0.0.1:\d+"', f'url = "{office.url}"', text)
    assert 1 == count
    text = text.replace(
        "[central]\n",
        "[central]\nretry_initial_seconds = 0.05\nretry_max_seconds = 0.3\n"
        "unreachable_alert_seconds = 1\n",
        1,
    )
    config.write_text(text)
