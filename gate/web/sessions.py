"""Operator sessions for the status page: who is logged in, until when, and their CSRF token.

A person logs in once on the page (``POST /login``) and is then known by a cookie that holds
a random session token. What makes that safe:

- The token is 256 random bits (``secrets``), kept here only as its SHA-256 digest, so a
  copy of this process's memory or a log line of a key gives nobody a usable cookie.
- A session ends at the first of: logout, ``idle_seconds`` without a request, or
  ``lifetime_seconds`` after login (one shift). An expired session is gone, not renewed.
- Each session has its own CSRF token, handed to the page in the HTML and required in the
  ``X-CSRF-Token`` header of every unsafe request that the cookie authenticates (see
  ``gate.web.auth``). A page of another origin can make the browser send the cookie (the gate's
  ports on one host are one *site*, so SameSite does not stop it) but cannot read the token.
- The store is bounded: past ``max_sessions`` the least recently used session is dropped.

Sessions live in memory: a restart logs everyone out, which is the safe direction.

``LoginThrottle`` bounds password guessing: after ``max_failures`` wrong passwords from one
address (or for one name) within ``window_seconds``, further attempts are refused until the
window has passed, whether the password is right or not.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

COOKIE_NAME = "gate_session"
CSRF_HEADER = "X-CSRF-Token"
IDLE_SECONDS = 30 * 60
LIFETIME_SECONDS = 12 * 60 * 60
MAX_SESSIONS = 1000


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(slots=True)
class Session:
    """One logged-in operator. ``csrf`` is the token their page must echo on changes."""

    operator: str
    csrf: str
    created: float
    last_seen: float
    expires: float

    def csrf_matches(self, presented: str) -> bool:
        """True if ``presented`` is this session's CSRF token (compared in constant time)."""
        return bool(presented) and hmac.compare_digest(self.csrf.encode(), presented.encode())


class SessionStore:
    """The live sessions, keyed by the digest of their token."""

    def __init__(
        self,
        *,
        idle_seconds: float = IDLE_SECONDS,
        lifetime_seconds: float = LIFETIME_SECONDS,
        max_sessions: int = MAX_SESSIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_seconds = idle_seconds
        self.lifetime_seconds = lifetime_seconds
        self.max_sessions = max_sessions
        self.clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, operator: str) -> tuple[str, Session]:
        """A new session for ``operator``; returns the token for the cookie and the session."""
        self._prune()
        now = self.clock()
        token = secrets.token_urlsafe(32)
        session = Session(
            operator=operator,
            csrf=secrets.token_urlsafe(32),
            created=now,
            last_seen=now,
            expires=now + self.lifetime_seconds,
        )
        self._sessions[_digest(token)] = session
        while len(self._sessions) > self.max_sessions:
            self._sessions.popitem(last=False)
        return token, session

    def get(self, token: str) -> Session | None:
        """The live session behind ``token``, marked as seen now; None if unknown or expired."""
        if not token:
            return None
        key = _digest(token)
        session = self._sessions.get(key)
        if session is None:
            return None
        now = self.clock()
        if now >= session.expires or now - session.last_seen >= self.idle_seconds:
            del self._sessions[key]
            return None
        session.last_seen = now
        self._sessions.move_to_end(key)
        return session

    def drop(self, token: str) -> bool:
        """Ends the session behind ``token``; True if there was one."""
        return self._sessions.pop(_digest(token), None) is not None

    def _prune(self) -> None:
        now = self.clock()
        dead = [
            key
            for key, s in self._sessions.items()
            if now >= s.expires or now - s.last_seen >= self.idle_seconds
        ]
        for key in dead:
            del self._sessions[key]


class LoginThrottle:
    """Counts recent wrong passwords per address and per name."""

    def __init__(
        self,
        *,
        max_failures: int = 5,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.clock = clock
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str) -> deque[float]:
        stamps = self._failures.get(key)
        if stamps is None:
            return deque()
        cutoff = self.clock() - self.window_seconds
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
        return stamps

    def wait(self, *keys: str) -> float:
        """0 if a login attempt for these keys may go now, else the seconds until one may."""
        longest = 0.0
        for key in keys:
            stamps = self._recent(key)
            if len(stamps) >= self.max_failures:
                longest = max(longest, stamps[0] + self.window_seconds - self.clock())
        return max(0.0, longest)

    def failed(self, *keys: str) -> None:
        """Records one wrong password against each key."""
        now = self.clock()
        for key in keys:
            stamps = self._failures.setdefault(key, deque(maxlen=self.max_failures))
            stamps.append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def succeeded(self, *keys: str) -> None:
        """Forgets the failures of these keys."""
        for key in keys:
            self._failures.pop(key, None)
