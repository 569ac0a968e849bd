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

``LoginThrottle`` bounds password guessing, for the page's login and HTTP Basic alike (one
throttle, so the two doors share one count). A wrong password counts against three keys, each
with its own bound over a sliding ``window_seconds``:

- the account *from this address* (``per_pair``, 5): one guesser on one account;
- the account from anywhere (``per_account``, 20): guessing spread over many addresses;
- the address, whatever account (``per_address``, 20): one address trying many accounts.

An attempt is refused (429 with ``Retry-After``), right password or not, while any of its
keys is at its bound. So one attacker's guesses at ``alice`` lock ``alice`` from that address
after 5, but ``bob`` behind the same address logs in until that address has 20 failures in
the window (which one account alone cannot give it: its pair locks at 5); a lock of an account
from everywhere needs guesses from at least four addresses. A right password forgets only
its own pair's failures: the account's and the address's stay, or a guesser who also holds
one valid login could wipe its own count. Refused attempts are not counted (they were not
checked), so a lock ends ``window_seconds`` after the failure that caused it.
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
        # Tokens are ASCII; a header with other bytes (aiohttp keeps them as surrogates) is
        # simply not the token, and must not raise on the way to saying so.
        return (
            bool(presented)
            and presented.isascii()
            and hmac.compare_digest(self.csrf.encode(), presented.encode())
        )


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
        """The live session behind ``token``, marked as seen now; None if unknown or expired
        (or not a token at all: session tokens are ASCII)."""
        if not token or not token.isascii():
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
        if not token.isascii():
            return False
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
    """Counts recent wrong passwords per account, per address and per account-and-address.

    ``check``/``failed_login``/``succeeded_login`` take an account name and an address (what
    ``gate.web.auth.Clients.login`` uses). ``wait``/``failed``/``succeeded`` take raw keys
    (``"addr:..."``), each bounded by ``per_pair``: the page's older per-address count, until
    the page asks ``Clients.login`` too.
    """

    def __init__(
        self,
        *,
        per_pair: int = 5,
        per_account: int = 20,
        per_address: int = 20,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
        max_failures: int | None = None,
    ) -> None:
        # max_failures is the old name of per_pair (one bound for every key).
        self.per_pair = per_pair if max_failures is None else max_failures
        self.per_account = per_account
        self.per_address = per_address
        self.window_seconds = window_seconds
        self.clock = clock
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    @staticmethod
    def keys(account: str, address: str) -> tuple[str, str, str]:
        """The (pair, account, address) keys of a login attempt. Names are cut to 128
        characters so that a long made-up name costs no more memory than a short one."""
        account = account[:128]
        # The length prefix keeps pairs apart whatever characters the address or name hold.
        return (
            f"pair:{len(address)}:{address}:{account}",
            f"account:{account}",
            f"address:{address}",
        )

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

    def _wait(self, bounded: list[tuple[str, int]]) -> float:
        longest = 0.0
        for key, bound in bounded:
            stamps = self._recent(key)
            if len(stamps) >= bound:
                # The bound-th most recent failure leaves the window last among the ones
                # that keep the key locked.
                longest = max(longest, stamps[-bound] + self.window_seconds - self.clock())
        return max(0.0, longest)

    def _record(self, bounded: list[tuple[str, int]]) -> None:
        now = self.clock()
        for key, bound in bounded:
            stamps = self._failures.get(key)
            if stamps is None or stamps.maxlen != bound:
                stamps = self._failures[key] = deque(stamps or (), maxlen=bound)
            stamps.append(now)
            self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def _bounded(self, account: str, address: str) -> list[tuple[str, int]]:
        pair, acct, addr = self.keys(account, address)
        return [(pair, self.per_pair), (acct, self.per_account), (addr, self.per_address)]

    def check(self, account: str, address: str) -> float:
        """0 if a login to ``account`` from ``address`` may be tried now, else the seconds
        until one may."""
        return self._wait(self._bounded(account, address))

    def failed_login(self, account: str, address: str) -> None:
        """Records one wrong password for ``account`` from ``address``."""
        self._record(self._bounded(account, address))

    def succeeded_login(self, account: str, address: str) -> None:
        """Forgets the failures of this account from this address (and only those)."""
        self._failures.pop(self.keys(account, address)[0], None)

    def wait(self, *keys: str) -> float:
        """0 if an attempt counted against these raw keys may go now, else the seconds until
        one may (each key bounded by ``per_pair``)."""
        return self._wait([(key, self.per_pair) for key in keys])

    def failed(self, *keys: str) -> None:
        """Records one wrong password against each raw key."""
        self._record([(key, self.per_pair) for key in keys])

    def succeeded(self, *keys: str) -> None:
        """Forgets the failures of these raw keys."""
        for key in keys:
            self._failures.pop(key, None)
