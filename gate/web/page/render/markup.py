"""The pieces every fragment of the page is made of: escaping, symbols, time in words and
how a line's decision reads."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping


def h(value: object) -> str:
    """HTML-escaped text (quotes too: safe in attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def icon(name: str, extra: str = "") -> str:
    """An inline reference to the page's symbol ``name`` (hidden from screen readers: the
    word beside it says the same)."""
    return (
        f'<svg class="ico {extra}" aria-hidden="true" focusable="false"><use href="#{name}"/></svg>'
    )


#: Line decision -> (css, symbol, word).
DECISIONS: Mapping[str, tuple[str, str, str]] = {
    "prohibited": ("dec-red", "i-stop", "Prohibited"),
    "licence_required": ("dec-amber", "i-pause", "Licence needed"),
    "clear": ("dec-green", "i-check", "Clear"),
}


# --- time in words --------------------------------------------------------------------------


def duration(seconds: float | None) -> str:
    """``42 s``, ``12 min 04 s``, ``3 h 05 min``, ``4 d 2 h`` (page.js formats the same)."""
    if seconds is None:
        return "—"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def clock(iso: str | None) -> str:
    """The time of day of an RFC 3339 instant in the box's local time (the dock's)."""
    if not iso:
        return "—"
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%H:%M:%S")


def when(iso: str | None) -> str:
    """The date and time of day of an RFC 3339 instant in the box's local time."""
    if not iso:
        return "—"
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def since(iso: str | None, now: dt.datetime) -> str:
    """A span that page.js keeps counting up from ``iso``."""
    if not iso:
        return "—"
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return (
        f'<span class="since" data-since="{h(iso)}">'
        f"{h(duration((now - moment).total_seconds()))}</span>"
    )
