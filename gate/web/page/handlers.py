"""The operator status page: ``GET /`` and the HTML fragments its script fetches again.

The page answers one question from across the room: can this truck leave, and if not, why
not and what happens next. It is plain server-rendered HTML (the templates, and the
fragments of ``gate.web.page.render``) plus one small script (static/page.js) that listens
to ``/api/v1/events`` and, when something changes, fetches a fragment here again and swaps
it in. The script only fetches, swaps, ticks the "waiting for" clocks and asks for
confirmation before an action.

Actions (seal, remove a line, dispatch, cancel) call the existing API endpoints with the
session cookie and the session's CSRF token (see ``gate.web.auth`` and
``gate.web.sessions``). The login and logout are ``gate.web.page.login``'s; the background
tasks that keep the page's alerts current are ``gate.web.page.live``'s.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gate.core.access import Action
from gate.web import app_keys
from gate.web.page import overview
from gate.web.page.render.doors import render_doors
from gate.web.page.render.history import render_history
from gate.web.page.render.markup import h
from gate.web.page.render.side import render_side
from gate.web.page.responses import html_page, redirect, static_url, template
from gate.web.page.search import search_form
from gate.web.problems import Problem
from gate.web.sessions import DISPLAY_COOKIE

#: The role the read-only display authenticates as (``gate.web.auth.Clients``).
DISPLAY_ROLE = "display"


def _reader(request: web.Request) -> bool:
    """Checks that the client behind the request may read (an operator's session, the WMS's
    token, the read-only display: ``gate.core.access``); True for the read-only display."""
    client = request.app[app_keys.CLIENTS].authenticate(request, Action.READ)
    request[app_keys.ACTOR] = client.name
    return client.role == DISPLAY_ROLE


async def _status(app: web.Application) -> dict[str, Any]:
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
    mqtt = app[app_keys.MQTT]
    doc["mqtt"] = None if mqtt is None else mqtt.health.doc()
    return doc


def _page(app: web.Application, status: dict[str, Any], who: str, csrf: str, ro: bool) -> str:
    return template("page.html").substitute(
        gate_id=h(status["gate_id"]),
        who=who,
        csrf=h(csrf),
        mode="display" if ro else "operator",
        login="/display" if ro else "/login",
        # The reports need an operator's login: the read-only display has no link to them.
        reports="" if ro else '<a class="btn btn-quiet btn-small" href="/reports">Reports</a>',
        css=h(static_url(app, "page.css")),
        js=h(static_url(app, "page.js")),
        icon=h(static_url(app, "favicon.svg")),
        doors=render_doors(status, readonly=ro),
        side=render_side(status, readonly=ro),
        search=search_form([(d["id"], d["name"]) for d in status["doors"]]),
    )


async def index(request: web.Request) -> web.StreamResponse:
    """The status page, for a logged-in operator; everyone else goes to the login."""
    session = request.app[app_keys.CLIENTS].session(request)
    if session is None:
        return redirect("/login")
    who = (
        f"<span>Operator <strong>{h(session.operator)}</strong></span>"
        '<form method="post" action="/logout" class="logout">'
        f'<input type="hidden" name="csrf" value="{h(session.csrf)}">'
        '<button type="submit" class="btn btn-quiet btn-small" id="logout">Log out</button>'
        "</form>"
    )
    return html_page(_page(request.app, await _status(request.app), who, session.csrf, False))


async def display(request: web.Request) -> web.StreamResponse:
    """The read-only display (``[page] display_token``): ``/display?token=...`` once sets its
    cookie and comes back without the token in the address; then the doors, live, without a
    login and without a single button that changes anything. 401 without a valid token; 404
    when the config names no display token."""
    clients = request.app[app_keys.CLIENTS]
    if not clients.has_display:
        raise Problem(
            404,
            "not-found",
            "Not found",
            "this gate has no read-only display: set [page] display_token in its config",
        )
    token = request.query.get("token")
    if token is not None:
        if not clients.display_matches(token):
            raise Problem(401, "unauthorized", "Unauthorized", "the display token is not valid")
        response = redirect("/display")
        response.set_cookie(
            DISPLAY_COOKIE,
            token,
            httponly=True,
            samesite="Strict",
            path="/",
            secure=request.secure,
            max_age=10 * 365 * 24 * 3600,
        )
        return response
    if not clients.display_matches(request.cookies.get(DISPLAY_COOKIE, "")):
        raise Problem(
            401, "unauthorized", "Unauthorized", "open /display?token=... with the display token"
        )
    request[app_keys.ACTOR] = "display"
    who = '<span class="display-mode">Read-only display</span>'
    return html_page(_page(request.app, await _status(request.app), who, "", True))


async def doors_fragment(request: web.Request) -> web.StreamResponse:
    """The doors region, for the page to swap in when something changed."""
    ro = _reader(request)
    return html_page(render_doors(await _status(request.app), readonly=ro))


async def side_fragment(request: web.Request) -> web.StreamResponse:
    """The side region (alerts, control data, link, scans), for the page to swap in."""
    ro = _reader(request)
    return html_page(render_side(await _status(request.app), readonly=ro))


async def history_fragment(request: web.Request) -> web.StreamResponse:
    """One shipment's history, for the page's dialog. Raises NotFound (404) for a shipment
    the gate has never had."""
    _reader(request)
    doc = await overview.history_doc(request.app[app_keys.DOCKS], request.match_info["id"])
    return html_page(render_history(doc))


async def acknowledge_alert(request: web.Request) -> web.StreamResponse:
    """An operator acknowledges an alert shown on the page (same-origin, CSRF token): the
    acknowledgement is journaled with their name and kept with the alert. Raises Problem 400
    for an id that is not a number, NotFound (404) for an alert not shown."""
    client = request.app[app_keys.CLIENTS].authenticate(request, Action.ACKNOWLEDGE)
    request[app_keys.ACTOR] = client.name
    try:
        alert_id = int(request.match_info["id"])
    except ValueError:
        raise Problem(400, "bad-request", "Bad request", "an alert id is a number") from None
    alert = await request.app[app_keys.BULLETIN].book.acknowledge(alert_id, client.name)
    request.app[app_keys.EVENTS].publish(
        "page", {"what": "alert_acknowledged", "id": alert_id, "by": alert["acked_by"]}
    )
    return web.json_response(
        {"id": alert_id, "acked_by": alert["acked_by"], "acked_at": alert["acked_at"]}
    )
