"""Typed keys for everything the aiohttp application holds."""

from __future__ import annotations

from aiohttp import web

from gate.config.settings import Config
from gate.core.signatures import Verifier
from gate.ingest.readers.fleet import Readers
from gate.links.central import CentralLink
from gate.links.mqtt import MqttLink
from gate.service.docks import Docks
from gate.service.events import Events
from gate.service.reloader import Reloader
from gate.service.screening import ScreeningState
from gate.table.native import TableSlot
from gate.web import problems
from gate.web.auth import Clients
from gate.web.limits import InRequest, ServerLimits, Slots
from gate.web.metrics import Metrics
from gate.web.page.overview import Bulletin
from gate.web.sessions import LoginThrottle, SessionStore

CONFIG = web.AppKey("config", Config)
TABLE = web.AppKey("table", TableSlot)
CLIENTS = web.AppKey("clients", Clients)
EVENTS = web.AppKey("events", Events)
METRICS = web.AppKey("metrics", Metrics)
DOCKS = web.AppKey("docks", Docks)
RELOADER = web.AppKey("reloader", Reloader)
SCREENING = web.AppKey("screening", ScreeningState)
VERIFIER = web.AppKey("verifier", Verifier)
CENTRAL = web.AppKey("central", CentralLink)
#: The MQTT link, or None when the config has no [mqtt].
MQTT = web.AppKey[MqttLink | None]("mqtt")
SESSIONS = web.AppKey("sessions", SessionStore)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
BULLETIN = web.AppKey("bulletin", Bulletin)
READERS = web.AppKey("readers", Readers)
SERVER_LIMITS = web.AppKey("server_limits", ServerLimits)
EVENT_STREAMS = web.AppKey("event_streams", Slots)
IN_REQUEST = web.AppKey("in_request", InRequest)
ALARM = problems.ALARM
ACTOR = problems.ACTOR
