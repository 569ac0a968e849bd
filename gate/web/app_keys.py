"""Typed keys for everything the aiohttp application holds."""

from __future__ import annotations

from aiohttp import web

from gate.config.settings import Config
from gate.core.signatures import Verifier
from gate.ingest.outputs.lights import DoorLights
from gate.ingest.readers.fleet import Readers
from gate.links.central import CentralLink
from gate.links.epcis import EpcisLink
from gate.links.mqtt import MqttLink
from gate.links.reference.poller import ReferencePoller
from gate.service.docks import Docks
from gate.service.door_holds import DoorHolds
from gate.service.events import Events
from gate.service.journal_watch import JournalWatch
from gate.service.reference_swap import ReferenceSwap
from gate.service.reloader import Reloader
from gate.service.screening import ScreeningState
from gate.table.native import TableSlot
from gate.web import problems
from gate.web.auth import Clients
from gate.web.limits import InRequest, ServerLimits, SharedProbe, Slots
from gate.web.listeners import ListenerWatch
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
JOURNAL_WATCH = web.AppKey("journal_watch", JournalWatch)
SCREENING = web.AppKey("screening", ScreeningState)
#: The signed reference data in use (always there); its poller only with [central] reference_url.
REFERENCE = web.AppKey("reference", ReferenceSwap)
REFERENCE_POLLER = web.AppKey("reference_poller", ReferencePoller)
VERIFIER = web.AppKey("verifier", Verifier)
CENTRAL = web.AppKey("central", CentralLink)
EPCIS = web.AppKey("epcis", EpcisLink)  # only with an [epcis] section
#: The MQTT link, or None when the config has no [mqtt].
MQTT = web.AppKey[MqttLink | None]("mqtt")
SESSIONS = web.AppKey("sessions", SessionStore)
LOGIN_THROTTLE = web.AppKey("login_throttle", LoginThrottle)
BULLETIN = web.AppKey("bulletin", Bulletin)
READERS = web.AppKey("readers", Readers)
LIGHTS = web.AppKey("lights", DoorLights)
HOLDS = web.AppKey("holds", DoorHolds)
SERVER_LIMITS = web.AppKey("server_limits", ServerLimits)
EVENT_STREAMS = web.AppKey("event_streams", Slots)
IN_REQUEST = web.AppKey("in_request", InRequest)
#: The database check of ``/readyz``, one commit answering every caller for half a second.
READY_PROBE = web.AppKey("ready_probe", SharedProbe)
#: The look at the listening sockets and the file budget (``gate serve`` adds its listeners).
LISTENERS = web.AppKey("listeners", ListenerWatch)
ALARM = problems.ALARM
ACTOR = problems.ACTOR
