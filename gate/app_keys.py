"""Typed keys for everything the aiohttp application holds."""

from __future__ import annotations

from aiohttp import web

from gate import problems
from gate.auth import Clients
from gate.central_link import CentralLink
from gate.config import Config
from gate.docks import Docks
from gate.events import Events
from gate.lookup_table import TableSlot
from gate.metrics import Metrics
from gate.overview import Bulletin
from gate.readers.fleet import Readers
from gate.reloader import Reloader
from gate.sessions import LoginThrottle, SessionStore
from gate.signatures import Verifier

CONFIG = web.AppKey("config", Config)
TABLE = web.AppKey("table", TableSlot)
CLIENTS = web.AppKey("clients", Clients)
EVENTS = web.AppKey("events", Events)
METRICS = web.AppKey("metrics", Metrics)
DOCKS = web.AppKey("docks", Docks)
RELOADER = web.AppKey("reloader", Reloader)
VERIFIER = web.AppKey("verifier", Verifier)
CENTRAL = web.AppKey("central", CentralLink)
SESSIONS = web.AppKey("sessions", SessionStore)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
BULLETIN = web.AppKey("bulletin", Bulletin)
READERS = web.AppKey("readers", Readers)
ACTOR = problems.ACTOR
