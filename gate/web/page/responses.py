"""How the page answers: HTML under a strict Content-Security-Policy, redirects, the two
page templates and the URLs of its static files.

Every response of the page carries the security headers (scripts and styles from this
origin only, no framing), so an injected string could not run even if escaping were ever
missed.
"""

from __future__ import annotations

import base64
import hashlib
from importlib import resources
from pathlib import Path
from string import Template

from aiohttp import web

from gate.errors import NotFound

#: The page's own files (script, style, symbols), served under ``/static``.
STATIC_DIR = Path(__file__).resolve().parent / "static"
#: The page's files by name: the only names ``static_file`` serves, each with its version
#: tag (the content's SHA-256, URL-safe base64, as aiohttp's static route wrote it).
_VERSIONS = {
    path.name: base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()
    for path in STATIC_DIR.iterdir()
    if path.is_file()
}

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
    """The URL of a static file, with a version tag so a browser never keeps an old one (the
    file's hash, as aiohttp's ``append_version`` makes it). Raises KeyError for a name that
    is not one of the page's files."""
    return f"/static/{name}?v={_VERSIONS[name]}"


async def static_file(request: web.Request) -> web.FileResponse:
    """One of the page's own files, by name. Any other path under ``/static/`` is a 404
    problem document (aiohttp's static route answered a missing file with an empty 404 of its
    own, outside the middleware, and a folder with a 403); nothing outside is reachable."""
    name = request.match_info["filename"]
    if name not in _VERSIONS:
        raise NotFound(f"no file {name[:100]!r} under /static")
    return web.FileResponse(STATIC_DIR / name)
