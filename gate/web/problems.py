"""RFC 9457 problem documents: every error answer of the HTTP API is one of these.

``problem_middleware`` is the one place where errors become answers: a ``Problem`` as it is,
a domain error by the table ``ERROR_STATUS``, aiohttp's own HTTP errors by their status, and
anything else (a bug, or the machine out of files) as a 500 (or 503) problem whose body says
nothing of the cause: no traceback, no exception text (it could hold a secret or a path). The
cause goes to the log, with its traceback for a bug, once per episode for exhaustion.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from gate.errors import (
    Conflict,
    DispatchRefused,
    GateError,
    InvalidApproval,
    InvalidCode,
    InvalidCountry,
    InvalidShipment,
    NotFound,
    PolicyError,
    StateError,
    TableError,
    Unavailable,
    UnknownLine,
)
from gate.web.alarms import ResourceAlarm, is_exhaustion

log = logging.getLogger("gate.web.problems")

PROBLEM_TYPE_BASE = "https://gate.invalid/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"


class Problem(Exception):
    """An HTTP error answer; the middleware renders it as ``application/problem+json``.

    ``kind`` becomes the ``type`` URI (``.../problems/<kind>``); ``errors`` lists field
    errors as ``{"field": ..., "message": ...}``.
    """

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.errors = errors
        self.extra = extra or {}
        self.headers = headers or {}

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            doc["errors"] = self.errors
        doc.update(self.extra)
        return doc

    def response(self) -> web.Response:
        return web.Response(
            status=self.status,
            text=json.dumps(self.document()),
            content_type=PROBLEM_CONTENT_TYPE,
            headers=self.headers,
        )


#: Domain error -> (status, type slug, title); first match wins.
ERROR_STATUS: tuple[tuple[type[GateError], tuple[int, str, str]], ...] = (
    (UnknownLine, (404, "not-found", "Not found")),
    (NotFound, (404, "not-found", "Not found")),
    (DispatchRefused, (409, "dispatch-refused", "Dispatch refused")),
    (StateError, (409, "wrong-state", "Not allowed in this state")),
    (Conflict, (409, "conflict", "Conflict")),
    (InvalidCode, (400, "invalid-code", "Invalid code")),
    (InvalidCountry, (400, "invalid-country", "Invalid country code")),
    (InvalidShipment, (400, "invalid-shipment", "Invalid shipment")),
    (InvalidApproval, (400, "invalid-approval", "Invalid approval")),
    (PolicyError, (400, "invalid-policy", "Invalid policy")),
    (Unavailable, (503, "unavailable", "Service unavailable")),
    (TableError, (503, "table-error", "Control table error")),
)


def bad_request(detail: str, errors: list[dict[str, str]] | None = None) -> Problem:
    return Problem(400, "bad-request", "Bad request", detail, errors=errors)


def not_found(detail: str) -> Problem:
    return Problem(404, "not-found", "Not found", detail)


def from_error(exc: GateError) -> Problem:
    """The HTTP answer for a domain error (h11's error_status_hint idea, as a table)."""
    for kind, (status, slug, title) in ERROR_STATUS:
        if isinstance(exc, kind):
            extra: dict[str, Any] = {}
            if isinstance(exc, StateError):
                extra = {"shipment": exc.shipment_id, "state": exc.state}
            if isinstance(exc, DispatchRefused):
                extra["blocking"] = [
                    {"key": key, "decision": decision, "reasons": list(reasons)}
                    for key, decision, reasons in exc.blocking
                ]
            if isinstance(exc, Conflict):
                extra.update(exc.extra)
            errors = None
            if isinstance(exc, InvalidCode | InvalidCountry):
                errors = [{"field": getattr(exc, "field", "country"), "message": str(exc)}]
            elif isinstance(exc, InvalidShipment) and exc.field is not None:
                errors = [{"field": exc.field, "message": str(exc)}]
            headers: dict[str, str] = {}
            if isinstance(exc, Unavailable) and exc.retry_after is not None:
                headers["Retry-After"] = str(exc.retry_after)
            return Problem(
                status, slug, title, str(exc), errors=errors, extra=extra, headers=headers
            )
    return internal()


def internal() -> Problem:
    """The answer to a failure the gate did not foresee; its cause is only in the log."""
    return Problem(500, "internal", "Internal error", "the gate could not do this")


def exhausted() -> Problem:
    return Problem(
        503,
        "resource-limit",
        "Service busy",
        "the gate is out of a resource (files or memory): try again shortly",
        headers={"Retry-After": "1"},
    )


@web.middleware
async def problem_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turns Problems, domain errors, aiohttp's own HTTP errors and any other exception into
    problem documents: no plain-text error escapes."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except Problem as problem:
        return await _answer(request, problem)
    except GateError as exc:
        mapped = from_error(exc)
        if mapped.status == 500:
            log.exception("unmapped error answering %s %s", request.method, request.path[:200])
        return await _answer(request, mapped)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        kind = exc.reason.lower().replace(" ", "-")
        # A 405 keeps its Allow header (RFC 9110 15.5.6): the methods the resource has.
        kept = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        return await _answer(
            request, Problem(exc.status, kind, exc.reason, _detail(request, exc), headers=kept)
        )
    except ConnectionResetError:
        # The client went away mid-request (a body cut short): nothing was read or changed
        # and nobody is there to answer. Not the gate's error: a traceback or a journal
        # record each would let anyone, unauthenticated, fill the log or the journal.
        log.debug("client went away: %s %s", request.method, request.path[:200])
        return Problem(400, "connection-closed", "Connection closed", "mid-request").response()
    except Exception as exc:
        if is_exhaustion(exc):
            alarm = request.app.get(ALARM)
            if alarm is not None:
                alarm.raised("exhaustion", f"{type(exc).__name__}: {exc}")
            return await _answer(request, exhausted())
        log.exception("unexpected error answering %s %s", request.method, request.path[:200])
        return await _answer(request, internal())


def _detail(request: web.Request, exc: web.HTTPException) -> str:
    """What aiohttp's own error says, in words: its router's 404 and 405 name the path (and
    the methods it takes) instead of ``404: Not Found``."""
    path = request.path[:200]
    if isinstance(exc, web.HTTPNotFound) and exc.text == "404: Not Found":
        where = "" if path.startswith("/api/v1/") else " (the API is under /api/v1/)"
        return f"no route {request.method} {path}{where}"
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return f"{request.method} is not allowed on {path} (it takes {allowed})"
    return exc.text or exc.reason


#: Set by the app: journals a refused request (the docks' record_rejection).
REJECTION_RECORDER = web.AppKey("rejection_recorder", object)
#: The resource limits met, logged once each (gate.web.alarms).
ALARM = web.AppKey("alarm", ResourceAlarm)
#: The authenticated client's name, for the audit of a refused request.
ACTOR = web.RequestKey("actor", str)


async def _answer(request: web.Request, problem: Problem) -> web.Response:
    """The problem's response, after journaling the refusal of an API request (a refusal
    that cannot be journaled is still answered: the failure to journal is logged)."""
    record = request.app.get(REJECTION_RECORDER)
    if record is not None and request.path.startswith("/api/") and problem.status != 503:
        try:
            await record(  # type: ignore[operator]
                {
                    "method": request.method,
                    "path": request.path[:200],
                    "status": problem.status,
                    "type": problem.kind,
                    "detail": problem.detail[:500],
                    "actor": request.get(ACTOR),
                    "remote": request.remote,
                }
            )
        except Exception as exc:
            log.error("could not journal a refused request: %s", type(exc).__name__)
    return problem.response()
