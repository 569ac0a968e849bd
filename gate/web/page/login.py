"""The operator's login and logout: a name and password for a session cookie.

A login is refused from another origin and throttled per account and per address after wrong
passwords (``Clients.login``, the same bounds as HTTP Basic). The session's CSRF token goes into
the page, and every action and the logout must present it. Logins, failed logins and logouts
are journaled by ``_record``.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from gate.errors import GateError
from gate.web import app_keys
from gate.web.auth import check_same_origin
from gate.web.page.render.markup import h, icon
from gate.web.page.responses import html_page, redirect, static_url, template
from gate.web.problems import Problem
from gate.web.sessions import COOKIE_NAME, CSRF_HEADER

log = logging.getLogger("gate.web.page.login")

MAX_NAME = 100
MAX_PASSWORD = 256


def _login_page(
    app: web.Application, message: str = "", name: str = "", status: int = 200
) -> web.Response:
    """The login form, with ``message`` (escaped) above it and ``name`` filled in."""
    text = template("login.html").substitute(
        gate_id=h(app[app_keys.CONFIG].gate_id),
        css=h(static_url(app, "page.css")),
        icon=h(static_url(app, "favicon.svg")),
        message=(
            f'<p class="login-error" role="alert">{icon("i-stop")} {h(message)}</p>'
            if message
            else ""
        ),
        name=h(name),
    )
    return html_page(text, status)


async def login_form(request: web.Request) -> web.StreamResponse:
    """The login form; an operator already logged in goes straight to the page."""
    if request.app[app_keys.CLIENTS].session(request) is not None:
        return redirect("/")
    return _login_page(request.app)


async def _record(app: web.Application, kind: str, actor: str, data: dict[str, Any]) -> None:
    """Journals a login or logout through the docks (``Docks.record``, the one commit step);
    a failed write is logged, and the page shows the failure."""
    try:
        await app[app_keys.DOCKS].record(kind, None, data, actor)
    except GateError as exc:
        log.error("could not journal %s for %s: %s", kind, actor, exc)


def _safe_name(name: str) -> str:
    """A typed name fit for the journal: printable, no field separator, at most MAX_NAME."""
    return "".join(c for c in name if c.isprintable() and c != "|")[:MAX_NAME] or "?"


async def login(request: web.Request) -> web.StreamResponse:
    """Checks an operator's name and password and starts a session (a cookie)."""
    check_same_origin(request)
    form = await request.post()
    name, password = form.get("name", ""), form.get("password", "")
    if not isinstance(name, str) or not isinstance(password, str):
        raise Problem(400, "bad-request", "Bad request", "name and password must be text")
    app = request.app
    clients = app[app_keys.CLIENTS]
    op = None
    try:
        if 0 < len(name) <= MAX_NAME and len(password) <= MAX_PASSWORD:
            op = clients.login(name, password, request.remote)
    except Problem as refused:
        wait = refused.headers["Retry-After"]
        page = _login_page(
            app, f"Too many wrong passwords: try again in {wait} s.", name[:MAX_NAME], 429
        )
        page.headers["Retry-After"] = wait
        return page
    if op is None:
        await _record(
            app,
            "operator.login_failed",
            "anonymous",
            # A name no operator has is not kept: it may be a password typed in the wrong
            # field, and the journal is kept for years.
            {
                "name": _safe_name(name) if clients.is_operator(name) else None,
                "remote": request.remote,
            },
        )
        return _login_page(app, "Name or password is wrong.", name[:MAX_NAME], 401)
    old = request.cookies.get(COOKIE_NAME)
    if old:
        app[app_keys.SESSIONS].drop(old)
    token, _ = app[app_keys.SESSIONS].create(op.name)
    await _record(app, "operator.login", _safe_name(op.name), {"remote": request.remote})
    response = redirect("/")
    response.set_cookie(
        COOKIE_NAME,
        token,
        httponly=True,
        samesite="Strict",
        path="/",
        secure=request.secure,
        max_age=int(app[app_keys.SESSIONS].lifetime_seconds),
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    """Ends the session (same-origin, with the session's CSRF token in the header or form)."""
    app = request.app
    session = app[app_keys.CLIENTS].session(request)
    response = redirect("/login")
    if session is not None:
        check_same_origin(request)
        form = await request.post()
        presented = request.headers.get(CSRF_HEADER) or form.get("csrf") or ""
        if not isinstance(presented, str) or not session.csrf_matches(presented):
            raise Problem(
                403, "csrf", "Cross-site request refused", "logout needs the page's CSRF token"
            )
        app[app_keys.SESSIONS].drop(request.cookies.get(COOKIE_NAME, ""))
        await _record(
            app, "operator.logout", _safe_name(session.operator), {"remote": request.remote}
        )
    response.del_cookie(COOKIE_NAME, path="/")
    return response
