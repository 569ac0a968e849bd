"""Bearer tokens, operator logins and roles (DESIGN.md "Who may do what").

A wrong or missing token is 401, a wrong role 403; both are answered before a handler
touches anything. Tokens are compared in constant time and never logged.

Machines (scanners, the WMS) send a bearer token; an operator on the API sends HTTP Basic
(which a browser, once given it, sends again with any page's request: a change over Basic
that carries a browser's ``Origin`` or ``Sec-Fetch-Site`` must come from the gate's own
origin, as below); an operator on the status page is known by the session cookie of
``gate.web.sessions``. A
cookie is sent by the browser whoever made the page that sends the request, so a request
that the cookie authenticates and that could change something (any method but GET, HEAD,
OPTIONS) must also prove it comes from the gate's own page: it carries the session's CSRF
token in ``X-CSRF-Token`` *and* its ``Origin`` (or, failing that, ``Referer``) is the
gate's own origin (and ``Sec-Fetch-Site``, when the browser sends it, is ``same-origin``).
Anything else is 403 and changes nothing.

What each role may do is ``gate.core.access``'s table; handlers name the action they are.
Wrong operator passwords, on the page or with HTTP Basic, count in one ``LoginThrottle``
(per account, per address, per both: see ``gate.web.sessions``); past its bounds an attempt
is 429 with ``Retry-After`` whether its password is right or not. Credentials that are not
even text (bytes that are not UTF-8) are wrong credentials, never an error of the gate.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import time
from collections.abc import Callable, Iterable

from aiohttp import web

from gate.config.settings import Client, Config, Limits, Operator
from gate.core.access import Action, Role, may, roles_for
from gate.web.problems import ACTOR, Problem
from gate.web.sessions import (
    COOKIE_NAME,
    CSRF_HEADER,
    DISPLAY_COOKIE,
    LoginThrottle,
    Session,
    SessionStore,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


#: An action in a 403's words where its name alone would mislead (CREATE also amends).
_ACTION_WORDS = {Action.CREATE: "create or amend shipments"}


class _Bucket:
    """A token bucket: ``rate`` requests a second, bursts of up to ``burst``."""

    __slots__ = ("burst", "clock", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = float(burst)
        self.stamp = clock()

    def take(self) -> float:
        """0 if a request may go now, else the seconds until one may."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class Clients:
    """The configured API clients (by token) and operators (HTTP Basic), with rate limits."""

    def __init__(
        self,
        clients: Iterable[Client],
        operators: Iterable[Operator] = (),
        limits: Limits | None = None,
        sessions: SessionStore | None = None,
        throttle: LoginThrottle | None = None,
        clock: Callable[[], float] = time.monotonic,
        display_token: str | None = None,
    ) -> None:
        self._display_token = display_token
        self._clients = tuple(clients)
        self._operators = tuple(operators)
        self._limits = limits or Limits()
        self._buckets: dict[str, _Bucket] = {}
        self._clock = clock
        self.sessions = sessions if sessions is not None else SessionStore()
        # A remembered session is signed over its operator's password too: a password changed
        # (it leaked) ends the sessions logged in with the old one, at the restart that applies it.
        self.sessions.binding = self.password_digest
        self.throttle = throttle if throttle is not None else LoginThrottle(clock=clock)

    @classmethod
    def from_config(
        cls,
        config: Config,
        sessions: SessionStore | None = None,
        throttle: LoginThrottle | None = None,
    ) -> Clients:
        return cls(
            config.clients,
            config.operators,
            config.limits,
            sessions,
            throttle,
            display_token=config.page.display_token,
        )

    def is_operator(self, name: str) -> bool:
        """Whether ``name`` is a configured operator's name (names are not secrets)."""
        return any(hmac.compare_digest(op.name.encode(), name.encode()) for op in self._operators)

    def password_digest(self, name: str) -> str:
        """The SHA-256 of operator ``name``'s configured password (empty for no such
        operator): what their remembered sessions are bound to (``SessionStore.binding``)."""
        for op in self._operators:
            if op.name == name:
                return hashlib.sha256(op.password.encode()).hexdigest()
        return ""

    def operator(self, name: str, password: str) -> Operator | None:
        """The operator with this name and password (compared in constant time)."""
        found = None
        for op in self._operators:
            name_ok = hmac.compare_digest(op.name.encode(), name.encode())
            password_ok = hmac.compare_digest(op.password.encode(), password.encode())
            if name_ok and password_ok:
                found = op
        return found

    def login(self, name: str, password: str, address: str | None) -> Operator | None:
        """The operator with this name and password, counting a wrong one against the login
        throttle; None if either is wrong. The page's login and HTTP Basic both come here.

        Raises Problem 429 (with ``Retry-After``) while the name, the address or the two
        together are over their bounds of wrong passwords: the password is then not checked.
        """
        where = address or "unknown"
        wait = self.throttle.check(name, where)
        if wait:
            seconds = max(1, math.ceil(wait))
            raise Problem(
                429,
                "login-throttled",
                "Too many wrong passwords",
                f"too many wrong passwords for this name or from this address: "
                f"try again in {seconds} s",
                headers={"Retry-After": str(seconds)},
            )
        op = self.operator(name, password) if name else None
        if op is None:
            self.throttle.failed_login(name, where)
        else:
            self.throttle.succeeded_login(name, where)
        return op

    def limit(self, who: str) -> None:
        """Raises Problem 429 when ``who`` is over its request rate."""
        bucket = self._buckets.get(who)
        if bucket is None:
            bucket = self._buckets[who] = _Bucket(
                self._limits.rate, self._limits.burst, self._clock
            )
        wait = bucket.take()
        if wait:
            raise Problem(
                429,
                "rate-limited",
                "Too many requests",
                f"client {who!r} is over {self._limits.rate:g} requests per second",
                headers={"Retry-After": str(max(1, round(wait)))},
            )

    def by_token(self, token: str) -> Client | None:
        """The client whose token this is (compared in constant time with every one)."""
        found = None
        # surrogateescape: a header's non-UTF-8 bytes come back as themselves, and match
        # no configured token, instead of raising.
        raw = token.encode("utf-8", "surrogateescape")
        for client in self._clients:
            # Compare against every client so the time taken does not say which matched.
            if hmac.compare_digest(client.token.encode(), raw):
                found = client
        return found

    def authenticate(self, request: web.Request, action: Action) -> Client:
        """The client behind the request's bearer token (or HTTP Basic operator, or, with no
        Authorization header, the page's session cookie), if its role may take ``action``
        (``gate.core.access``).

        Raises Problem 401 (no or unknown token, ended session), 403 (role not allowed, or
        a cookie-authenticated change without the CSRF token or from another origin) or 429
        (over the request rate, or too many wrong passwords).
        """
        header = request.headers.get("Authorization", "")
        if not header and COOKIE_NAME in request.cookies:
            return self._cookie(request, action)
        if not header and DISPLAY_COOKIE in request.cookies:
            return self._display(request, action)
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "basic" and token.strip():
            return self._basic(request, token.strip(), action)
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(
                401,
                "unauthorized",
                "Unauthorized",
                "a bearer token is required",
                headers={"WWW-Authenticate": 'Bearer realm="gate"'},
            )
        client = self.by_token(token.strip())
        if client is None:
            raise Problem(
                401,
                "unauthorized",
                "Unauthorized",
                "the bearer token is not valid",
                headers={"WWW-Authenticate": 'Bearer realm="gate", error="invalid_token"'},
            )
        known(request, client.name)
        self.check_role(client.role, action)
        self.limit(client.name)
        return client

    @staticmethod
    def check_role(role: str, action: Action) -> None:
        """Raises Problem 403 unless ``role`` may take ``action``."""
        if not may(role, action):
            names = sorted(allowed.value for allowed in roles_for(action))
            what = _ACTION_WORDS.get(action, action.value.replace("_", " "))
            raise Problem(
                403,
                "forbidden",
                "Forbidden",
                f"role {getattr(role, 'value', role)!r} may not {what}"
                f" (allowed: {', '.join(names) or 'nobody'})",
            )

    def _basic(self, request: web.Request, token: str, action: Action) -> Client:
        """An operator on the API, with HTTP Basic credentials."""
        try:
            name, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except ValueError:  # not base64 (binascii.Error), not ASCII, not UTF-8
            name, password = "", ""
        op = self.login(name, password, request.remote) if name else None
        if op is None:
            raise Problem(
                401,
                "unauthorized",
                "Unauthorized",
                "operator name or password is wrong",
                headers={"WWW-Authenticate": 'Basic realm="gate"'},
            )
        known(request, op.name)
        if request.method not in SAFE_METHODS and from_a_browser(request):
            # A browser sends cached Basic credentials with any page's request to this
            # origin, a form on another site's page included: a change it makes must come
            # from the gate's own origin, as the cookie's must.
            check_same_origin(request)
        self.check_role(Role.OPERATOR, action)
        self.limit(f"operator:{op.name}")
        return Client(op.name, Role.OPERATOR, "")

    def presented(self, request: web.Request) -> bool:
        """Whether the request names a credential the gate knows, before its body is read:
        a client's bearer token, an operator's name and password over HTTP Basic (a wrong one
        counted against the login throttle, as on any request: this is no way around it), a
        live page session or the display cookie. No role checks. Raises Problem 429 as
        ``login`` does."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            client = self.by_token(token)
            return client is not None and known(request, client.name)
        if scheme.lower() == "basic" and token:
            try:
                name, _, password = base64.b64decode(token, validate=True).decode().partition(":")
            except ValueError:
                return False
            op = self.login(name, password, request.remote)
            return op is not None and known(request, op.name)
        if header:
            return False
        session = self.session(request)
        if session is not None:
            return known(request, session.operator)
        return self.display_matches(request.cookies.get(DISPLAY_COOKIE, "")) and known(
            request, "display"
        )

    def session(self, request: web.Request) -> Session | None:
        """The live page session behind the request's cookie, if any, of an operator this
        configuration still has (no other checks): a signed session taken back after a
        restart names its operator, who may have been removed by that restart."""
        session = self.sessions.get(request.cookies.get(COOKIE_NAME, ""))
        if session is None or not self.is_operator(session.operator):
            return None
        return session

    def _cookie(self, request: web.Request, action: Action) -> Client:
        """An operator on the status page, known by the session cookie; unsafe methods must
        also pass the CSRF checks."""
        session = self.session(request)
        if session is None:
            raise Problem(
                401,
                "unauthorized",
                "Unauthorized",
                "the session has ended: log in again",
            )
        known(request, session.operator)
        if request.method not in SAFE_METHODS:
            check_same_origin(request)
            if not session.csrf_matches(request.headers.get(CSRF_HEADER, "")):
                raise Problem(
                    403,
                    "csrf",
                    "Cross-site request refused",
                    f"a request made with the session cookie must carry the page's {CSRF_HEADER}",
                )
        self.check_role(Role.OPERATOR, action)
        self.limit(f"operator:{session.operator}")
        return Client(session.operator, Role.OPERATOR, "")

    @property
    def has_display(self) -> bool:
        """Whether the config names a read-only display (``[page] display_token``)."""
        return self._display_token is not None

    def display_matches(self, presented: str) -> bool:
        """Whether ``presented`` is the configured read-only display token (constant time);
        False when there is none."""
        want = self._display_token
        return (
            want is not None
            and presented.isascii()
            and hmac.compare_digest(want.encode(), presented.encode())
        )

    def _display(self, request: web.Request, action: Action) -> Client:
        """The read-only display (``[page] display_token``), known by its cookie: it may read,
        never change anything."""
        if not self.display_matches(request.cookies.get(DISPLAY_COOKIE, "")):
            raise Problem(401, "unauthorized", "Unauthorized", "the display token is not valid")
        known(request, "display")
        if action is not Action.READ or request.method not in SAFE_METHODS:
            raise Problem(403, "forbidden", "Forbidden", "the read-only display changes nothing")
        if request.path not in DISPLAY_READS:
            raise Problem(
                403,
                "forbidden",
                "Forbidden",
                "the read-only display shows the doors, the alerts and the health: it reads"
                " nothing else (no shipment documents, licences, clearances or reports)",
            )
        self.limit("display")
        return Client("display", "display", "")


def known(request: web.Request, name: str) -> bool:
    """Names the client whose credential the gate accepted on ``request`` (True), before its
    role and rate are checked: a refusal from then on (403, 429, a bad body) is that client's,
    journaled within its own budget, never among the unauthenticated ones
    (``gate.service.refusals``)."""
    request[ACTOR] = name
    return True


#: What the display's page reads (gate/web/page/static/page.js): the doors and the side panel
#: (alerts, health), and the event stream that tells it when to read them again.
DISPLAY_READS: frozenset[str] = frozenset({"/page/doors", "/page/side", "/api/v1/events"})


def from_a_browser(request: web.Request) -> bool:
    """Whether the request carries a browser's marks of where it was made (``Origin`` or
    ``Sec-Fetch-Site``): an API client sends neither; a browser sends ``Origin`` on every
    POST, whichever page (this gate's or another site's) made it."""
    return "Origin" in request.headers or "Sec-Fetch-Site" in request.headers


def own_origin(request: web.Request) -> str:
    """The origin the browser addressed: scheme and Host header."""
    return f"{request.scheme}://{request.host}".lower()


def check_same_origin(request: web.Request) -> None:
    """Raises Problem 403 unless the request demonstrably comes from a page of this origin.

    ``Origin`` decides when present; without it the ``Referer`` must be on this origin; with
    neither the request is refused (every browser this page supports sends ``Origin`` on a
    POST). ``Sec-Fetch-Site``, when present, must say ``same-origin``: another port on the
    same host is the same *site* but not the same origin.
    """
    expected = own_origin(request)
    origin = request.headers.get("Origin")
    referer = request.headers.get("Referer")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if origin is not None:
        ok = origin.lower() == expected
        shown = origin
    elif referer is not None:
        ok = referer.lower().startswith(expected + "/")
        shown = referer.split("?", 1)[0]
    else:
        ok, shown = False, "no Origin or Referer"
    if ok and fetch_site is not None and fetch_site.lower() != "same-origin":
        ok, shown = False, f"Sec-Fetch-Site: {fetch_site}"
    if not ok:
        raise Problem(
            403,
            "csrf",
            "Cross-site request refused",
            f"this request does not come from the gate's own page ({shown[:200]})",
        )
