"""Resource limits met by the HTTP service, logged once per episode, not once per request.

When the gate runs out of something (file descriptors, its connection cap, event-stream
slots) every request meets the same condition; a line per request would flood the log and
hide the one line that matters, and a traceback per request costs the very resources that
are short. ``ResourceAlarm`` logs the first occurrence of a condition as a warning without a
traceback, counts the ones that follow, and logs once more when the condition is cleared (or,
for conditions with no clear moment, when it comes back after ``quiet_seconds`` without an
occurrence, with the count of the episode before).
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("gate.web.limits")

#: errno values that mean "the machine or the process is out of something", not "a bug".
EXHAUSTION = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


def is_exhaustion(exc: BaseException) -> bool:
    """Whether ``exc`` says the process ran out of files, buffers or memory."""
    return isinstance(exc, MemoryError) or (isinstance(exc, OSError) and exc.errno in EXHAUSTION)


@dataclass(slots=True)
class _Episode:
    started: float
    last: float
    count: int


class ResourceAlarm:
    """Conditions currently met, each logged when it starts and when it ends."""

    def __init__(
        self,
        *,
        quiet_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger = log,
    ) -> None:
        self.quiet_seconds = quiet_seconds
        self.clock = clock
        self.log = logger
        self._episodes: dict[str, _Episode] = {}

    def active(self, name: str) -> bool:
        return name in self._episodes

    def raised(self, name: str, message: str) -> None:
        """Records one occurrence of condition ``name``; logs ``message`` only if the
        condition was not already met (or had been quiet for ``quiet_seconds``)."""
        now = self.clock()
        episode = self._episodes.get(name)
        if episode is not None and now - episode.last < self.quiet_seconds:
            episode.last = now
            episode.count += 1
            return
        if episode is not None:
            self._ended(name, episode)
        self._episodes[name] = _Episode(now, now, 1)
        self.log.warning("resource limit: %s", message)

    def cleared(self, name: str) -> None:
        """Ends condition ``name`` (logged once, with how often it was met); no-op if not met."""
        episode = self._episodes.pop(name, None)
        if episode is not None:
            self._ended(name, episode)

    def _ended(self, name: str, episode: _Episode) -> None:
        self.log.warning(
            "resource limit cleared: %s (met %d time(s) over %.0f s)",
            name,
            episode.count,
            episode.last - episode.started,
        )
