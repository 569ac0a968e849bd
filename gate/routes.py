"""The URL table of the HTTP service."""

from __future__ import annotations

from aiohttp import web

from gate import api

API = "/api/v1"


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", api.healthz)
    app.router.add_get("/readyz", api.readyz)
    app.router.add_get(API + "/items/{code}", api.get_item)
