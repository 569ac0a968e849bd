"""Bearer tokens, operator logins and roles (DESIGN.md "Who may do what").

A wrong or missing token is 401, a wrong role 403; both are answered before a handler
touches anything. Tokens are compared in constant time and never logged.

Machines (scanners, the WMS) send a bearer token; an operator on the API sends HTTP Basic;
an operator on the status page is known by the session cookie of ``gate.web.sessions``. A
cookie is sent by the browser whoever made the page that sends the request, so a request
that the cookie authenticates and that could change something (any method but GET, HEAD,
OPTIONS) must also prove it comes from the gate's own page: it carries the session's CSRF
token in ``X-CSRF-Token`` *and* its ``Origin`` (or, failing that, ``Referer``) is the
gate's own origin (and ``Sec-Fetch-Site``, when the browser sends it, is ``same-origin``).
Anything else is 403 and changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Iterable

from aiohttp import web

from gate.config.settings import Client, Config, Limits, Operator
from gate.web.problems import Problem
from gate.web.sessions import COOKIE_NAME, CSRF_HEADER, Session, SessionStore

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _Bucket:
    """A token bucket: ``rate`` requests a second, bursts of up to ``burst``."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> float:
        """0 if a request may go now, else the seconds until one may."""
        now = time.monotonic()
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
    ) -> None:
        self._clients = tuple(clients)
        self._operators = tuple(operators)
        self._limits = limits or Limits()
        self._buckets: dict[str, _Bucket] = {}
        self.sessions = sessions if sessions is not None else SessionStore()

    @classmethod
    def from_config(cls, config: Config, sessions: SessionStore | None = None) -> Clients:
        return cls(config.clients, config.operators, config.limits, sessions)

    def operator(self, name: str, password: str) -> Operator | None:
        """The operator with this name and password (compared in constant time)."""
        found = None
        for op in self._operators:
            name_ok = hmac.compare_digest(op.name.encode(), name.encode())
            password_ok = hmac.compare_digest(op.password.encode(), password.encode())
            if name_ok and password_ok:
                found = op
        return found

    def limit(self, who: str) -> None:
        """Raises Problem 429 when ``who`` is over its request rate."""
        bucket = self._buckets.get(who)
        if bucket is None:
            bucket = self._buckets[who] = _Bucket(self._limits.rate, self._limits.burst)
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
        found = None
        raw = token.encode()
        for client in self._clients:
            # Compare against every client so the time taken does not say which matched.
            if hmac.compare_digest(client.token.encode(), raw):
                found = client
        return found

    def authenticate(self, request: web.Request, roles: frozenset[str]) -> Client:
        """The client behind the request's bearer token (or HTTP Basic operator, or, with no
        Authorization header, the page's session cookie), if its role is one of ``roles``.

        Raises Problem 401 (no or unknown token, ended session) or 403 (role not allowed, or
        a cookie-authenticated change without the CSRF token or from another origin).
        """
        header = request.headers.get("Authorization", "")
        if not header and COOKIE_NAME in request.cookies:
            return self._cookie(request, roles)
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "basic" and token.strip():
            return self._basic(token.strip(), roles)
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
        self.check_role(client.role, roles)
        self.limit(client.name)
        return client

    @staticmethod
    def check_role(role: str, roles: frozenset[str]) -> None:
        if role not in roles:
            raise Problem(
                403,
                "forbidden",
                "Forbidden",
                f"role {role!r} may not do this (allowed: {', '.join(sorted(roles))})",
            )

    def _basic(self, token: str, roles: frozenset[str]) -> Client:
        """An operator on the API, with HTTP Basic credentials."""
        try:
            name, _, password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            name, password = "", ""
        op = self.operator(name, password) if name else None
        if op is None:
            raise Problem(
                401,
                "unauthorized",
                "Unauthorized",
                "operator name or password is wrong",
                headers={"WWW-Authenticate": 'Basic realm="gate"'},
            )
        self.check_role("operator", roles)
        self.limit(f"operator:{op.name}")
        return Client(op.name, "operator", "")

    def session(self, request: web.Request) -> Session | None:
        """The live page session behind the request's cookie, if any (no other checks)."""
        return self.sessions.get(request.cookies.get(COOKIE_NAME, ""))

    def _cookie(self, request: web.Request, roles: frozenset[str]) -> Client:
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
        if request.method not in SAFE_METHODS:
            check_same_origin(request)
            if not session.csrf_matches(request.headers.get(CSRF_HEADER, "")):
                raise Problem(
                    403,
                    "csrf",
                    "Cross-site request refused",
                    f"a request made with the session cookie must carry the page's {CSRF_HEADER}",
                )
        self.check_role("operator", roles)
        self.limit(f"operator:{session.operator}")
        return Client(session.operator, "operator", "")


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
