"""RFC 9457 problem documents: every error answer of the HTTP API is one of these."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

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


def bad_request(detail: str, errors: list[dict[str, str]] | None = None) -> Problem:
    return Problem(400, "bad-request", "Bad request", detail, errors=errors)


def not_found(detail: str) -> Problem:
    return Problem(404, "not-found", "Not found", detail)


@web.middleware
async def problem_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Turns Problems and aiohttp's own HTTP errors into problem documents."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except Problem as problem:
        return problem.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        kind = exc.reason.lower().replace(" ", "-")
        return Problem(exc.status, kind, exc.reason, exc.text or exc.reason).response()
