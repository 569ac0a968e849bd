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

Without a key, sessions live in memory: a restart logs everyone out. With a key folder
(``SessionStore(key_folder=...)``, the database's folder; ``[page] remember_sessions``), a panel
at the dock stays logged in across a restart of the gate: the token is then signed,
``v1.<operator>.<issued>.<nonce>.<mac>`` with an HMAC-SHA256 over the rest (and over the
operator's ``binding``, the digest of their password: a changed password ends their tokens)
under a 256-bit key kept in ``page-session.key`` (created at the first need, mode 0600), and a
token this process has not seen is taken back into memory if its signature holds and ``issued``
plus the lifetime has not passed (wall clock, since a restart resets the monotonic one; the idle
time counts again from there). Its CSRF token is derived from the session token under the same
key, so the page loaded before the restart keeps working. A logout is written to
``page-session.revoked`` (the token's digest and its end) and a revoked token is never taken
back. Losing the key folder logs everyone out; deleting the key file does too, on purpose.

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

import base64
import hashlib
import hmac
import os
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

COOKIE_NAME = "gate_session"
#: The read-only display's cookie (``[page] display_token``; ``gate.web.auth``).
DISPLAY_COOKIE = "gate_display"
CSRF_HEADER = "X-CSRF-Token"
IDLE_SECONDS = 30 * 60
LIFETIME_SECONDS = 12 * 60 * 60
MAX_SESSIONS = 1000
KEY_FILE = "page-session.key"
REVOKED_FILE = "page-session.revoked"


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
        key_folder: Path | None = None,
        wall: Callable[[], float] = time.time,
        binding: Callable[[str], str] | None = None,
    ) -> None:
        self.idle_seconds = idle_seconds
        self.lifetime_seconds = lifetime_seconds
        self.max_sessions = max_sessions
        self.clock = clock
        self.wall = wall
        self.key_folder = key_folder
        #: What a signed token is bound to besides its text, per operator (``Clients`` gives
        #: the digest of their password): change it and the operator's tokens are not taken
        #: back after a restart.
        self.binding: Callable[[str], str] = binding or (lambda operator: "")
        self._key: bytes | None = None
        self._revoked: dict[str, float] | None = None
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    # --- signed tokens (with a key folder) ---------------------------------------------------

    def _signing_key(self) -> bytes | None:
        """The key in the key folder, created (0600) if there is none; None without a folder."""
        if self.key_folder is None:
            return None
        if self._key is None:
            path = self.key_folder / KEY_FILE
            try:
                self.key_folder.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                key = path.read_bytes()
            else:
                key = secrets.token_bytes(32)
                with os.fdopen(fd, "wb") as f:
                    f.write(key)
                    f.flush()
                    os.fsync(f.fileno())
            if len(key) < 32:
                raise ValueError(f"{path}: the session key is too short; delete it to make one")
            self._key = key
        return self._key

    def _mac(self, key: bytes, what: str) -> str:
        mac = hmac.new(key, what.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def _bound(self, body: str, operator: str) -> str:
        """What a token's MAC covers: its text, and the operator's binding when there is one
        (a store without one signs as before)."""
        bound = self.binding(operator)
        return f"{body}|{bound}" if bound else body

    def _revoked_tokens(self) -> dict[str, float]:
        """Digest -> wall time its session would have ended, read once from the folder."""
        if self._revoked is None:
            self._revoked = {}
            if self.key_folder is not None:
                path = self.key_folder / REVOKED_FILE
                if path.exists():
                    now = self.wall()
                    rows = path.read_text("ascii", "replace").splitlines()
                    for row in rows:
                        digest, _, ends = row.partition(" ")
                        try:
                            if float(ends) > now:
                                self._revoked[digest] = float(ends)
                        except ValueError:
                            continue
                    if len(self._revoked) < len(rows):
                        # Logouts of sessions that have ended anyway: forgotten, so the file
                        # stays as small as the sessions that could still come back.
                        kept = "".join(f"{d} {e:.0f}\n" for d, e in self._revoked.items())
                        fresh = path.with_suffix(".tmp")
                        fresh.write_text(kept, "ascii")
                        os.replace(fresh, path)
        return self._revoked

    def _restore(self, token: str) -> Session | None:
        """The session of a signed token from before a restart, if it still holds."""
        key = self._signing_key()
        parts = token.split(".")
        if key is None or len(parts) != 5 or parts[0] != "v1":
            return None
        revoked = self._revoked_tokens()
        body = ".".join(parts[:4])
        try:
            operator = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode()
            issued = int(parts[2])
        except (ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(self._mac(key, self._bound(body, operator)), parts[4]):
            return None
        left = issued + self.lifetime_seconds - self.wall()
        if left <= 0 or left > self.lifetime_seconds or _digest(token) in revoked:
            return None
        now = self.clock()
        session = Session(operator, self._mac(key, "csrf|" + token), now, now, now + left)
        self._sessions[_digest(token)] = session
        return session

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self, operator: str) -> tuple[str, Session]:
        """A new session for ``operator``; returns the token for the cookie and the session."""
        self._prune()
        now = self.clock()
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        key = self._signing_key()
        if key is not None:
            name = base64.urlsafe_b64encode(operator.encode()).decode().rstrip("=")
            body = f"v1.{name}.{int(self.wall())}.{secrets.token_urlsafe(16)}"
            token = f"{body}.{self._mac(key, self._bound(body, operator))}"
            csrf = self._mac(key, "csrf|" + token)
        session = Session(
            operator=operator,
            csrf=csrf,
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
            session = self._restore(token)
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
        session = self._sessions.pop(_digest(token), None)
        if session is not None and self._signing_key() is not None:
            self._revoke(token, session)
        return session is not None

    def _revoke(self, token: str, session: Session) -> None:
        """Remembers a logout beside the key, so the token is not taken back after a restart."""
        assert self.key_folder is not None
        ends = self.wall() + (session.expires - self.clock())
        self._revoked_tokens()[_digest(token)] = ends
        with (self.key_folder / REVOKED_FILE).open("a", encoding="ascii") as f:
            f.write(f"{_digest(token)} {ends:.0f}\n")
            f.flush()
            os.fsync(f.fileno())

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
