"""Content negotiation: JSON by default, msgpack when the client accepts it."""

from __future__ import annotations

from typing import Any

import msgpack
from aiohttp import web

from gate.core import json_text

MSGPACK = "application/msgpack"


def wants_msgpack(request: web.Request) -> bool:
    return MSGPACK in request.headers.get("Accept", "")


def respond(request: web.Request, body: Any, status: int = 200) -> web.Response:
    """Renders ``body`` as msgpack if the client asked for it, else JSON."""
    if wants_msgpack(request):
        return web.Response(status=status, body=msgpack.packb(body), content_type=MSGPACK)
    return web.Response(
        status=status,
        body=json_text.dumps_bytes(body),
        content_type="application/json",
        charset="utf-8",
    )
