"""The operator status page: ``GET /``, the login, and the HTML fragments the page refreshes.

The page answers one question from across the room: can this truck leave, and if not, why
not and what happens next. It is plain server-rendered HTML (``string.Template`` for the
two pages, small functions here for the fragments, every value through ``html.escape``)
plus one small script (static/page.js) that listens to ``/api/v1/events`` and, when
something changes, fetches the fragment again and swaps it in. There is one renderer, this
module; the script only fetches, swaps, ticks the "waiting for" clocks and asks for
confirmation before an action.

Colour never carries meaning alone: every signal has a symbol (an inline SVG shape) and a
word ("CLEARED – may leave", "HOLD – waiting for licence", "STOP – prohibited item").

Actions (seal, remove a line, dispatch, cancel) call the existing API endpoints with the
session cookie and the session's CSRF token (see ``gate.web.auth`` and ``gate.web.sessions``). There
is deliberately no action that releases a licence hold: only a signed approval from the
central office can (DESIGN.md "Who may do what").

Every response of the page carries a strict Content-Security-Policy (scripts and styles
from this origin only, no framing), so an injected string could not run even if escaping
were ever missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import html
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import quote

from aiohttp import web

from gate.errors import StoreError
from gate.storage import journal
from gate.web import app_keys
from gate.web.auth import check_same_origin
from gate.web.page import overview
from gate.web.problems import REJECTION_RECORDER, Problem
from gate.web.sessions import COOKIE_NAME, CSRF_HEADER

log = logging.getLogger("gate.web.page.handlers")

READ_ROLES = frozenset({"wms", "operator"})
STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_LINES_SHOWN = 300
ALERTS_SHOWN = 6
MAX_NAME = 100
MAX_PASSWORD = 256
STALE_CHECK_SECONDS = 30.0
CALLBACK_PATHS = frozenset({"/api/v1/approvals", "/api/v1/licences"})
CALLBACK_ALERT_INTERVAL = 5.0
LIVE_STATES = frozenset({"open", "held", "blocked", "cleared"})

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


def h(value: object) -> str:
    """HTML-escaped text (quotes too: safe in attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def _template(name: str) -> Template:
    return Template(resources.files("gate.web.page").joinpath("templates", name).read_text("utf-8"))


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers=SECURITY_HEADERS,
    )


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, **SECURITY_HEADERS})


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


def _when(iso: str | None) -> str:
    if not iso:
        return "—"
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _since(iso: str | None, now: dt.datetime) -> str:
    """A span that page.js keeps counting up from ``iso``."""
    if not iso:
        return "—"
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return (
        f'<span class="since" data-since="{h(iso)}">'
        f"{h(duration((now - moment).total_seconds()))}</span>"
    )


# --- signals --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Look:
    """How a door signal reads: colour class, symbol, a word and what it means."""

    css: str
    icon: str
    word: str
    hint: str

    @property
    def label(self) -> str:
        return f"{self.word} – {self.hint}"


IDLE = Look("sig-idle", "i-idle", "FREE", "no shipment")
UNKNOWN = Look("sig-red", "i-stop", "STOP", "state unknown: do not load or dispatch")

#: (shipment state, door signal) -> how the door reads. Anything else reads UNKNOWN (red).
LOOKS: Mapping[tuple[str, str], Look] = {
    ("cleared", "green"): Look("sig-green", "i-check", "CLEARED", "may leave"),
    ("held", "amber"): Look("sig-amber", "i-pause", "HOLD", "waiting for licence"),
    ("blocked", "red"): Look("sig-red", "i-stop", "STOP", "prohibited item"),
    ("open", "red"): Look("sig-red", "i-stop", "STOP", "prohibited item"),
    ("open", "amber"): Look("sig-amber", "i-load", "LOADING", "seal when complete"),
}


def look(door: Mapping[str, Any]) -> Look:
    shipment = door.get("shipment")
    if shipment is None:
        return IDLE
    return LOOKS.get((shipment["state"], shipment["signal"]), UNKNOWN)


def icon(name: str, extra: str = "") -> str:
    return (
        f'<svg class="ico {extra}" aria-hidden="true" focusable="false"><use href="#{name}"/></svg>'
    )


#: Line decision -> (css, symbol, word).
DECISIONS: Mapping[str, tuple[str, str, str]] = {
    "prohibited": ("dec-red", "i-stop", "Prohibited"),
    "licence_required": ("dec-amber", "i-pause", "Licence needed"),
    "clear": ("dec-green", "i-check", "Clear"),
}
COVERED = ("dec-green", "i-check", "Licensed")
REMOVED = ("dec-removed", "i-idle", "Removed (unloaded)")

#: Severity for the line order: what stops the truck first.
LINE_ORDER = {"prohibited": 0, "licence_required": 1, "clear": 3}


# --- doors fragment -------------------------------------------------------------------------


#: What the page says once an action is done ("Sealed: shipment S1 is now held").
DONE = {"seal": "Sealed", "remove": "Line removed", "dispatch": "Dispatched", "cancel": "Cancelled"}


def _action(kind: str, url: str, label: str, title: str, text: str, *, css: str = "btn") -> str:
    """A button that asks ``title``/``text`` before page.js POSTs to ``url``."""
    return (
        f'<button type="button" class="{css}" data-action="{h(kind)}" data-url="{h(url)}"'
        f' data-title="{h(title)}" data-text="{h(text)}" data-confirm="{h(label)}"'
        f' data-done="{h(DONE[kind])}">{h(label)}</button>'
    )


def _shipment_url(sid: str, *rest: str) -> str:
    return "/api/v1/shipments/" + "/".join(quote(p, safe="") for p in (sid, *rest))


def _actions(door: Mapping[str, Any], s: Mapping[str, Any]) -> str:
    sid, name, state = s["id"], door["name"], s["state"]
    out = []
    if state == "open":
        out.append(
            _action(
                "seal",
                _shipment_url(sid, "seal"),
                "Seal",
                f"Seal shipment {sid} at {name}?",
                "Loading ends: no more scans are accepted. The gate then decides the shipment; "
                "lines that need a licence are held and a licence request goes to the central "
                "office.",
            )
        )
    if state == "cleared":
        out.append(
            _action(
                "dispatch",
                _shipment_url(sid, "dispatch"),
                "Dispatch",
                f"Dispatch shipment {sid} from {name}?",
                "The truck may leave with these goods. Dispatch is final.",
            )
        )
    if state in LIVE_STATES:
        out.append(
            _action(
                "cancel",
                _shipment_url(sid, "cancel"),
                "Cancel shipment",
                f"Cancel shipment {sid} at {name}?",
                "The shipment is closed and the door is free for the next one. "
                "Cancelling is final.",
                css="btn btn-danger",
            )
        )
    out.append(
        f'<button type="button" class="btn btn-quiet" data-history="'
        f'{h("/page/shipments/" + quote(sid, safe="") + "/history")}"'
        f' data-title="{h(f"History of shipment {sid}")}">History</button>'
    )
    return '<div class="actions">' + "".join(out) + "</div>"


def _delivery(d: Mapping[str, Any] | None) -> str:
    if d is None:
        return f"{icon('i-wait')} being queued"
    if d["state"] == "delivered":
        return f"{icon('i-check')} received by the office {h(clock(d['delivered_at']))}"
    if d["state"] == "refused":
        return f"{icon('i-stop')} refused by the office: {h(d['last_error'])}"
    tries = d["attempts"]
    err = (
        f'<div class="muted small clamp" title="{h(d["last_error"])}">last error: '
        f"{h(d['last_error'])}</div>"
        if d.get("last_error")
        else ""
    )
    return f"{icon('i-wait')} not yet delivered ({tries} attempt{'s' * (tries != 1)}){err}"


REQUEST_STATUS = {
    "pending": ("dec-amber", "i-wait", "Pending: waiting for the office's answer"),
    "approved": ("dec-green", "i-check", "Approved"),
    "denied": ("dec-red", "i-stop", "Denied"),
}


def _hold(s: Mapping[str, Any], waiting: int | None, link: Mapping[str, Any]) -> str:
    rows = []
    approvals = {a["request_id"]: a for a in s.get("approvals", ())}
    for r in s["requests"]:
        css, sym, word = REQUEST_STATUS.get(r["status"], REQUEST_STATUS["pending"])
        licence = (approvals.get(r["request_id"]) or {}).get("licence") or {}
        if licence.get("number"):
            word += f" (licence {licence['number']})"
        lines = ", ".join(f"{x['key']} ×{x['quantity']}" for x in r["lines"])
        rows.append(
            f'<tr><td class="mono">{h(r["request_id"])}</td><td>{h(lines)}</td>'
            f"<td>{_delivery(r.get('delivery'))}</td>"
            f'<td class="{css}">{icon(sym)} {h(word)}</td></tr>'
        )
    link_note = ""
    queued = [r for r in s["requests"] if (r.get("delivery") or {}).get("state") == "queued"]
    if queued and not link.get("unreachable_since"):
        link_note = (
            f'<p class="warn">{icon("i-wait")} {len(queued)} request(s) of this shipment not '
            f"yet received by the office; the link has {h(link['backlog'])} waiting to be sent."
            "</p>"
        )
    if link.get("unreachable_since"):
        link_note = (
            f'<p class="warn">{icon("i-warn")} The central office is unreachable since '
            f"{h(clock(link['unreachable_since']))}; {h(link['backlog'])} request(s) waiting "
            "to be sent. They are sent as soon as the link is back.</p>"
        )
    table = (
        '<table class="requests"><thead><tr><th>Licence request</th><th>Lines</th>'
        "<th>Sent</th><th>Answer</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        if rows
        else ""
    )
    return (
        '<div class="box box-amber">'
        f'<p class="box-lead">{icon("i-pause")} Held for '
        f"<strong>{_since(s['sealed_at'], overview.now_utc()) if waiting is not None else '—'}"
        f"</strong> since sealing at {h(clock(s['sealed_at']))}.</p>"
        f"{table}{link_note}"
        '<p class="note">Nobody at the gate can release a licence hold: only a signed approval '
        "from the central office can.</p></div>"
    )


def _situation(door: Mapping[str, Any], s: Mapping[str, Any], link: Mapping[str, Any]) -> str:
    state = s["state"]
    active = [x for x in s["lines"] if not x["removed"]]
    prohibited = [x for x in active if x["decision"] == "prohibited"]
    if state == "held":
        return _hold(s, door.get("waiting_seconds"), link)
    if prohibited:
        return (
            f'<div class="box box-red"><p class="box-lead">{icon("i-stop")} '
            f"{len(prohibited)} prohibited line{'s' * (len(prohibited) != 1)}: this shipment "
            "may not leave. Unload the goods and remove the line, or cancel the shipment.</p></div>"
        )
    if state == "cleared":
        return (
            f'<div class="box box-green"><p class="box-lead">{icon("i-check")} Cleared: every '
            "line is clear or covered by a licence. The truck may leave: dispatch it.</p></div>"
        )
    if state == "open":
        return (
            f'<div class="box"><p class="box-lead">{icon("i-load")} Loading: {len(active)} '
            f"line{'s' * (len(active) != 1)} so far. Seal when loading is complete.</p></div>"
        )
    return ""


def _line_row(s: Mapping[str, Any], line: Mapping[str, Any]) -> str:
    if line["removed"]:
        css, sym, word = REMOVED
    elif line["decision"] == "licence_required" and line["covered_by"]:
        css, sym, word = COVERED
    else:
        css, sym, word = DECISIONS.get(line["decision"], DECISIONS["prohibited"])
    control = (
        f'<span class="mono">{h(line["control"])}</span> · Cat {"I" * (line["category"] or 0)}'
        if line["control"]
        else '<span class="muted">not listed</span>'
    )
    title = (
        f'<div class="muted small clamp" title="{h(line["title"])}">{h(line["title"])}</div>'
        if line.get("title")
        else ""
    )
    serials = (
        f'<div class="muted small">{len(line["serials"])} serial'
        f"{'s' * (len(line['serials']) != 1)}</div>"
        if line["serials"]
        else ""
    )
    container = (
        f'<div class="muted small">in pallet {h(line["container"])}</div>'
        if line.get("container")
        else ""
    )
    reasons = "; ".join(line.get("reason_text") or ())
    shown_detail = line.get("detail") and str(line["detail"]).lower() not in reasons.lower()
    detail = (
        f'<div class="muted small clamp" title="{h(line["detail"])}">{h(line["detail"])}</div>'
        if shown_detail
        else ""
    )
    cover = line["covered_by"]
    if cover:
        until = (
            f" (valid until {_when(cover['valid_until'])[:10]})" if cover.get("valid_until") else ""
        )
        coverage = f"{icon('i-check')} {h(cover.get('text') or cover.get('licence'))}{h(until)}"
    elif line["removed"]:
        coverage = '<span class="muted">—</span>'
    elif line["decision"] == "licence_required":
        coverage = f'<span class="dec-amber">{icon("i-pause")} not covered yet</span>'
    elif line["decision"] == "prohibited":
        coverage = '<span class="dec-red">no licence can cover this</span>'
    else:
        coverage = '<span class="muted">not needed</span>'
    remove = ""
    if s["state"] in LIVE_STATES and not line["removed"]:
        desc = line["description"] or line["key"]
        remove = _action(
            "remove",
            _shipment_url(s["id"], "lines", line["key"], "remove"),
            "Remove",
            f"Remove {desc} from shipment {s['id']}?",
            f"Only once the goods are unloaded from the truck: all {line['quantity']} of "
            f"item {line['key']}. The shipment is then decided again without them.",
            css="btn btn-quiet",
        )
    return (
        f'<tr class="line {css}" data-key="{h(line["key"])}">'
        f'<td><div class="desc">{h(line["description"] or "(no description)")}</div>'
        f'<div class="mono small">{h(line["key"])}</div>{serials}{container}</td>'
        f"<td>{control}{title}</td>"
        f'<td class="num">{h(line["quantity"])}</td>'
        f'<td class="decision {css}">{icon(sym)} {h(word)}</td>'
        f"<td>{h(reasons)}{detail}</td>"
        f"<td>{coverage}</td>"
        f'<td class="act">{remove}</td></tr>'
    )


def _lines(s: Mapping[str, Any]) -> str:
    lines = sorted(
        s["lines"],
        key=lambda x: (
            x["removed"],
            LINE_ORDER.get(x["decision"], 0) + (1 if x["covered_by"] else 0),
        ),
    )
    if not lines:
        return '<p class="muted empty">No goods scanned yet.</p>'
    shown = lines[:MAX_LINES_SHOWN]
    more = len(lines) - len(shown)
    tail = f'<p class="muted">and {more} more lines (see the API)</p>' if more > 0 else ""
    return (
        '<table class="lines"><thead><tr><th>Item</th><th>Control</th><th class="num">Qty</th>'
        "<th>Decision</th><th>Why</th><th>Licence</th><th></th></tr></thead><tbody>"
        + "".join(_line_row(s, x) for x in shown)
        + "</tbody></table>"
        + tail
    )


def _tile(door: Mapping[str, Any], now: dt.datetime) -> str:
    lk = look(door)
    s = door.get("shipment")
    if s is None:
        sub = "ready for the next one"
    else:
        extra = ""
        if s["state"] == "held" and s.get("sealed_at"):
            extra = f" · waiting {_since(s['sealed_at'], now)}"
        sub = f"{h(s['id'])} · {h(s['state'])} · to {h(s['destination'])}{extra}"
    return (
        f'<a class="tile {lk.css}" href="#door-{h(door["id"])}" data-door="{h(door["id"])}"'
        f' data-signal="{h(door["signal"])}">'
        f'<span class="tile-door">{h(door["name"])} <span class="tile-id">{h(door["id"])}</span>'
        f"</span>"
        f'<span class="tile-signal">{icon(lk.icon, "ico-big")}'
        f'<span class="tile-word">{h(lk.word)}</span></span>'
        f'<span class="tile-dash"> – </span><span class="tile-hint">{h(lk.hint)}</span>'
        f'<span class="tile-ship">{sub}</span></a>'
    )


def _door_detail(door: Mapping[str, Any], link: Mapping[str, Any]) -> str:
    lk = look(door)
    s = door.get("shipment")
    head = (
        f'<header class="door-head {lk.css}">{icon(lk.icon)}'
        f'<h2>{h(door["name"])} <span class="door-id">{h(door["id"])}</span></h2>'
        f'<span class="door-label">{h(lk.label)}</span></header>'
    )
    if s is None:
        return (
            f'<article class="door door-idle" id="door-{h(door["id"])}" '
            f'data-door="{h(door["id"])}">{head}</article>'
        )
    consignee = s["consignee"]
    facts = [
        ("Shipment", f'<strong class="mono">{h(s["id"])}</strong>'),
        ("State", f'<strong class="state">{h(s["state"])}</strong>'),
        ("Destination", h(s["destination"])),
        ("Consignee", f"{h(consignee['name'])} ({h(consignee['country'])})"),
    ]
    if s.get("end_use"):
        facts.append(("End use", h(s["end_use"])))
    if s.get("transit"):
        facts.append(("Transit", h(", ".join(s["transit"]))))
    facts.append(("Created", h(_when(s["created_at"]))))
    if s.get("sealed_at"):
        facts.append(("Sealed", h(_when(s["sealed_at"]))))
    meta = (
        '<dl class="facts">'
        + "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)
        + "</dl>"
    )
    return (
        f'<article class="door" id="door-{h(door["id"])}" data-door="{h(door["id"])}"'
        f' data-shipment="{h(s["id"])}" data-state="{h(s["state"])}">{head}'
        f'<div class="door-body">{meta}{_situation(door, s, link)}{_actions(door, s)}'
        f"{_lines(s)}</div></article>"
    )


def render_doors(status: Mapping[str, Any]) -> str:
    """The doors region: a tile per door (signal at a glance), then each door in detail."""
    now = dt.datetime.fromisoformat(status["now"])
    doors = status["doors"]
    banner = ""
    if status.get("failed"):
        banner = (
            f'<div class="banner banner-red">{icon("i-stop")} The gate is not taking changes: '
            f"{h(status['failed'])}. Nothing may be dispatched until it is restarted.</div>"
        )
    return (
        f'<div class="doors-inner" data-now="{h(status["now"])}">{banner}'
        '<div class="tiles">'
        + "".join(_tile(d, now) for d in doors)
        + '</div><div class="details">'
        + "".join(_door_detail(d, status["link"]) for d in doors)
        + "</div></div>"
    )


# --- side fragment --------------------------------------------------------------------------

ALERT_LOOKS = {
    "critical": ("alert-critical", "i-warn", "Alert"),
    "warning": ("alert-warning", "i-warn", "Warning"),
    "info": ("alert-info", "i-info", "Note"),
}


def _conditions(status: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Problems that hold now (not events): each (css, text)."""
    out: list[tuple[str, str]] = []
    cd = status["control_data"]
    if status.get("failed"):
        out.append(("alert-critical", f"Storage failed: {status['failed']}"))
    if not cd.get("loaded"):
        out.append(("alert-critical", "No control table is loaded: every line is held"))
    elif cd.get("stale"):
        out.append(
            (
                "alert-critical",
                f"Control data is older than {cd['max_age_days']:g} days: every line is held "
                "until the table or the denial list is renewed",
            )
        )
    link = status["link"]
    if link.get("unreachable_since"):
        out.append(
            (
                "alert-critical",
                f"Central office unreachable since {clock(link['unreachable_since'])}: "
                f"{link['backlog']} licence request(s) waiting",
            )
        )
    if link.get("refused"):
        out.append(
            (
                "alert-warning",
                f"{link['refused']} licence request(s) refused by the central office "
                "since the gate started: ask the office",
            )
        )
    return out


def _alerts(status: Mapping[str, Any]) -> str:
    items = []
    for css, text in _conditions(status):
        items.append(
            f'<li class="alert {css} alert-now">{icon("i-warn")}<span class="alert-body">'
            f'<span class="alert-when">Now</span> {h(text)}</span></li>'
        )
    for a in status["alerts"][:ALERTS_SHOWN]:
        css, sym, _ = ALERT_LOOKS.get(a.get("level", "critical"), ALERT_LOOKS["critical"])
        count = a.get("count", 1)
        repeats = (
            f' <span class="alert-count">×{count} since {h(clock(a.get("first_at")))}</span>'
            if count > 1
            else ""
        )
        items.append(
            f'<li class="alert {css}" data-kind="{h(a.get("kind", ""))}">{icon(sym)}'
            f'<span class="alert-body"><time class="alert-when" datetime="{h(a["at"])}">'
            f"{h(clock(a['at']))}</time> {h(a.get('text', ''))}{repeats}</span></li>"
        )
    earlier = len(status["alerts"]) - ALERTS_SHOWN
    if earlier > 0:
        items.append(f'<li class="alert-more muted">and {earlier} earlier</li>')
    if not items:
        items.append(f'<li class="alert alert-none">{icon("i-check")} No alerts.</li>')
    return (
        '<section class="panel" aria-labelledby="alerts-h"><h2 id="alerts-h">Alerts</h2>'
        f'<ol class="alerts" id="alerts">{"".join(items)}</ol></section>'
    )


def _control_data(status: Mapping[str, Any]) -> str:
    cd = status["control_data"]
    if not cd.get("loaded"):
        body = f'<p class="bad">{icon("i-stop")} No table loaded: {h(cd.get("error"))}</p>'
    else:
        state = (
            f'<p class="bad">{icon("i-warn")} OUT OF DATE: every line is held</p>'
            if cd["stale"]
            else f'<p class="good">{icon("i-check")} Current (limit {cd["max_age_days"]:g} days,'
            f" until {h(_when(cd['stale_at'])[:10])})</p>"
        )
        body = (
            '<dl class="kv">'
            f'<dt>Table</dt><dd class="mono">{h(cd["version"])}</dd>'
            f"<dt>Entries</dt><dd>{cd['entries']:,}</dd>"
            f"<dt>Compiled</dt><dd>{h(duration(cd['table_age_seconds']))} ago</dd>"
            f"<dt>Denial list</dt><dd>changed {h(_when(cd['denials_changed_at'])[:10])}</dd>"
            f"</dl>{state}"
        )
    return (
        '<section class="panel" aria-labelledby="table-h"><h2 id="table-h">Control data</h2>'
        f"{body}</section>"
    )


def _link(status: Mapping[str, Any]) -> str:
    link = status["link"]
    if link.get("unreachable_since"):
        state = (
            f'<p class="bad">{icon("i-warn")} UNREACHABLE since '
            f"{h(clock(link['unreachable_since']))}</p>"
        )
    elif link.get("last_error") and link.get("backlog"):
        state = f'<p class="warn">{icon("i-warn")} Retrying: {h(link["last_error"])}</p>'
    else:
        state = f'<p class="good">{icon("i-check")} OK</p>'
    oldest = link.get("oldest_pending_seconds")
    return (
        '<section class="panel" aria-labelledby="link-h"><h2 id="link-h">Central office link'
        f'</h2>{state}<dl class="kv">'
        f"<dt>Waiting to send</dt><dd>{h(link['backlog'])}"
        + (f" (oldest {h(duration(oldest))})" if oldest is not None else "")
        + "</dd>"
        f"<dt>Delivered</dt><dd>{h(link['delivered'])}</dd>"
        f"<dt>Last success</dt><dd>{h(clock(link.get('last_success')))}</dd>"
        + (
            f'<dt>Last error</dt><dd class="small">{h(clock(link.get("last_error_at")))} '
            f"{h(link['last_error'])}</dd>"
            if link.get("last_error")
            else ""
        )
        + "</dl></section>"
    )


def _scans(status: Mapping[str, Any]) -> str:
    items = []
    for scan in status["scans"][:15]:
        if scan.get("status") == "rejected":
            css, sym, word = "dec-red", "i-stop", "rejected"
            what = scan.get("error") or ""
        else:
            css, sym, word = DECISIONS.get(scan.get("decision") or "", ("", "i-info", "—"))
            word = word.lower()
            what = ((scan.get("item") or {}).get("key")) or ""
            if scan.get("status") == "duplicate":
                word += " (repeat)"
        door = (scan.get("door") or {}).get("id") or ""
        items.append(
            f'<li class="scan {css}"><time>{h(clock(scan["at"]))}</time> '
            f'<span class="scan-door">{h(door)}</span> {icon(sym)} <span class="scan-word">'
            f'{h(word)}</span> <span class="mono small">{h(what)}</span></li>'
        )
    body = (
        f'<ol class="scans" id="scans">{"".join(items)}</ol>'
        if items
        else '<p class="muted">No scans since the gate started.</p>'
    )
    return (
        '<section class="panel" aria-labelledby="scans-h"><h2 id="scans-h">Recent scans</h2>'
        f"{body}</section>"
    )


def render_side(status: Mapping[str, Any]) -> str:
    """The side region: alerts (conditions that hold now, then recent events), control data,
    the central link and the latest scans."""
    return _alerts(status) + _control_data(status) + _link(status) + _scans(status)


# --- history fragment -----------------------------------------------------------------------


def render_history(doc: Mapping[str, Any]) -> str:
    rows = "".join(
        f'<tr class="hist-{h(r["kind"].split(".")[0])}"><td class="mono small">{h(r["seq"])}</td>'
        f'<td class="nowrap">{h(_when(r["ts"]))}</td><td>{h(r["actor"])}</td>'
        f"<td>{h(r['summary'])}</td></tr>"
        for r in doc["records"]
    )
    note = (
        '<p class="muted">Only the newest records are shown; `gate audit export` has all.</p>'
        if doc["truncated"]
        else ""
    )
    if not rows:
        return '<p class="muted">No records yet.</p>'
    return (
        f"{note}"
        '<table class="history"><thead><tr><th>#</th><th>When</th><th>Who</th><th>What</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


# --- handlers -------------------------------------------------------------------------------


def _reader(request: web.Request) -> str:
    name = request.app[app_keys.CLIENTS].authenticate(request, READ_ROLES).name
    request[app_keys.ACTOR] = name
    return name


async def _status(app: web.Application) -> dict[str, Any]:
    return await overview.status_doc(
        app[app_keys.CONFIG],
        app[app_keys.DOCKS],
        app[app_keys.TABLE],
        app[app_keys.CENTRAL].health,
        app[app_keys.BULLETIN],
    )


def _static_url(app: web.Application, name: str) -> str:
    resource = app.router["static"]
    assert isinstance(resource, web.StaticResource)
    return str(resource.url_for(filename=name, append_version=True))


async def index(request: web.Request) -> web.StreamResponse:
    """The status page, for a logged-in operator; everyone else goes to the login."""
    session = request.app[app_keys.CLIENTS].session(request)
    if session is None:
        return _redirect("/login")
    status = await _status(request.app)
    app = request.app
    text = _template("page.html").substitute(
        gate_id=h(status["gate_id"]),
        operator=h(session.operator),
        csrf=h(session.csrf),
        css=h(_static_url(app, "page.css")),
        js=h(_static_url(app, "page.js")),
        icon=h(_static_url(app, "favicon.svg")),
        doors=render_doors(status),
        side=render_side(status),
    )
    return _html(text)


def _login_page(
    app: web.Application, message: str = "", name: str = "", status: int = 200
) -> web.Response:
    text = _template("login.html").substitute(
        gate_id=h(app[app_keys.CONFIG].gate_id),
        css=h(_static_url(app, "page.css")),
        icon=h(_static_url(app, "favicon.svg")),
        message=(
            f'<p class="login-error" role="alert">{icon("i-stop")} {h(message)}</p>'
            if message
            else ""
        ),
        name=h(name),
    )
    return _html(text, status)


async def login_form(request: web.Request) -> web.StreamResponse:
    if request.app[app_keys.CLIENTS].session(request) is not None:
        return _redirect("/")
    return _login_page(request.app)


async def _record(app: web.Application, kind: str, actor: str, data: dict[str, Any]) -> None:
    """Journals a login or logout; a failed write is logged, and the page shows the failure."""
    docks = app[app_keys.DOCKS]
    at = overview.now_utc()

    def write(conn: sqlite3.Connection) -> None:
        journal.append(conn, kind=kind, actor=actor, subject=None, data=data, ts=at)

    try:
        await docks.store.write(write)
    except (StoreError, sqlite3.Error) as exc:
        log.error("could not journal %s for %s: %s", kind, actor, exc)


def _safe_name(name: str) -> str:
    return "".join(c for c in name if c.isprintable() and c != "|")[:MAX_NAME] or "?"


async def login(request: web.Request) -> web.StreamResponse:
    """Checks an operator's name and password and starts a session (a cookie)."""
    check_same_origin(request)
    form = await request.post()
    name, password = form.get("name", ""), form.get("password", "")
    if not isinstance(name, str) or not isinstance(password, str):
        raise Problem(400, "bad-request", "Bad request", "name and password must be text")
    app = request.app
    throttle = app[app_keys.LOGIN_THROTTLE]
    where = f"addr:{request.remote}"
    wait = throttle.wait(where)
    if wait:
        page = _login_page(
            app,
            f"Too many wrong passwords from this address: try again in {int(wait) + 1} s.",
            name[:MAX_NAME],
            429,
        )
        page.headers["Retry-After"] = str(int(wait) + 1)
        return page
    clients = app[app_keys.CLIENTS]
    op = None
    if 0 < len(name) <= MAX_NAME and len(password) <= MAX_PASSWORD:
        op = clients.operator(name, password)
    if op is None:
        throttle.failed(where)
        await _record(
            app,
            "operator.login_failed",
            "anonymous",
            {"name": _safe_name(name), "remote": request.remote},
        )
        return _login_page(app, "Name or password is wrong.", name[:MAX_NAME], 401)
    throttle.succeeded(where)
    old = request.cookies.get(COOKIE_NAME)
    if old:
        app[app_keys.SESSIONS].drop(old)
    token, _ = app[app_keys.SESSIONS].create(op.name)
    await _record(app, "operator.login", _safe_name(op.name), {"remote": request.remote})
    response = _redirect("/")
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
    response = _redirect("/login")
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


async def doors_fragment(request: web.Request) -> web.StreamResponse:
    """The doors region, for the page to swap in when something changed."""
    _reader(request)
    return _html(render_doors(await _status(request.app)))


async def side_fragment(request: web.Request) -> web.StreamResponse:
    _reader(request)
    return _html(render_side(await _status(request.app)))


async def history_fragment(request: web.Request) -> web.StreamResponse:
    _reader(request)
    doc = await overview.history_doc(request.app[app_keys.DOCKS], request.match_info["id"])
    return _html(render_history(doc))


# --- background: the bulletin, stale data, refused callbacks ---------------------------------


async def _watch_staleness(app: web.Application, interval: float = STALE_CHECK_SECONDS) -> None:
    """Raises an alert when the control data turns stale (and a note when it is current)."""
    events, docks, slot = app[app_keys.EVENTS], app[app_keys.DOCKS], app[app_keys.TABLE]
    was_stale = False
    while True:
        try:
            cd = overview.control_data_doc(docks, slot, overview.now_utc())
            if cd["stale"] and not was_stale:
                text = (
                    f"Control data is older than {cd['max_age_days']:g} days: every line is held"
                    if cd.get("loaded")
                    else "No control table is loaded: every line is held"
                )
                events.publish("alert", {"level": "critical", "kind": "stale_data", "text": text})
            elif was_stale and not cd["stale"]:
                events.publish(
                    "alert",
                    {"level": "info", "kind": "data_current", "text": "Control data is current"},
                )
            was_stale = bool(cd["stale"])
        except Exception:
            log.exception("control data age check")
        await asyncio.sleep(interval)


class _CallbackAlerts:
    """Turns refused central-office callbacks into alerts, at most one per interval."""

    def __init__(self, app: web.Application, interval: float = CALLBACK_ALERT_INTERVAL) -> None:
        self.app = app
        self.interval = interval
        self.last = -interval
        self.suppressed = 0

    def note(self, info: Mapping[str, Any]) -> None:
        if info.get("path") not in CALLBACK_PATHS:
            return
        now = time.monotonic()
        if now - self.last < self.interval:
            self.suppressed += 1
            return
        more = f" ({self.suppressed} more refused before this one)" if self.suppressed else ""
        self.last, self.suppressed = now, 0
        self.app[app_keys.EVENTS].publish(
            "alert",
            {
                "level": "critical",
                "kind": "callback_refused",
                "text": f"A central-office callback to {info.get('path')} was refused "
                f"({info.get('status')}): {str(info.get('detail'))[:200]}{more}",
            },
        )


async def live_ctx(app: web.Application) -> AsyncIterator[None]:
    """Feeds the bulletin, watches the control data's age and alerts on refused callbacks
    (after the docks are up; stopped before them)."""
    callbacks = _CallbackAlerts(app)
    recorder = app.get(REJECTION_RECORDER)
    if recorder is not None:
        original: Callable[[Mapping[str, Any]], Awaitable[None]] = recorder  # type: ignore[assignment]

        async def record(info: Mapping[str, Any]) -> None:
            await original(info)
            callbacks.note(info)

        app[REJECTION_RECORDER] = record
    tasks = [
        asyncio.create_task(app[app_keys.BULLETIN].follow(app[app_keys.EVENTS]), name="bulletin"),
        asyncio.create_task(_watch_staleness(app), name="stale-watch"),
    ]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
