"""How the page answers: HTML under a strict Content-Security-Policy, redirects, the two
page templates and the URLs of its static files.

Every response of the page carries the security headers (scripts and styles from this
origin only, no framing), so an injected string could not run even if escaping were ever
missed.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from string import Template

from aiohttp import web

#: The page's own files (script, style, symbols), served under ``/static``.
STATIC_DIR = Path(__file__).resolve().parent / "static"
#: The name of the static route (routes.py adds it; ``static_url`` looks it up).
STATIC_ROUTE = "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def template(name: str) -> Template:
    """One of the page's templates (``page.html``, ``login.html``); values go in escaped."""
    return Template(resources.files("gate.web.page").joinpath("templates", name).read_text("utf-8"))


def html_page(text: str, status: int = 200) -> web.Response:
    """``text`` as an HTML answer with the security headers."""
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers=SECURITY_HEADERS,
    )


def redirect(location: str) -> web.Response:
    """A 303 to ``location`` (after a form post, the browser GETs it)."""
    return web.Response(status=303, headers={"Location": location, **SECURITY_HEADERS})


def static_url(app: web.Application, name: str) -> str:
    """The URL of a static file, with a version tag so a browser never keeps an old one."""
    resource = app.router[STATIC_ROUTE]
    assert isinstance(resource, web.StaticResource)
    return str(resource.url_for(filename=name, append_version=True))
