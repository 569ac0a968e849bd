"""Content negotiation: JSON by default, msgpack when the client accepts it."""

from __future__ import annotations

from typing import Any

import msgpack
from aiohttp import web

from gate.core import json_text

MSGPACK = "application/msgpack"


def _weights(accept: str) -> dict[str, float]:
    """Each media range of an ``Accept`` header (lower case) and its q-value (RFC 9110
    12.5.1; a q that is not a number counts as 1, as if it were absent)."""
    weights: dict[str, float] = {}
    for part in accept.split(",")[:64]:
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 1.0
        if media:
            weights.setdefault(media.lower(), q)
    return weights


def _quality(weights: dict[str, float], media: str) -> float:
    """The q-value of ``media``: its own range's, else its type's (``application/*``), else
    ``*/*``'s, else 0."""
    for candidate in (media, media.split("/")[0] + "/*", "*/*"):
        if candidate in weights:
            return weights[candidate]
    return 0.0


def wants_msgpack(request: web.Request) -> bool:
    """Whether the client named msgpack in ``Accept`` and prefers it at least as much as JSON
    (``q=0`` refuses it); JSON, the default, otherwise."""
    weights = _weights(request.headers.get("Accept", ""))
    q = weights.get(MSGPACK, 0.0)
    return q > 0.0 and q >= _quality(weights, "application/json")


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
