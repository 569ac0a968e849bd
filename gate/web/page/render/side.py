"""The side region: alerts (conditions that hold now, then recent events), the control
data (the table, then every screening list and data source with its age against its
limit), the central office link and the latest scans."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from gate.web.page.render.markup import DECISIONS, clock, duration, h, icon, when

ALERTS_SHOWN = 6

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
                "Control data or a screening list is out of date (or not loaded yet): every"
                " line is held until it is renewed",
            )
        )
    for source in cd.get("lists") or ():
        if "loaded" not in source:
            continue  # the denial list: its age is the control data's, said above
        if source.get("loaded") is False:
            out.append(("alert-critical", f"Screening list {source['name']} is not loaded"))
        elif not source.get("fresh"):
            out.append(
                (
                    "alert-critical",
                    f"Screening list {source['name']} is out of date: age "
                    f"{_hours(source.get('age_hours'))}, "
                    f"limit {_limit(source.get('max_age_hours'))}",
                )
            )
    for output in status.get("outputs") or ():
        if output.get("state") == "unreachable" and output.get("failures", 0) >= 3:
            out.append(
                (
                    "alert-critical",
                    f"Stack light of {', '.join(output['doors'])} unreachable since "
                    f"{clock(output['since'])} ({output['device']}: {output['last_error']}):"
                    " the light may not show the door's signal",
                )
            )
    for door in status.get("doors") or ():
        if door.get("hold"):
            out.append(
                (
                    "alert-critical",
                    f"{door['name']} held"
                    + (", prohibited" if door["hold"].get("prohibited") else "")
                    + f": {door['hold']['reason']}; acknowledge once the goods"
                    " are checked",
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


def _alerts(status: Mapping[str, Any], readonly: bool) -> str:
    items = []
    for css, text in _conditions(status):
        items.append(
            f'<li class="alert {css} alert-now">{icon("i-warn")}<span class="alert-body">'
            f'<span class="alert-when">Now</span> {h(text)}</span></li>'
        )
    for a in status["alerts"][:ALERTS_SHOWN]:
        items.append(alert_item(a, readonly))
    earlier = len(status["alerts"]) - ALERTS_SHOWN
    if earlier > 0:
        items.append(f'<li class="alert-more muted">and {earlier} earlier</li>')
    if not items:
        items.append(f'<li class="alert alert-none">{icon("i-check")} No alerts.</li>')
    return (
        '<section class="panel panel-alerts" aria-labelledby="alerts-h">'
        '<h2 id="alerts-h">Alerts</h2>'
        f'<ol class="alerts" id="alerts">{"".join(items)}</ol></section>'
    )


def _about(a: Mapping[str, Any]) -> str:
    """The item by name, and links to the shipment (its door, its history)."""
    out = ""
    if a.get("item"):
        out += f' <span class="alert-item">({h(a["item"])})</span>'
    sid = a.get("shipment")
    if sid:
        door = f' <a href="#door-{h(a["door"])}">at {h(a["door"])}</a>' if a.get("door") else ""
        out += (
            f'<span class="alert-links">Shipment <strong class="mono">{h(sid)}</strong>{door}'
            f' <button type="button" class="btn btn-quiet btn-small" data-history="'
            f'{h("/page/shipments/" + quote(str(sid), safe="") + "/history")}"'
            f' data-title="{h(f"History of shipment {sid}")}">History</button></span>'
        )
    return out


def _ack(a: Mapping[str, Any], readonly: bool) -> str:
    """The acknowledgement: who and when, or the button (blue: operator action needed)."""
    if a.get("acked_by"):
        return (
            f'<span class="alert-acked">{icon("i-check")} acknowledged by '
            f"<strong>{h(a['acked_by'])}</strong> at {h(clock(a.get('acked_at')))}</span>"
        )
    if not a.get("needs_ack") or a.get("id") is None:
        return ""
    if readonly:
        return f'<span class="alert-need">{icon("i-info")} Operator action needed</span>'
    return (
        f'<span class="alert-need">{icon("i-info")} Operator action needed</span>'
        f'<button type="button" class="btn btn-small btn-ack" data-ack="/page/alerts/'
        f'{int(a["id"])}/acknowledge">Acknowledge</button>'
    )


def alert_item(a: Mapping[str, Any], readonly: bool = False) -> str:
    """One alert: when, what (the item by name), its shipment, and its acknowledgement."""
    css, sym, _ = ALERT_LOOKS.get(a.get("level", "critical"), ALERT_LOOKS["critical"])
    count = a.get("count", 1)
    repeats = (
        f' <span class="alert-count">×{count} since {h(clock(a.get("first_at")))}</span>'
        if count > 1
        else ""
    )
    waiting = " alert-unacked" if a.get("needs_ack") and not a.get("acked_by") else ""
    return (
        f'<li class="alert {css}{waiting}" data-kind="{h(a.get("kind", ""))}"'
        f' data-alert="{h(a.get("id"))}">{icon(sym)}'
        f'<span class="alert-body"><time class="alert-when" datetime="{h(a["at"])}">'
        f"{h(clock(a['at']))}</time> {h(a.get('text', ''))}{repeats}{_about(a)}{_ack(a, readonly)}"
        "</span></li>"
    )


def _hours(hours: float | None) -> str:
    return duration(None if hours is None else hours * 3600)


def _source_state(source: Mapping[str, Any]) -> tuple[str, str, str]:
    """How a list reads: (css, symbol, word); never colour alone."""
    if source.get("loaded") is False:
        return ("bad", "i-stop", "NOT LOADED")
    if not source.get("fresh"):
        return ("bad", "i-warn", "STALE")
    return ("good", "i-check", "fresh")


def _limit(hours: float | None) -> str:
    """A list's age limit: whole days as days (``7 d``), anything else in hours."""
    if hours is None:
        return "—"
    return f"{hours / 24:g} d" if hours % 24 == 0 else f"{hours:g} h"


def _source_item(
    name: str,
    entries: int | None,
    published: str | None,
    age: str,
    limit: str,
    state: tuple[str, str, str],
    note: str = "",
) -> str:
    css, sym, word = state
    counted = "" if entries is None else f"{entries:,} entries · "
    # The list's date as the data states it, not moved into the box's time zone.
    return (
        f'<li class="source source-{h(css)}" data-source="{h(name)}">'
        f'<div class="source-head"><span class="mono source-name">{h(name)}</span> '
        f'<span class="{h(css)}">{icon(sym)} {h(word)}</span></div>'
        f'<div class="small">{h(counted)}published {h((published or "—")[:10])}</div>'
        f'<div class="small">age {h(age)} of {h(limit)}</div>{note}</li>'
    )


def _sources(cd: Mapping[str, Any]) -> str:
    """Each screening list and data source: entries, published date, age against its limit,
    fresh or STALE (what ``GET /api/v1/lists`` says)."""
    items = []
    for source in cd.get("lists") or ():
        refused = (
            f'<div class="small bad">refused: {h(source["refused"])}</div>'
            if source.get("refused")
            else ""
        )
        items.append(
            _source_item(
                str(source.get("name")),
                int(source.get("entries") or 0),
                source.get("published"),
                _hours(source.get("age_hours")),
                _limit(source.get("max_age_hours")),
                _source_state(source),
                refused,
            )
        )
    control = cd.get("control_list")
    if control:
        days = control.get("age_days")
        items.append(
            _source_item(
                f"control list {control.get('annex') or ''}".strip(),
                None,
                control.get("annex_date"),
                "—" if days is None else f"{days} d",
                f"{control.get('max_age_days')} d",
                _source_state(control),
            )
        )
    if not items:
        return ""
    return (
        '<h3 class="sources-h">Lists and data sources</h3>'
        f'<ul class="sources">{"".join(items)}</ul>'
    )


def _control_data(status: Mapping[str, Any]) -> str:
    cd = status["control_data"]
    if not cd.get("loaded"):
        body = f'<p class="bad">{icon("i-stop")} No table loaded: {h(cd.get("error"))}</p>'
    else:
        state = (
            f'<p class="bad">{icon("i-warn")} OUT OF DATE: every line is held</p>'
            if cd["stale"]
            else f'<p class="good">{icon("i-check")} Current (the control list\'s limit'
            f" {cd['max_age_days']:g} days); every source current until"
            f" {h(when(cd['stale_at'])[:10])}, when the first reaches its limit</p>"
        )
        body = (
            '<dl class="kv">'
            f'<dt>Table</dt><dd class="mono">{h(cd["version"])}</dd>'
            f"<dt>Entries</dt><dd>{cd['entries']:,}</dd>"
            f"<dt>Compiled</dt><dd>{h(duration(cd['table_age_seconds']))} ago</dd>"
            f"{_bundle(cd.get('bundle'))}</dl>{state}"
        )
    return (
        '<section class="panel" aria-labelledby="table-h"><h2 id="table-h">Control data</h2>'
        f"{body}{_sources(cd)}</section>"
    )


def _bundle(bundle: Mapping[str, Any] | None) -> str:
    """The office's signed bundle the data comes from, when it does (small: a version)."""
    if not bundle:
        return ""
    return (
        f'<dt>Bundle</dt><dd class="mono" title="published {h(bundle["published"])}">'
        f"v{h(bundle['version'])} ({h(str(bundle['published'])[:10])})</dd>"
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


def _mqtt(status: Mapping[str, Any]) -> str:
    """The MQTT link's panel (only with ``[mqtt]``)."""
    link = status.get("mqtt")
    if not link:
        return ""
    if link["connected"]:
        state = f'<p class="good">{icon("i-check")} Connected to {h(link["url"])}</p>'
    else:
        state = (
            f'<p class="warn">{icon("i-warn")} Not connected to {h(link["url"])}, retrying: '
            f"{h(link.get('last_error') or 'connecting')}</p>"
        )
    return (
        '<section class="panel" aria-labelledby="mqtt-h"><h2 id="mqtt-h">MQTT events out</h2>'
        f'{state}<dl class="kv"><dt>Waiting to send</dt><dd>{h(link["backlog"])}</dd>'
        f"<dt>Sent</dt><dd>{h(link['sent'])}</dd>"
        + (f"<dt>Dropped</dt><dd>{h(link['dropped'])}</dd>" if link["dropped"] else "")
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


def render_side(status: Mapping[str, Any], *, readonly: bool = False) -> str:
    """The side region: alerts (conditions that hold now, then recent events), control data,
    the central link and the latest scans."""
    return (
        _alerts(status, readonly)
        + _control_data(status)
        + _link(status)
        + _mqtt(status)
        + _scans(status)
    )
