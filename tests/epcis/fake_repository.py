"""A fake EPCIS 2.0 repository for tests: a real aiohttp server on loopback that speaks the
capture side of GS1's REST bindings (``OPTIONS`` and ``POST /capture``, ``GET
/capture/{id}``).

It records every document it is sent and answers as the test says: 202 with a capture job in
``Location`` by default; a status from ``answers`` in turn; 413 (with
``GS1-EPCIS-Capture-Limit``) for a document of more events than ``event_limit``, when the
test sets one; ``stated_limit`` is what it tells ``OPTIONS``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


class Repository:
    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []  # every POST
        self.captured: list[dict[str, Any]] = []  # documents answered 202
        self.answers: list[int] = []
        self.event_limit: int | None = None
        self.stated_limit: int | None = None
        self.runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/capture"

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event captured, in the order captured."""
        return [e for doc in self.captured for e in doc["epcisBody"]["eventList"]]

    async def options(self, request: web.Request) -> web.Response:
        headers = {"GS1-EPCIS-Version": "2.0.0"}
        if self.stated_limit is not None:
            headers["GS1-EPCIS-Capture-Limit"] = str(self.stated_limit)
        return web.Response(status=204, headers=headers)

    async def capture(self, request: web.Request) -> web.Response:
        doc = json.loads(await request.read())
        self.received.append((dict(request.headers), doc))
        if self.answers:
            status = self.answers.pop(0)
            return web.json_response({"status": status}, status=status)
        count = len(doc["epcisBody"]["eventList"])
        if self.event_limit is not None and count > self.event_limit:
            return web.json_response(
                {
                    "type": "epcisException:CaptureLimitExceededException",
                    "title": "Capture Payload too large",
                    "status": 413,
                },
                status=413,
                headers={"GS1-EPCIS-Capture-Limit": str(self.event_limit)},
                content_type="application/problem+json",
            )
        self.captured.append(doc)
        return web.Response(status=202, headers={"Location": f"/capture/{len(self.captured)}"})

    async def job(self, request: web.Request) -> web.Response:
        return web.json_response({"running": False, "success": True, "errors": []})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("OPTIONS", "/capture", self.options)
        app.router.add_post("/capture", self.capture)
        app.router.add_get("/capture/{id}", self.job)
        self.runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
