"""Bearer tokens and roles (DESIGN.md "Who may do what").

A wrong or missing token is 401, a wrong role 403; both are answered before a handler
touches anything. Tokens are compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from aiohttp import web

from gate.config import Client, Config
from gate.problems import Problem


class Clients:
    """The configured API clients, looked up by token."""

    def __init__(self, clients: Iterable[Client]) -> None:
        self._clients = tuple(clients)

    @classmethod
    def from_config(cls, config: Config) -> Clients:
        return cls(config.clients)

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
        if client.role not in roles:
            raise Problem(
                403,
                "forbidden",
                "Forbidden",
                f"role {client.role!r} may not do this (allowed: {', '.join(sorted(roles))})",
            )
        return client
