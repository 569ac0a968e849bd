"""``gate serve``: runs the HTTP service and the scanner socket until a signal stops it.

SIGTERM/SIGINT stop it (event streams are closed first, so it ends within a few seconds);
SIGHUP reloads the table and policy files. It runs on uvloop's event loop, or on asyncio's
own with ``GATE_LOOP=asyncio`` (``loop_factory``), and watches its listening sockets and file
budget itself on either (``gate.web.listeners``). Under systemd (``NOTIFY_SOCKET`` set)
it sends READY=1 once both sockets listen, and WATCHDOG=1 at half the watchdog interval.

The HTTP side runs under ``GateRunner``: slow request heads and bodies time out, connections
and event streams are capped (``gate.web.limits``). When the process runs out of files
anyway, asyncio's loop reports every failed accept with a traceback, once a second, and the
loop's exception handler turns that into one warning per episode (``gate.web.alarms``);
uvloop's says nothing, and the listener watch raises the ``files`` warning before the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

from aiohttp import web

from gate.config.settings import Config, Listen
from gate.errors import ConfigError
from gate.ingest.scanner_socket import ScannerServer
from gate.links.checkpoint_sender import CheckpointSender
from gate.service import heap
from gate.web import app_keys
from gate.web.alarms import ResourceAlarm, is_exhaustion
from gate.web.app import create_app
from gate.web.limits import ACCEPT_BURST, GateRunner
from gate.web.listeners import Listener, ListenerWatch, SiteAgain

log = logging.getLogger("gate.cli.serve")


async def run(config: Config) -> None:
    app = create_app(config)
    alarm = app[app_keys.ALARM]
    asyncio.get_running_loop().set_exception_handler(_exception_handler(alarm))
    runner = GateRunner(
        app,
        app[app_keys.SERVER_LIMITS],
        alarm,
        app[app_keys.IN_REQUEST],
        shutdown_timeout=3.0,
        access_log=None,
    )
    await runner.setup()
    heap.manage()
    tending = asyncio.create_task(heap.tend(), name="heap-tend")
    scanner = ScannerServer(
        app[app_keys.DOCKS], app[app_keys.CLIENTS].by_token, config.scanner_connections, alarm
    )
    app[app_keys.METRICS].watch_scanner(scanner)
    docks = app[app_keys.DOCKS]
    sender = CheckpointSender(
        config,
        docks.store,
        app[app_keys.EVENTS],
        docks.committer,
        app[app_keys.JOURNAL_WATCH],
        docks.clock,
    )
    checkpoints = asyncio.create_task(sender.run(), name="journal-checkpoints")
    watching: asyncio.Task[None] | None = None
    try:
        http = SiteAgain(
            runner,
            lambda: web.TCPSite(runner, config.http.host, config.http.port, backlog=ACCEPT_BURST),
        )
        with _listening("http.listen", config.http):
            await http.start()
        with _listening("scanner.listen", config.scanner):
            await scanner.start(config.scanner.host, config.scanner.port)
        watching = _watch_listeners(app[app_keys.LISTENERS], http, scanner, config)
        info = app[app_keys.TABLE].current().info
        log.info(
            "gate %s serving http://%s/ and the scanner socket on %s; table %s (%s entries);"
            " event loop %s",
            config.gate_id,
            config.http,
            config.scanner,
            info.version,
            info.entries,
            loop_name(asyncio.get_running_loop()),
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        reloader = app[app_keys.RELOADER]
        # The loop keeps only weak references to tasks: hold each reload until it is done.
        reloads: set[asyncio.Task[bool]] = set()

        def reload_on_hup() -> None:
            task = asyncio.ensure_future(reloader.reload("SIGHUP"))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGHUP, reload_on_hup)
        watchdog = _systemd_ready()
        await stop.wait()
        if watchdog is not None:
            watchdog.cancel()
    finally:
        log.info("gate %s stopping", config.gate_id)
        if watching is not None:
            watching.cancel()
            # Ended before the listeners close: a look must not listen again behind them.
            with contextlib.suppress(asyncio.CancelledError):
                await watching
        tending.cancel()
        checkpoints.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await checkpoints  # before the store closes
        await scanner.close()
        await runner.cleanup()


def _watch_listeners(
    watch: ListenerWatch, http: SiteAgain, scanner: ScannerServer, config: Config
) -> asyncio.Task[None]:
    """Hands the two listeners to ``watch`` (gate.web.listeners) and starts its looks. A lost
    HTTP listener is replaced by a new site on the same address and runner; a lost scanner
    listener by a new server for the same sessions."""

    def scanner_sockets() -> list[Any]:
        return list(scanner.server.sockets) if scanner.server is not None else []

    async def scanner_again() -> list[Any]:
        await scanner.listen_again(config.scanner.host, config.scanner.port)
        return scanner_sockets()

    assert http.site is not None
    watch.add(Listener("http", http.sockets(), http.again))
    watch.add(Listener("scanner", scanner_sockets(), scanner_again))
    return asyncio.create_task(watch.run(), name="listener-watch")


def _exception_handler(
    alarm: ResourceAlarm,
) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]], None]:
    """The loop's exception handler: exhaustion (a failed accept for want of files) is one
    warning per episode, and so is any other error accepting a connection (asyncio's loop
    reports it at every turn while its listening socket is broken, thousands of tracebacks a
    second, until the listener watch listens again: gate.web.listeners); everything else
    goes to asyncio's default handler."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException) and is_exhaustion(exc):
            alarm.raised("exhaustion", f"{context.get('message', 'error')}: {exc}")
            return
        if isinstance(exc, OSError) and _accepting(context):
            alarm.raised("accept", f"accepting a connection failed: {exc}")
            return
        loop.default_exception_handler(context)

    return handle


def _accepting(context: dict[str, Any]) -> bool:
    """Whether the loop reports an error of its callback accepting connections (asyncio's
    ``_accept_connection``; uvloop reports none)."""
    callback = getattr(context.get("handle"), "_callback", None)
    return getattr(callback, "__name__", "") == "_accept_connection"


@contextlib.contextmanager
def _listening(key: str, listen: Listen) -> Iterator[None]:
    """Turns a failure to bind (address in use, not permitted) into a one-line ConfigError."""
    try:
        yield
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ConfigError(f"{key}: cannot listen on {listen}: {reason}") from exc


def _systemd_ready() -> asyncio.Task[None] | None:
    if not os.environ.get("NOTIFY_SOCKET"):
        return None
    import sdnotify

    notifier = sdnotify.SystemdNotifier()
    notifier.notify("READY=1")
    usec = int(os.environ.get("WATCHDOG_USEC", "0") or 0)
    if not usec:
        return None

    async def beat() -> None:
        while True:
            notifier.notify("WATCHDOG=1")
            await asyncio.sleep(usec / 2e6)

    return asyncio.create_task(beat())


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """Which implementation a loop is, by the package its class comes from: "uvloop" or
    "asyncio" (what the start line logs)."""
    return type(loop).__module__.partition(".")[0]


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop the service runs on: uvloop's (the default), or asyncio's own (None)
    with ``GATE_LOOP=asyncio`` or where uvloop is not installed (logged once).

    uvloop does in C the transport, callback and future work that takes about 60 % of the
    loop thread's time per single-scan request: up to a tenth less of the loop's CPU per
    request in alternated runs, a quarter in the best (README, Performance). It fails
    quietly where the gate must fail loudly (out of files, libuv turns connections away
    without telling the loop; any other error accepting a connection closes the listening
    socket, unreported), so ``gate serve`` watches its files and listeners itself, on
    either loop (``gate.web.listeners``).

    Raises ConfigError for a ``GATE_LOOP`` other than ``asyncio`` or ``uvloop``.
    """
    choice = os.environ.get("GATE_LOOP", "uvloop")
    if choice == "asyncio":
        log.info("running on asyncio's own event loop (GATE_LOOP=asyncio)")
        return None
    if choice != "uvloop":
        raise ConfigError(f"GATE_LOOP: {choice!r} is not a loop; asyncio or uvloop")
    try:
        import uvloop
    except ImportError:
        log.info("uvloop is not installed: running on asyncio's own event loop")
        return None
    return uvloop.new_event_loop


def serve(config: Config) -> None:
    with (
        contextlib.suppress(KeyboardInterrupt),
        asyncio.Runner(loop_factory=loop_factory()) as runner,
    ):
        runner.run(run(config))
