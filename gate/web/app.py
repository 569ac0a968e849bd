"""The aiohttp application factory: builds the service over an already loaded config.

Resources open in ``cleanup_ctx`` in dependency order (table, store, docks, background
tasks) and close in reverse; cleanup runs if and only if startup finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from gate.config.settings import Config
from gate.core import identifiers
from gate.core.review import Reviews
from gate.errors import CompileError, TableError
from gate.ingest.outputs.lights import DoorLights
from gate.ingest.readers.base import ScanSink
from gate.ingest.readers.fleet import Readers
from gate.links.central import CentralLink
from gate.links.epcis import EpcisLink
from gate.links.mqtt import MqttLink
from gate.links.reference.poller import ReferencePoller, start_config
from gate.service.docks import Docks
from gate.service.door_holds import DoorHolds
from gate.service.events import Events
from gate.service.journal_watch import JournalWatch
from gate.service.policy_files import load_policy
from gate.service.reference_swap import ReferenceSwap
from gate.service.reloader import Reloader
from gate.service.screening import ScreeningState
from gate.service.task_ends import cancelled
from gate.storage import writer_process
from gate.storage.store import Store
from gate.storage.writer_process import WriterProcess
from gate.table import snapshots
from gate.table.compiler import compile_table, is_stale
from gate.table.native import Table, TableSlot
from gate.web import app_keys
from gate.web.alarms import ResourceAlarm
from gate.web.auth import Clients
from gate.web.bodies import body_middleware
from gate.web.callbacks import verifier
from gate.web.limits import InRequest, ServerLimits, SharedProbe, Slots
from gate.web.listeners import ListenerWatch
from gate.web.metrics import Metrics
from gate.web.page.live import live_ctx
from gate.web.page.overview import Bulletin
from gate.web.problems import REJECTION_RECORDER, problem_middleware
from gate.web.routes import setup_routes
from gate.web.sessions import LoginThrottle, SessionStore

log = logging.getLogger("gate.web.app")


def load_table(config: Config) -> Table:
    """Opens the configured table, compiling it first when it is missing, older than its
    sources or unusable; the table is mapped from the gate's own snapshot of the file
    (gate/table/snapshots.py), and older snapshots are removed. Raises CompileError or
    TableError."""
    return load_table_or_keep(config)[0]


def load_table_or_keep(config: Config) -> tuple[Table, str | None]:
    """``load_table``, except that sources that fail to compile while a good table (one the
    reader verifies) is at the configured path leave that table in use: the dock keeps
    working on the control data it had, and the second value says why, for an alert. Raises
    CompileError when there is no good table to keep."""
    sources = [config.table.control_list, *config.table.catalogues]
    problem = None
    if is_stale(config.table.path, sources):
        try:
            result = compile_table(
                config.table.control_list, config.table.catalogues, config.table.path
            )
        except CompileError as exc:
            if not _usable(config.table.path):
                raise
            problem = (
                f"New control data refused, the table compiled before kept"
                f" ({config.table.path}): {exc}"
            )
            log.error("%s", problem)
        else:
            log.info("compiled %s entries into %s", result.entries, result.path)
    folder = snapshots.folder_for(config.database)
    table = snapshots.open_snapshot(config.table.path, folder)
    snapshots.prune(folder, [table])
    return table, problem


def _usable(path: Path) -> bool:
    """Whether a table the reader verifies is at ``path``."""
    try:
        Table.open(path)
    except (TableError, OSError):
        return False
    return True


@web.middleware
async def timing_middleware(request: web.Request, handler):  # type: ignore[no-untyped-def]
    # perf_counter, not loop.time(): uvloop's clock counts whole milliseconds, and most
    # requests take less than one.
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        route = request.match_info.route.resource
        name = route.canonical if route is not None else "unmatched"
        if not name.endswith("/events"):
            request.app[app_keys.METRICS].requests.labels(
                name, request.method, str(status)
            ).observe(time.perf_counter() - started)


#: Paths whose body is read without a known client: a signed callback (its signature covers
#: the body, so the body comes first) and the page's login and logout forms ...
OPEN_BODIES = frozenset(
    {"/api/v1/approvals", "/api/v1/licences", "/api/v1/clearances", "/login", "/logout"}
)
#: ... within this many seconds (a known client has ``ServerLimits.body_seconds``): a body
#: sent slowly on purpose holds a connection this long at most.
OPEN_BODY_SECONDS = 5.0


def _admits_body(request: web.Request, seconds: float) -> float | None:
    """The seconds the body of ``request`` may take, or None: not read (``body_middleware``)."""
    if request.app[app_keys.CLIENTS].presented(request):
        return seconds
    return min(seconds, OPEN_BODY_SECONDS) if request.path in OPEN_BODIES else None


def create_app(
    config: Config, table: TableSlot | None = None, limits: ServerLimits | None = None
) -> web.Application:
    """The gate's web application. Nothing starts until it runs.

    ``limits`` are the server's deadlines and caps (``gate.web.limits``); the header deadline
    reaches aiohttp through ``handler_args``, so it holds whichever runner serves the app, the
    connection cap needs ``GateRunner``.
    """
    limits = limits or ServerLimits()
    in_request = InRequest(limits.send_seconds)
    app = web.Application(
        middlewares=[
            in_request.middleware,
            timing_middleware,
            problem_middleware,
            body_middleware(limits.body_seconds, _admits_body),
        ],
        client_max_size=config.limits.max_body_bytes,
        handler_args=limits.handler_args(),
    )
    app[app_keys.CONFIG] = config
    app[app_keys.SERVER_LIMITS] = limits
    app[app_keys.IN_REQUEST] = in_request
    app[app_keys.READY_PROBE] = SharedProbe()
    app[app_keys.ALARM] = ResourceAlarm()
    # One client (a token, an operator) may hold half the streams: the other half stays free
    # for everyone else, so a runaway integration cannot shut the page out.
    app[app_keys.EVENT_STREAMS] = Slots(
        limits.max_event_streams, per_holder=max(1, limits.max_event_streams // 2)
    )
    app[app_keys.TABLE] = table or TableSlot()
    # With [page] remember_sessions, a login is signed with a key beside the database and
    # survives a restart of the gate (gate.web.sessions).
    keys = config.database.parent if config.page.remember_sessions else None
    app[app_keys.SESSIONS] = sessions = SessionStore(key_folder=keys)
    # One throttle for the page's login and HTTP Basic: a guesser cannot double its tries by
    # using both doors.
    app[app_keys.LOGIN_THROTTLE] = throttle = LoginThrottle()
    app[app_keys.CLIENTS] = Clients.from_config(config, sessions, throttle)
    app[app_keys.BULLETIN] = Bulletin()
    # Event ids go on from the microseconds of this start: above those of the gate's
    # earlier lives, so a client's Last-Event-ID from before a restart replays what it missed.
    app[app_keys.EVENTS] = Events(first=time.time_ns() // 1_000)
    app[app_keys.LISTENERS] = ListenerWatch(app[app_keys.ALARM], app[app_keys.EVENTS])
    app[app_keys.METRICS] = Metrics()
    app[app_keys.VERIFIER] = verifier(config)
    app.cleanup_ctx.append(_table)
    app.cleanup_ctx.append(_docks)
    # After the docks: it follows them (and refuses to start before them).
    app.cleanup_ctx.append(live_ctx)
    app.on_shutdown.append(_close_streams)
    setup_routes(app)
    return app


async def _table(app: web.Application) -> AsyncIterator[None]:
    slot = app[app_keys.TABLE]
    # The decoders' libraries load on first use; load them now, not on the first odd scan.
    await asyncio.to_thread(identifiers.preload)
    config = app[app_keys.CONFIG]
    if config.reference is not None:
        # The office's bundle in use before the restart, not the config's older files.
        app[app_keys.CONFIG] = config = await asyncio.to_thread(start_config, config)
    if not slot.loaded:
        table, problem = await asyncio.to_thread(load_table_or_keep, app[app_keys.CONFIG])
        slot.swap(table)
        if problem is not None:
            # The page's follower takes it once it runs (Bulletin.follow starts at the first
            # event the bus holds).
            alert = {"level": "critical", "kind": "table_refused", "text": problem}
            app[app_keys.EVENTS].publish("alert", alert)
    yield


async def _docks(app: web.Application) -> AsyncIterator[None]:
    config = app[app_keys.CONFIG]
    policy = load_policy(config)
    writes_apart = writer_process.wanted()  # a bad GATE_WRITER stops the start here
    store = await Store.open(config.database)
    writer: WriterProcess | None = None
    starting: asyncio.Task[WriterProcess] | None = None
    # The stack lights show red from now until the docks have loaded (gate.core.stack_light).
    lights = DoorLights(config.outputs, app[app_keys.EVENTS], lambda name: _session(app, name))
    app[app_keys.LIGHTS] = lights
    await lights.start()
    try:
        docks = Docks(config, store, app[app_keys.TABLE], policy, app[app_keys.EVENTS])
        # The writer process starts (imports, its connection) on the other core while the
        # docks load; it is needed from the first scan, which comes after the start.
        starting = (
            asyncio.create_task(WriterProcess.start(store.path, lock=store.owner_fd))
            if writes_apart
            else None
        )
        mqtt = None
        if config.mqtt is not None:
            # Tapped before the docks load: every change from the first one queues its messages.
            mqtt = MqttLink(config.mqtt, config.gate_id, store, docks, rng=random.Random())
            docks.committer.message_taps.append(mqtt.tap)
        app[app_keys.MQTT] = mqtt
        # The lists load in a worker thread after the start (seconds); until then the
        # screening is not ready, /readyz says so (gate.service.screening) and every decision
        # holds (stale_data: gate.service.party_screening). Wired before the docks load, so
        # the start's decisions already know the lists are not there.
        screening = ScreeningState(config.lists, store, app[app_keys.EVENTS], lambda: docks.clock())
        await screening.open()
        docks.screening = screening
        screening.on_change = docks.reevaluate_all
        screening.settled = docks.scan_path.turns.settled
        screening.commit = docks.committer.begin
        app[app_keys.SCREENING] = screening
        # The holds before the docks: the start's decisions (and their MQTT door messages)
        # already know which doors are held.
        holds = DoorHolds(docks)
        await holds.load()
        docks.scan_path.held = holds.kind
        docks.committer.door_shown = holds.shown
        if mqtt is not None:
            mqtt.hold_of = holds.doc
        await docks.load()
        app[app_keys.DOCKS] = docks
        app[app_keys.HOLDS] = holds
        docks.dispatch_check = holds.check_dispatch
        docks.scan_path.late_read = holds.hold_in
        lights.held = holds.is_held
        lights.prohibited_hold = holds.is_prohibited
        lights.follow(docks)
        app[app_keys.METRICS].watch_outputs(lights, holds)
        app[REJECTION_RECORDER] = docks.record_rejection
        app[app_keys.METRICS].watch(docks)
        reloader = Reloader(config, app[app_keys.TABLE], docks, app[app_keys.EVENTS], screening)
        app[app_keys.RELOADER] = reloader
        swap = ReferenceSwap(
            docks, screening, reloader, app[app_keys.EVENTS], lambda: docks.clock()
        )
        app[app_keys.REFERENCE] = swap
        app[app_keys.METRICS].watch_reference(swap)
        link = CentralLink(config, store, app[app_keys.EVENTS], docks.outbox_changed)
        app[app_keys.CENTRAL] = link
        # Through the docks on every read: a test may give the docks another clock later.
        app[app_keys.METRICS].watch_link(link, lambda: docks.clock())
        # Readers start once the docks are loaded; one whose hardware is absent retries in
        # the background and never stops the start.
        readers = Readers.from_config(config.readers, ScanSink(docks, holds))
        app[app_keys.READERS] = readers
        app[app_keys.METRICS].watch_readers(readers)
        if mqtt is not None:
            mqtt.readers = readers.docs
            mqtt.outputs = app[app_keys.LIGHTS].docs
            mqtt.info = lambda: {"bundle": swap.status_doc()}
            app[app_keys.METRICS].watch_mqtt(mqtt)
        if starting is not None:
            writer = await starting
            committer = docks.committer
            writer.on_failure = lambda why: committer.latch(f"storage failed: {why}")
            committer.writer = writer
        await readers.start()
        # The journal's full check the start left for later, then the mark moved on.
        app[app_keys.JOURNAL_WATCH] = watch = JournalWatch(store, docks.committer)
        tasks = [
            asyncio.create_task(watch.run(), name="journal-check"),
            asyncio.create_task(link.run(), name="central-link"),
            asyncio.create_task(reloader.watch(), name="table-watch"),
            asyncio.create_task(screening.first_load(), name="lists-load"),
            asyncio.create_task(_review(docks), name="review"),
            asyncio.create_task(docks.committer.watch_writers(), name="writer-watch"),
            asyncio.create_task(_filter_ids(docks, screening, store.path), name="scan-ids"),
        ]
        if config.epcis is not None:
            epcis = EpcisLink(
                config.epcis, store, app[app_keys.EVENTS], docks.committer.epcis_changed
            )
            app[app_keys.EPCIS] = epcis
            app[app_keys.METRICS].watch_epcis(epcis)
            tasks.append(asyncio.create_task(epcis.run(), name="epcis-link"))
        if config.reference is not None:
            # Outbound only: the office's signed bundles, checked and swapped in on a timer.
            poller = ReferencePoller(config.reference, swap, screening.loaded)
            app[app_keys.REFERENCE_POLLER] = poller
            tasks.append(asyncio.create_task(poller.run(), name="reference-poll"))
        if mqtt is not None:
            tasks.append(asyncio.create_task(mqtt.run(), name="mqtt-link"))
        yield
        await lights.stop()  # red/off, before the readers stop: GPO writes go through them
        await readers.stop()  # before the store closes: their last scans are stored
        await holds.close()  # a hold's write still being retried (logged if not stored)
        await docks.refusals.close()  # the refusals counted since the last summary
        await cancelled(tasks)  # again while one runs on (gate.service.task_ends)
        await watch.stop()
    finally:
        await lights.stop()  # a start that failed leaves the lights red too
        docks_made = app.get(app_keys.DOCKS)  # absent when the start failed before it
        if docks_made is not None:
            docks_made.scan_path.side.close()
        if writer is None and starting is not None and not starting.cancelled():
            # A start that failed after the process was asked for: it must not outlive it.
            with contextlib.suppress(BaseException):
                writer = await starting
        if writer is not None:
            await writer.close()  # after the readers' last scans, before the lock goes
        await store.close()


def _session(app: web.Application, reader: str) -> object | None:
    """The live llrpkit session of an LLRP reader adapter, or None (not connected)."""
    readers = app.get(app_keys.READERS)
    if readers is None:
        return None
    return getattr(readers[reader], "session", None)


#: Seconds the review timer lets changes gather before it works the review moments out again.
#: A busy dock changes its shipments hundreds of times a second, and the moment a change can
#: bring closer (a cover, licence or the data running out) is rarely seconds away; a review
#: due meanwhile runs at most this much later (and a dispatch decides again anyway).
REVIEW_PAUSE = 0.05


#: Seconds the filter of stored scan ids waits for the first load of the lists.
FILTER_AFTER = 60.0


async def _filter_ids(docks: Docks, screening: ScreeningState, database: Path) -> None:
    """Builds the filter of stored scan ids (gate.service.stored_ids) once the lists have
    loaded (or failed to, or a minute passed): both are seconds of Python in a thread, and
    the lists are what makes the gate ready. Batches read every forgotten id meanwhile."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(FILTER_AFTER):  # not wait_for: see _review
            await screening.loaded.wait()
    await docks.scan_path.stored.build(database)


async def _review(docks: Docks) -> None:
    """Re-evaluates shipments when a licence or approval runs out or the data turns stale."""
    reviews = Reviews()
    while True:
        if not docks.table.loaded:
            # Nothing can be decided again without a table (and nothing is dispatched): a
            # moment that comes meanwhile is still due once one loads.
            await asyncio.sleep(5.0)
            continue
        try:
            now = docks.clock()
            shipments = [docks.shipments[sid] for sid in docks.current.values()]
            due = reviews.earliest(shipments, docks.controls(), now)
            if due is not None and due <= now:
                await docks.reevaluate_all("licence expiry or stale data check")
                reviews.reviewed(now)
                continue
            wait = 30.0 if due is None else min((due - now).total_seconds(), 30.0)
        except Exception:
            log.exception("review timer")
            await asyncio.sleep(5.0)  # not woken by changes: a failure is not retried hot
            continue
        docks.changed.clear()
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that
        # races with the event, and this loop must end when the app stops.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await docks.changed.wait()
        if docks.changed.is_set():
            # Changed: the moments are worked out again once the changes of the next
            # REVIEW_PAUSE are in too, not after each of them.
            await asyncio.sleep(REVIEW_PAUSE)


async def _close_streams(app: web.Application) -> None:
    app[app_keys.EVENTS].close()
