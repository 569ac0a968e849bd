"""Typed keys for everything the aiohttp application holds."""

from __future__ import annotations

from aiohttp import web

from gate.auth import Clients
from gate.config import Config
from gate.lookup_table import TableSlot

CONFIG = web.AppKey("config", Config)
TABLE = web.AppKey("table", TableSlot)
CLIENTS = web.AppKey("clients", Clients)
