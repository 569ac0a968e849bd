"""HTTP handlers of the /api/v1 surface: parse and check, call the core, render."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gate import app_keys
from gate.core.classification import Classification
from gate.core.identifiers import Identifier, decode
from gate.errors import InvalidCode, TableError
from gate.lookup_table import Table
from gate.problems import Problem
from gate.render import respond

READ_ROLES = frozenset({"wms", "operator"})
MAX_CODE_LENGTH = 512


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: a verified control table is loaded."""
    slot = request.app[app_keys.TABLE]
    checks: dict[str, Any] = {"table": slot.loaded}
    ready = all(checks.values())
    return web.json_response(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )


def classification_json(c: Classification | None) -> dict[str, Any] | None:
    if c is None or not c.listed:
        return None
    return {
        "control": c.control,
        "category": c.category,
        "title": c.title,
        "flags": sorted(c.flags),
    }


def item_json(item: Identifier) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "key": item.key,
        "serial": item.serial,
        "sscc": item.sscc,
        "batch": item.batch,
    }


async def get_item(request: web.Request) -> web.StreamResponse:
    """Decodes a code and classifies it with no shipment."""
    request.app[app_keys.CLIENTS].authenticate(request, READ_ROLES)
    code = request.match_info["code"]
    if len(code) > MAX_CODE_LENGTH:
        raise Problem(400, "invalid-code", "Invalid code", "code is longer than 512 characters")
    try:
        item = decode(code)
    except InvalidCode as exc:
        raise Problem(
            400,
            "invalid-code",
            "Invalid code",
            str(exc),
            errors=[{"field": exc.field, "message": exc.reason}],
        ) from exc
    table: Table = request.app[app_keys.TABLE].current()
    classification = None
    try:
        if item.key is not None:
            classification = table.lookup(item.key)
    except TableError as exc:
        raise Problem(503, "table-error", "Control table error", str(exc)) from exc
    body: dict[str, Any] = {
        "code": code,
        "item": item_json(item),
        "in_table": classification is not None,
        "description": classification.description if classification else None,
        "classification": classification_json(classification),
        "table": {"version": table.info.version, "built_at": table.info.built_at.isoformat()},
    }
    if item.key is None:
        body["note"] = "a logistics unit: its contents come from a shipment's manifest"
    elif classification is None:
        body["note"] = "not in table"
    return respond(request, body)
