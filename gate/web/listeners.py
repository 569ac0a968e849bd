"""The gate's own look at its listening sockets and its file budget, whatever the event loop.

``gate serve`` runs on uvloop's event loop (``gate.cli.serve.loop_factory``), which fails
quietly in two places where asyncio's own loop reports:

- when the process runs out of files, libuv accepts each waiting connection and closes it at
  once, without a word to the loop's exception handler: scanners are turned away and nothing
  says why;
- any other error accepting a connection closes the listening socket, again unreported: the
  gate runs on, answering nobody.

``ListenerWatch`` looks for both itself, every ``WATCH_SECONDS``, from outside the loop:

- **files**: the descriptors open (``/proc/self/fd``) against the soft limit
  (``RLIMIT_NOFILE``). Within ``headroom`` of it, the ``files`` condition is raised on the
  resource alarm (one warning per episode, ``gate.web.alarms``); it is cleared once the count
  is more than twice the headroom under the limit (so a count going back and forth across
  one line does not log a pair a second). A look that itself fails for want of files counts
  as at the limit.
- **listeners**: the HTTP listener and the scanner socket's are still open, listening and
  bound where they were (``gate.ingest.listening``; a text-TCP reader looks at its own, in
  ``gate.ingest.readers.text``). One that is not is logged as an error, goes out
  as a critical ``listener_lost`` alert (page, events, MQTT), makes ``/readyz`` answer 503
  (``"listeners": false``) and is listened again on the same address; once that works, an
  ``info`` ``listener_restored`` alert clears it (that listener's: the page matches
  the ``listener`` field). A listener that cannot listen again (the
  port taken meanwhile) stays lost and is tried again at the next look.

The same looks run on asyncio's loop (``GATE_LOOP=asyncio``), where they cost one directory
listing and a few ``getsockopt`` calls a second.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from gate.ingest.listening import Listening, show
from gate.service.event_shapes import listener_alert
from gate.service.events import Events
from gate.web.alarms import ResourceAlarm, is_exhaustion

log = logging.getLogger("gate.web.listeners")

#: Seconds between two looks.
WATCH_SECONDS = 1.0
#: The ``files`` condition is raised this close to the soft limit: a twentieth of it, at
#: least 16 descriptors (a connection, a database file, a log each take one).
HEADROOM_SHARE = 0.05
HEADROOM_MIN = 16


def near_limit(count: int, limit: int) -> bool | None:
    """Whether ``count`` open files are near ``limit`` (True: within the headroom), clear of
    it (False: more than twice the headroom under it), or in between (None: as before)."""
    headroom = max(HEADROOM_MIN, int(limit * HEADROOM_SHARE))
    if count >= limit - headroom:
        return True
    if count < limit - 2 * headroom:
        return False
    return None


def open_files() -> int | None:
    """Descriptors this process has open; None where ``/proc`` cannot tell. Raises OSError
    (EMFILE) when the listing itself needs a descriptor the process has none left for."""
    try:
        return len(os.listdir("/proc/self/fd")) - 1  # less the listing's own
    except FileNotFoundError:
        return None


def file_limit() -> int:
    """The soft limit on open descriptors (``RLIMIT_NOFILE``)."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


#: Listens again on a listener's address; returns the new listening sockets.
Relisten = Callable[[], Awaitable[Sequence[Any]]]


class Listener:
    """A listening endpoint the gate serves: its name (``http``, ``scanner``), its listening
    sockets (anything with ``fileno`` and ``getsockname``: asyncio's or uvloop's) and how to
    listen again (``relisten``: the new sockets)."""

    def __init__(self, name: str, sockets: Sequence[Any], relisten: Relisten) -> None:
        self.name = name
        self.relisten = relisten
        self.bound = [Listening.of(s) for s in sockets]

    def taken(self, sockets: Sequence[Any]) -> None:
        """Watches ``sockets`` from now on (those of a new listen)."""
        self.bound = [Listening.of(s) for s in sockets]

    @property
    def address(self) -> str:
        return ", ".join(show(b.address) for b in self.bound) or "no address"

    def alive(self) -> bool:
        return bool(self.bound) and all(b.alive() for b in self.bound)


class SiteAgain:
    """An aiohttp site that can listen again: ``again`` stops the lost one and starts a new
    one from ``make`` (same runner, same address)."""

    def __init__(self, runner: web.BaseRunner, make: Callable[[], web.BaseSite]) -> None:
        self.runner = runner
        self.make = make
        self.site: web.BaseSite | None = None

    async def start(self) -> list[Any]:
        """Starts a new site; its listening sockets. Raises OSError (nothing left behind)
        when it cannot listen."""
        site = self.make()
        try:
            await site.start()
        except BaseException:
            if site in self.runner.sites:  # taken by the runner before it failed to listen
                await site.stop()
            raise
        self.site = site
        return self.sockets()

    def sockets(self) -> list[Any]:
        """The listening sockets of the site started last."""
        # aiohttp keeps a site's server private; its sockets are what the watch looks at.
        server = None if self.site is None else self.site._server
        return list(getattr(server, "sockets", None) or ())

    async def again(self) -> list[Any]:
        old, self.site = self.site, None
        if old is not None:
            await old.stop()
        return await self.start()


class ListenerWatch:
    """Looks at the gate's file budget and listening sockets (see the module's essay)."""

    def __init__(
        self,
        alarm: ResourceAlarm,
        events: Events,
        *,
        files: Callable[[], int | None] = open_files,
        limit: Callable[[], int] = file_limit,
    ) -> None:
        self.alarm = alarm
        self.events = events
        self.files = files
        self.limit = limit
        self.listeners: list[Listener] = []
        #: The listeners lost and not yet listening again, each with its alert.
        self.lost: dict[str, dict[str, Any]] = {}

    @property
    def ready(self) -> bool:
        """False while a listener is lost (``/readyz``)."""
        return not self.lost

    def add(self, listener: Listener) -> None:
        self.listeners.append(listener)

    async def check(self) -> None:
        """One look at the files and at every listener."""
        self._check_files()
        for listener in self.listeners:
            if listener.name in self.lost or not listener.alive():
                await self._relisten(listener)

    async def run(self, every: float = WATCH_SECONDS) -> None:
        """Looks every ``every`` seconds until cancelled."""
        while True:
            try:
                await self.check()
            except Exception:  # the next look may work; a dead watch would never look again
                log.exception("listeners' check")
            await asyncio.sleep(every)

    def _check_files(self) -> None:
        limit = self.limit()
        if limit == resource.RLIM_INFINITY:
            return
        try:
            count = self.files()
        except OSError as exc:
            if not is_exhaustion(exc):
                raise
            count = limit
        if count is None:
            return
        near = near_limit(count, limit)
        if near:
            self.alarm.raised(
                "files",
                f"{count} of the {limit} files this process may open are open:"
                " new connections are about to be turned away",
            )
        elif near is False:
            self.alarm.cleared("files")

    async def _relisten(self, listener: Listener) -> None:
        first = listener.name not in self.lost
        if first:
            text = (
                f"The gate stopped listening for {listener.name} connections on"
                f" {listener.address}: listening again"
            )
            log.error("%s", text)
            self.lost[listener.name] = listener_alert(listener.name, True, text)
            self.events.publish("alert", self.lost[listener.name])
        try:
            listener.taken(await listener.relisten())
        except OSError as exc:
            if first:
                log.error("%s: cannot listen again (tried each second): %s", listener.name, exc)
            return
        if not listener.alive():
            return
        del self.lost[listener.name]
        text = f"The gate listens again for {listener.name} connections on {listener.address}"
        log.warning("%s", text)
        self.events.publish("alert", listener_alert(listener.name, False, text))
