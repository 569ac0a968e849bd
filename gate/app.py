"""The aiohttp application factory: builds the service over an already loaded config."""

from __future__ import annotations

from aiohttp import web

from gate import app_keys
from gate.auth import Clients
from gate.config import Config
from gate.lookup_table import TableSlot
from gate.problems import problem_middleware
from gate.routes import setup_routes

MAX_REQUEST_BYTES = 1 << 20


def create_app(config: Config, table: TableSlot) -> web.Application:
    """The gate's web application. Nothing starts until it runs."""
    app = web.Application(middlewares=[problem_middleware], client_max_size=MAX_REQUEST_BYTES)
    app[app_keys.CONFIG] = config
    app[app_keys.TABLE] = table
    app[app_keys.CLIENTS] = Clients.from_config(config)
    setup_routes(app)
    return app
