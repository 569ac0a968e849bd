"""Bearer tokens and roles (DESIGN.md "Who may do what").

A wrong or missing token is 401, a wrong role 403; both are answered before a handler
touches anything. Tokens are compared in constant time and never logged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Iterable

from aiohttp import web

from gate.config import Client, Config, Limits, Operator
from gate.problems import Problem


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
    ) -> None:
        self._clients = tuple(clients)
        self._operators = tuple(operators)
        self._limits = limits or Limits()
        self._buckets: dict[str, _Bucket] = {}

    @classmethod
    def from_config(cls, config: Config) -> Clients:
        return cls(config.clients, config.operators, config.limits)

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
        """The client behind the request's bearer token, if its role is one of ``roles``.

        Raises Problem 401 (no or unknown token) or 403 (role not allowed).
        """
        header = request.headers.get("Authorization", "")
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
