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
from gate.web.problems import Problem


def _reader(request: web.Request) -> str:
    """The name of the client behind the request, if its role may read (an operator's
    session, or the WMS's token: ``gate.core.access``)."""
    name = request.app[app_keys.CLIENTS].authenticate(request, Action.READ).name
    request[app_keys.ACTOR] = name
    return name


async def _status(app: web.Application) -> dict[str, Any]:
    return await overview.status_doc(
        app[app_keys.CONFIG],
        app[app_keys.DOCKS],
        app[app_keys.TABLE],
        app[app_keys.CENTRAL].health,
        app[app_keys.BULLETIN],
        app[app_keys.SCREENING],
    )


async def index(request: web.Request) -> web.StreamResponse:
    """The status page, for a logged-in operator; everyone else goes to the login."""
    session = request.app[app_keys.CLIENTS].session(request)
    if session is None:
        return redirect("/login")
    status = await _status(request.app)
    app = request.app
    text = template("page.html").substitute(
        gate_id=h(status["gate_id"]),
        operator=h(session.operator),
        csrf=h(session.csrf),
        css=h(static_url(app, "page.css")),
        js=h(static_url(app, "page.js")),
        icon=h(static_url(app, "favicon.svg")),
        doors=render_doors(status),
        side=render_side(status),
    )
    return html_page(text)


async def doors_fragment(request: web.Request) -> web.StreamResponse:
    """The doors region, for the page to swap in when something changed."""
    _reader(request)
    return html_page(render_doors(await _status(request.app)))


async def side_fragment(request: web.Request) -> web.StreamResponse:
    """The side region (alerts, control data, link, scans), for the page to swap in."""
    _reader(request)
    return html_page(render_side(await _status(request.app)))


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
