"""HTTP handlers of the /api/v1 surface: parse and check, call the docks or the core, render.

Each handler first names the action it is (``gate.core.access``, the one table of who may do
what); nothing here can release a licence hold, which only a signed approval does.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gate.config.settings import Client
from gate.core.access import Action
from gate.core.classification import Classification
from gate.core.identifiers import MAX_CODE_LENGTH, Identifier, decode
from gate.core.stack_light import held_signal
from gate.errors import InvalidCode, TableError
from gate.service.docks import KEEP_FINAL, Docks
from gate.service.events import stream
from gate.service.input_checks import foreign_doors
from gate.service.shipment_search import search
from gate.storage import serial_rows
from gate.table.native import Table
from gate.web import app_keys
from gate.web.bodies import (
    DOOR_ACKNOWLEDGE,
    SHIPMENT,
    SHIPMENT_PATCH,
    read_body,
    validate,
    validate_text,
)
from gate.web.limits import busy_problem
from gate.web.negotiation import respond
from gate.web.page import overview
from gate.web.page.handlers import DISPLAY_ROLE
from gate.web.problems import Problem
from gate.web.shipment_docs import door_doc, licence_doc, serials_doc, to_doc
from gate.web.shipment_query import shipment_query


def _client(request: web.Request, action: Action) -> Client:
    """The client behind the request, if its role may take ``action``."""
    client = request.app[app_keys.CLIENTS].authenticate(request, action)
    request[app_keys.ACTOR] = client.name
    return client


def _auth(request: web.Request, action: Action) -> str:
    """The name of the client behind the request, if its role may take ``action``."""
    return _client(request, action).name


def _docks(request: web.Request) -> Docks:
    return request.app[app_keys.DOCKS]


async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return respond(request, {"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: a verified table and every screening list are loaded, the database takes
    writes, no writer has a write in flight longer than its bound (``writer``: which
    writer's oldest write is oldest, and how old), no listening socket is lost, and the
    process is not near its file limit."""
    slot = request.app[app_keys.TABLE]
    docks = request.app.get(app_keys.DOCKS)
    checks: dict[str, Any] = {"table": slot.loaded}
    screening = request.app.get(app_keys.SCREENING)
    checks["lists"] = screening is not None and screening.ready
    # Every listening socket still listens (gate.web.listeners; a lost one is listened again),
    # and the process is not near its file limit (where uvloop turns new connections away
    # without a word: only a client on a connection already open can be told).
    watch = request.app[app_keys.LISTENERS]
    checks["listeners"] = watch.ready
    checks["files"] = not watch.alarm.active("files")
    body: dict[str, Any] = {}
    if docks is not None:
        committer = docks.committer
        stall = committer.check_writers()
        oldest = committer.oldest_write()
        body["writer"] = {
            "kind": oldest[0] if oldest else "process" if committer.writer else "thread",
            "oldest_write_seconds": round(oldest[1], 3) if oldest else None,
            "bound_seconds": committer.stall_bound,
        }
        checks["writer"] = stall is None
        probe = request.app[app_keys.READY_PROBE]
        checks["database"] = (
            docks.failed is None
            and docks.store.locked_out is None  # known: no write needed to tell
            # The probe writes through the store's thread: queued behind a stalled one it
            # would only wait out its timeout.
            and (stall is None or stall[0] != "thread")
            and await probe(docks.store.writable)
        )
    ready = all(checks.values())
    return respond(
        request,
        {"status": "ready" if ready else "not ready", "checks": checks, **body},
        status=200 if ready else 503,
    )


async def metrics(request: web.Request) -> web.Response:
    _auth(request, Action.READ)
    body = request.app[app_keys.METRICS].render()
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


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
        "content": item.content,
        "count": item.count,
    }


#: The lengths of a GTIN written as bare digits (GTIN-8, -12, -13, -14).
GTIN_LENGTHS = frozenset({8, 12, 13, 14})


async def get_item(request: web.Request) -> web.StreamResponse:
    """Decodes a code and classifies it with no shipment."""
    _auth(request, Action.READ)
    code = request.match_info["code"]
    if len(code) > MAX_CODE_LENGTH:
        raise Problem(
            400,
            "invalid-code",
            "Invalid code",
            f"code is longer than {MAX_CODE_LENGTH} characters",
        )
    try:
        item = decode(code)
    except InvalidCode as exc:
        detail = str(exc)
        if code.isdigit() and len(code) not in GTIN_LENGTHS:
            # Digits of no GTIN's length are read as an element string, whose AI the error
            # names ("AI (12) DUE DATE" for "123"): say so for a mistyped GTIN.
            detail += " (read as a GS1 element string: a GTIN has 8, 12, 13 or 14 digits)"
        raise Problem(
            400,
            "invalid-code",
            "Invalid code",
            detail,
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


async def create_shipment(request: web.Request) -> web.StreamResponse:
    actor = _auth(request, Action.CREATE)
    body = await read_body(request)
    validate(body, SHIPMENT)
    shipment = await _docks(request).create(body, actor)
    return respond(request, to_doc(shipment), status=201)


async def amend_shipment(request: web.Request) -> web.StreamResponse:
    """``PATCH /shipments/{id}``: parties, end use or transit, before seal (409 after)."""
    actor = _auth(request, Action.CREATE)
    body = await read_body(request)
    validate(body, SHIPMENT_PATCH)
    shipment = await _docks(request).amend(request.match_info["id"], body, actor)
    return respond(request, to_doc(shipment))


async def list_shipments(request: web.Request) -> web.StreamResponse:
    """``GET /shipments?state=&door=&from=&to=``: closed ones included; a range that starts
    before memory's window reads closed shipments from the database."""
    _auth(request, Action.READ)
    docks = _docks(request)
    query = shipment_query(request.query)
    found, truncated = await search(docks.store, docks.shipments, query, docks.clock() - KEEP_FINAL)
    doc: dict[str, Any] = {"shipments": [to_doc(s) for s in found]}
    if truncated:
        doc["truncated"] = True
    return respond(request, doc)


async def get_shipment(request: web.Request) -> web.StreamResponse:
    _auth(request, Action.READ)
    return respond(request, to_doc(_docks(request).shipment(request.match_info["id"])))


def _whole(text: str) -> bool:
    """Whether a query value is a whole number of a sane length (ASCII digits: ``int`` takes
    others too, and refuses more than 4,300 of them with an error, not an answer)."""
    return text.isascii() and text.isdigit() and len(text) <= 12


async def line_serials(request: web.Request) -> web.StreamResponse:
    """A page of a line's serials (``?after=`` the last serial seen, ``?limit=`` up to
    10,000, 1,000 by default), so a shipment document stays small however many units it
    holds."""
    _auth(request, Action.READ)
    text = request.query.get("limit", "1000")
    if not _whole(text) or not 1 <= int(text) <= serial_rows.MAX_PAGE:
        raise Problem(
            400,
            "bad-request",
            "Bad request",
            f"limit must be a whole number from 1 to {serial_rows.MAX_PAGE}",
        )
    after = request.query.get("after", "")
    if len(after) > MAX_CODE_LENGTH:
        raise Problem(400, "bad-request", "Bad request", "after is longer than any serial")
    epoch = request.query.get("epoch")
    if epoch is not None and not (epoch.isascii() and epoch.isdigit() and len(epoch) < 10):
        raise Problem(400, "bad-request", "Bad request", "epoch must be a whole number")
    doc = await serials_doc(
        _docks(request),
        request.match_info["id"],
        request.match_info["key"],
        after,
        int(text),
        None if epoch is None else int(epoch),
    )
    return respond(request, doc)


async def shipment_history(request: web.Request) -> web.StreamResponse:
    """The shipment's audit records, oldest first: who did what when (``?limit=``, newest
    1000 by default)."""
    _auth(request, Action.READ)
    text = request.query.get("limit", str(overview.HISTORY_LIMIT))
    if not _whole(text) or not 1 <= int(text) <= overview.HISTORY_MAX:
        raise Problem(
            400,
            "bad-request",
            "Bad request",
            f"limit must be a whole number from 1 to {overview.HISTORY_MAX}",
        )
    doc = await overview.history_doc(_docks(request), request.match_info["id"], int(text))
    return respond(request, doc)


async def _no_body(request: web.Request) -> None:
    """Action endpoints take no body; a body that is present must at least be small."""
    if request.content_length and request.content_length > 4096:
        raise Problem(413, "too-large", "Request too large", "this endpoint takes no body")


async def _empty_body(request: web.Request) -> None:
    """An action endpoint's body, if any, must say nothing: an empty JSON or msgpack object
    (what a client library sends for "no body"). Anything else is a client that means
    something the gate would ignore: refused, and nothing done. Raises Problem 413 (large),
    415 (a body of another type), 400 (malformed, or not ``{}``)."""
    await _no_body(request)
    if not await request.read():
        return
    if await read_body(request) != {}:
        raise Problem(
            400,
            "unexpected-body",
            "Unexpected body",
            "this endpoint takes no body: send none, or an empty object {}",
        )


async def seal_shipment(request: web.Request) -> web.StreamResponse:
    """``POST /shipments/{id}/seal``: no body, or ``{}`` (DESIGN.md names none)."""
    actor = _auth(request, Action.SEAL)
    await _empty_body(request)
    return respond(request, to_doc(await _docks(request).seal(request.match_info["id"], actor)))


async def remove_line(request: web.Request) -> web.StreamResponse:
    actor = _auth(request, Action.REMOVE_LINE)
    await _no_body(request)
    shipment = await _docks(request).remove(
        request.match_info["id"], request.match_info["key"], actor
    )
    return respond(request, to_doc(shipment))


async def dispatch_shipment(request: web.Request) -> web.StreamResponse:
    actor = _auth(request, Action.DISPATCH)
    await _no_body(request)
    return respond(request, to_doc(await _docks(request).dispatch(request.match_info["id"], actor)))


async def cancel_shipment(request: web.Request) -> web.StreamResponse:
    actor = _auth(request, Action.CANCEL)
    await _no_body(request)
    return respond(request, to_doc(await _docks(request).cancel(request.match_info["id"], actor)))


async def post_scans(request: web.Request) -> web.StreamResponse:
    """One scan or ``{"scans": [...]}``; one result per scan, each durable before the answer.
    A client bound to doors that sends a scan for another door gets 403 for the whole request,
    before anything is decided."""
    client = _client(request, Action.SCAN)
    body = await read_body(request)
    limit = request.app[app_keys.CONFIG].limits.max_scans_per_request
    if isinstance(body, dict) and set(body) == {"scans"}:
        scans = body["scans"]
        if not isinstance(scans, list):
            raise Problem(
                400,
                "invalid-fields",
                "Invalid fields",
                "scans must be a list",
                errors=[{"field": "scans", "message": "must be a list"}],
            )
        if not scans:
            raise Problem(
                400,
                "invalid-fields",
                "Invalid fields",
                "scans is empty",
                errors=[{"field": "scans", "message": "must not be empty"}],
            )
        if len(scans) > limit:
            raise Problem(
                413, "too-many-scans", "Too many scans", f"at most {limit} scans per request"
            )
    elif isinstance(body, dict):
        scans = [body]
    else:
        raise Problem(
            400,
            "malformed-body",
            "Malformed body",
            'the body must be a scan object or {"scans": [...]}',
        )
    if client.doors is not None:
        foreign = foreign_doors(scans, client.doors)
        if foreign:
            raise Problem(
                403,
                "door-not-allowed",
                "Door not allowed",
                f"client {client.name} may scan at door(s) {', '.join(sorted(client.doors))}"
                f" only; this request has scans for {', '.join(foreign)}: nothing was recorded",
                errors=[{"field": "door", "message": f"not allowed: {', '.join(foreign)}"}],
            )
    results = await _docks(request).scans(scans, client.name, client.doors)
    return respond(request, {"results": results})


def _door(request: web.Request, door: str) -> dict[str, Any]:
    """A door's document with its hold (goods passed without a readable tag) and the lamp
    its stack light shows."""
    doc = door_doc(_docks(request), door)
    holds = request.app.get(app_keys.HOLDS)
    lights = request.app.get(app_keys.LIGHTS)
    hold = doc["hold"] = None if holds is None else holds.doc(door)
    doc["light"] = None if lights is None else lights.lamps(door).shown
    if hold is not None:
        # The door is not what its shipment says while it is held: never green then.
        doc["signal"] = held_signal(doc["signal"], held=True, prohibited_hold=hold["prohibited"])
    return doc


async def list_doors(request: web.Request) -> web.StreamResponse:
    _auth(request, Action.READ)
    return respond(request, {"doors": [_door(request, d) for d in _docks(request).doors]})


async def get_door(request: web.Request) -> web.StreamResponse:
    _auth(request, Action.READ)
    return respond(request, _door(request, request.match_info["door"]))


async def acknowledge_door(request: web.Request) -> web.StreamResponse:
    """An operator releases a door held for goods that passed without a readable tag; the
    body names the count of empty windows they saw (``{"windows": n}``): 409 if another
    came since."""
    actor = _auth(request, Action.ACKNOWLEDGE_DOOR)
    body = await read_body(request)
    validate(body, DOOR_ACKNOWLEDGE)
    validate_text(body, multiline=("body.note",))
    door = request.match_info["door"]
    await request.app[app_keys.HOLDS].acknowledge(
        door, actor, body["windows"], body.get("note") or ""
    )
    return respond(request, _door(request, door))


async def list_licences(request: web.Request) -> web.StreamResponse:
    _auth(request, Action.READ)
    licences = _docks(request).licences.values()
    return respond(
        request, {"licences": [licence_doc(x) for x in sorted(licences, key=lambda x: x.number)]}
    )


async def link(request: web.Request) -> web.StreamResponse:
    """Health of the link to the central office."""
    _auth(request, Action.READ)
    return respond(request, request.app[app_keys.CENTRAL].health.doc())


async def status(request: web.Request) -> web.StreamResponse:
    """Everything the status page shows, as one document: doors with their shipments, holds
    and licence requests, control data age, link health, recent alerts and scans."""
    _auth(request, Action.READ)
    app = request.app
    doc = await overview.status_doc(
        app[app_keys.CONFIG],
        app[app_keys.DOCKS],
        app[app_keys.TABLE],
        app[app_keys.CENTRAL].health,
        app[app_keys.BULLETIN],
        app[app_keys.SCREENING],
        holds=app.get(app_keys.HOLDS),
        lights=app.get(app_keys.LIGHTS),
    )
    return respond(request, doc)


async def list_readers(request: web.Request) -> web.StreamResponse:
    """Health of each configured reader: connected, last read, reads per second, errors."""
    _auth(request, Action.READ)
    readers = request.app.get(app_keys.READERS)
    lights = request.app.get(app_keys.LIGHTS)
    return respond(
        request,
        {
            "readers": [] if readers is None else readers.docs(),
            "outputs": [] if lights is None else lights.docs(),
        },
    )


async def events(request: web.Request) -> web.StreamResponse:
    """The live event stream (SSE), while a stream slot is free; else 503."""
    who = _client(request, Action.READ)
    client = who.name
    slots = request.app[app_keys.EVENT_STREAMS]
    refused = slots.refusal(client, take=True)
    if refused == "holder":
        raise busy_problem(
            "too-many-streams",
            f"client {client} holds {slots.per_holder} event streams, as many as one client"
            " may: close one first",
        )
    if refused is not None:
        request.app[app_keys.ALARM].raised(
            "event-streams", f"{slots.limit} event streams open, the cap: new ones get 503"
        )
        raise busy_problem(
            "too-many-streams",
            f"the gate is serving its limit of {slots.limit} event streams: try again shortly",
        )
    try:
        # The read-only display learns that something changed, never what: it may not read
        # licences, scans or requests (``gate.web.auth.Clients._display``).
        bare = who.role == DISPLAY_ROLE
        return await stream(request, request.app[app_keys.EVENTS], bare=bare)
    finally:
        slots.release(client)
        if slots.taken < slots.limit:
            request.app[app_keys.ALARM].cleared("event-streams")
