"""A running gate for service tests: the real app on a real socket with a real SQLite file."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import msgpack
from aiohttp import web

from gate.config.settings import Config, load_config
from gate.web.app import create_app
from tests.conftest import SCANNER_TOKEN, WMS_TOKEN

OPERATOR = "Basic " + base64.b64encode(b"ops:demo-ops-password").decode()


def basic(name: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()


def catalogue_rows(config_path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for line in (config_path.parent / "catalogue.csv").read_text().splitlines()[1:]:
        gtin, rest = line.split(",", 1)
        description, control = rest.rsplit(",", 1)
        rows.append((gtin, description, control))
    return rows


def gtin_with(config_path: Path, control_prefix: str, n: int = 0) -> str:
    """The n-th catalogue GTIN whose control code starts with control_prefix ('' = unlisted)."""
    found = [
        g
        for g, _, c in catalogue_rows(config_path)
        if (c.startswith(control_prefix) if control_prefix else c == "")
    ]
    return found[n]


@dataclass
class Gate:
    """A started gate and a client session for it."""

    config: Config
    runner: web.AppRunner
    url: str
    session: aiohttp.ClientSession
    seq: list[int] = field(default_factory=lambda: [0])

    @property
    def app(self) -> web.Application:
        return self.runner.app

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = WMS_TOKEN,
        auth: str | None = None,
        msgpack_in: bool = False,
        msgpack_out: bool = False,
        raw: bytes | None = None,
        content_type: str | None = None,
    ) -> tuple[int, Any]:
        headers = {}
        if auth is not None:
            headers["Authorization"] = auth
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if msgpack_out:
            headers["Accept"] = "application/msgpack"
        data: Any = io.BytesIO(raw) if raw is not None and len(raw) > 500_000 else raw
        if body is not None:
            data = msgpack.packb(body) if msgpack_in else json.dumps(body).encode()
            content_type = content_type or (
                "application/msgpack" if msgpack_in else "application/json"
            )
        if content_type:
            headers["Content-Type"] = content_type
        async with self.session.request(method, self.url + path, data=data, headers=headers) as r:
            payload = await r.read()
            if r.content_type == "application/msgpack":
                return r.status, msgpack.unpackb(payload)
            if r.content_type in ("application/json", "application/problem+json"):
                return r.status, json.loads(payload)
            return r.status, payload.decode()

    async def create(self, sid: str = "S1", door: str = "D1", **extra: Any) -> dict[str, Any]:
        body = {
            "id": sid,
            "door": door,
            "destination": "DE",
            "consignee": {"name": "Acme Precision GmbH", "country": "DE"},
            **extra,
        }
        status, doc = await self.call("POST", "/api/v1/shipments", body)
        assert 201 == status, doc
        return dict(doc)

    async def scan(self, code: str, door: str = "D1", **extra: Any) -> dict[str, Any]:
        self.seq[0] += 1
        scan = {"scan_id": f"s{self.seq[0]}", "reader": "r1", "door": door, "code": code, **extra}
        status, body = await self.call("POST", "/api/v1/scans", scan, token=SCANNER_TOKEN)
        assert 200 == status, body
        return dict(body["results"][0])


async def start_gate(config_path: Path) -> Gate:
    config = load_config(config_path)
    app = create_app(config)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return Gate(config, runner, f"http://127.0.0.1:{port}", aiohttp.ClientSession())


async def stop_gate(gate: Gate) -> None:
    await gate.session.close()
    await gate.runner.cleanup()
