"""The doors region: a tile per door (its signal at a glance), then each door in detail with
its shipment, what holds it, its parties and their list hits (``render.parties``), the
actions an operator may take and its lines.

There is deliberately no action that releases a licence hold: only a signed approval from
the central office can (DESIGN.md "Who may do what").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from gate.web.page.render.markup import DECISIONS, clock, h, icon, since, when
from gate.web.page.render.parties import render_parties
from gate.web.page.render.why import render_why

MAX_LINES_SHOWN = 300
LIVE_STATES = frozenset({"open", "held", "blocked", "cleared"})


@dataclass(frozen=True, slots=True)
class Look:
    """How a door signal reads: colour class, symbol, a word, what it means, and its urgency
    (``rank``: the page shows doors by it, lowest first, then in the config's order)."""

    css: str
    icon: str
    word: str
    hint: str
    rank: int

    @property
    def label(self) -> str:
        return f"{self.word} – {self.hint}"


# The dock's conventions (IEC 60073, ISA-101): colour for the abnormal, never colour alone.
# STOP is red (and flashes until its alert is acknowledged), HOLD amber, a cleared truck green,
# loading is the normal state and reads calm (no alarm colour), a free door grey.
IDLE = Look("sig-idle", "i-idle", "FREE", "no shipment", 9)
UNKNOWN = Look("sig-red", "i-stop", "STOP", "state unknown: do not load or dispatch", 0)

#: (shipment state, door signal) -> how the door reads. Anything else reads UNKNOWN (red).
LOOKS: Mapping[tuple[str, str], Look] = {
    ("cleared", "green"): Look("sig-green", "i-check", "CLEARED", "may leave", 2),
    ("held", "amber"): Look("sig-amber", "i-pause", "HOLD", "waiting for licence", 1),
    ("blocked", "red"): Look("sig-red", "i-stop", "STOP", "prohibited item", 0),
    ("open", "red"): Look("sig-red", "i-stop", "STOP", "prohibited item", 0),
    ("open", "amber"): Look("sig-loading", "i-load", "LOADING", "seal when complete", 3),
}


#: A door held because goods passed its portal without a readable tag, or its portal reader
#: was down: blue, "operator action needed" (its light is amber; a red door stays red). As
#: urgent as a hold.
HELD_DOOR = Look(
    "sig-action", "i-pause", "CHECK", "goods may have passed unread: operator action", 1
)


#: A door held because a prohibited item was read after its shipment was sealed: red, its
#: light red too, whatever the shipment says (DESIGN 2: a prohibited item turns the door red).
PROHIBITED_HOLD = Look(
    "sig-red", "i-stop", "STOP", "prohibited item read after the seal: operator action", 0
)


def look(door: Mapping[str, Any]) -> Look:
    """How ``door`` reads now: free, or its shipment's state and signal; a held door reads
    as held unless it is red, and a prohibited hold reads red."""
    s = door.get("shipment")
    shown = IDLE if s is None else LOOKS.get((s["state"], s["signal"]), UNKNOWN)
    hold = door.get("hold")
    if hold and hold.get("prohibited"):
        return PROHIBITED_HOLD
    if hold and shown.css != "sig-red":
        return HELD_DOOR
    return shown


#: A line that needs a licence and has one, and a line unloaded: (css, symbol, word).
COVERED = ("dec-green", "i-check", "Licensed")
REMOVED = ("dec-removed", "i-idle", "Removed (unloaded)")

#: Severity for the line order: what stops the truck first.
LINE_ORDER = {"prohibited": 0, "licence_required": 1, "clear": 3}


#: What the page says once an action is done ("Sealed: shipment S1 is now held").
DONE = {
    "seal": "Sealed",
    "remove": "Line removed",
    "dispatch": "Dispatched",
    "cancel": "Cancelled",
    "acknowledge": "Acknowledged",
}


def _action(
    kind: str, url: str, label: str, title: str, text: str, *, css: str = "btn", body: str = ""
) -> str:
    """A button that asks ``title``/``text`` before page.js POSTs to ``url`` (with ``body``,
    JSON, when given)."""
    sent = f' data-body="{h(body)}"' if body else ""
    return (
        f'<button type="button" class="{css}" data-action="{h(kind)}" data-url="{h(url)}"{sent}'
        f' data-title="{h(title)}" data-text="{h(text)}" data-confirm="{h(label)}"'
        f' data-done="{h(DONE[kind])}">{h(label)}</button>'
    )


def _shipment_url(sid: str, *rest: str) -> str:
    return "/api/v1/shipments/" + "/".join(quote(p, safe="") for p in (sid, *rest))


def _actions(door: Mapping[str, Any], s: Mapping[str, Any], readonly: bool) -> str:
    sid, name, state = s["id"], door["name"], s["state"]
    out = []
    if readonly:
        state = "read-only"  # the display shows no action; the gate would refuse them too
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
    if state == "cleared" and not door.get("hold"):  # a held door's dispatch is refused
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
        f'<div class="muted small">last error: {h(d["last_error"])}</div>'
        if d.get("last_error")
        else ""
    )
    return f"{icon('i-wait')} not yet delivered ({tries} attempt{'s' * (tries != 1)}){err}"


REQUEST_STATUS = {
    "pending": ("dec-amber", "i-wait", "Pending: waiting for the office's answer"),
    "approved": ("dec-green", "i-check", "Approved"),
    "denied": ("dec-red", "i-stop", "Denied"),
}


def _hold(
    s: Mapping[str, Any], waiting: int | None, link: Mapping[str, Any], now: dt.datetime
) -> str:
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
        f"<strong>{since(s['sealed_at'], now) if waiting is not None else '—'}"
        f"</strong> since sealing at {h(clock(s['sealed_at']))}.</p>"
        f"{table}{link_note}"
        '<p class="note">Nobody at the gate can release a licence hold: only a signed approval '
        "from the central office can.</p></div>"
    )


def _situation(
    door: Mapping[str, Any], s: Mapping[str, Any], link: Mapping[str, Any], now: dt.datetime
) -> str:
    state = s["state"]
    active = [x for x in s["lines"] if not x["removed"]]
    prohibited = [x for x in active if x["decision"] == "prohibited"]
    if state == "held":
        return _hold(s, door.get("waiting_seconds"), link, now)
    if prohibited:
        return (
            f'<div class="box box-red"><p class="box-lead">{icon("i-stop")} '
            f"{len(prohibited)} prohibited line{'s' * (len(prohibited) != 1)}: this shipment "
            "may not leave. Unload the goods and remove the line, or cancel the shipment.</p></div>"
        )
    if state == "cleared" and door.get("hold"):
        # The door's hold decides (newuser6: the page said "dispatch it" under a banner
        # saying dispatch waits, and the gate answered 409).
        return (
            f'<div class="box box-amber"><p class="box-lead">{icon("i-pause")} Cleared, but '
            "the door is held: dispatch waits until an operator has checked the goods and "
            "acknowledged the hold above.</p></div>"
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


def _line_row(s: Mapping[str, Any], line: Mapping[str, Any], readonly: bool) -> str:
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
    title = f'<div class="muted small">{h(line["title"])}</div>' if line.get("title") else ""
    serialised = line["serials"]["count"]
    serials = (
        f'<div class="muted small">{serialised:,} serial{"s" * (serialised != 1)}</div>'
        if serialised
        else ""
    )
    container = (
        f'<div class="muted small">in pallet {h(line["container"])}</div>'
        if line.get("container")
        else ""
    )
    cover = line["covered_by"]
    if cover:
        until = (
            f" (valid until {when(cover['valid_until'])[:10]})" if cover.get("valid_until") else ""
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
    if s["state"] in LIVE_STATES and not line["removed"] and not readonly:
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
        f'<td data-label="Control">{control}{title}</td>'
        f'<td class="num" data-label="Qty">{h(line["quantity"])}</td>'
        f'<td class="decision {css}">{icon(sym)} {h(word)}</td>'
        f'<td data-label="Why">{render_why(s, line)}</td>'
        f'<td data-label="Licence">{coverage}</td>'
        f'<td class="act">{remove}</td></tr>'
    )


def _lines(s: Mapping[str, Any], readonly: bool) -> str:
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
        + "".join(_line_row(s, x, readonly) for x in shown)
        + "</tbody></table>"
        + tail
    )


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def warnings(s: Mapping[str, Any]) -> list[str]:
    """What a door still loading already says about its goods: lines that need a licence
    not yet covered, and parties on a list ("1 line needs a licence")."""
    active = [x for x in s["lines"] if not x["removed"]]
    out = []
    licence = [x for x in active if x["decision"] == "licence_required" and not x["covered_by"]]
    if licence:
        out.append(_plural(len(licence), "line needs a licence", "lines need a licence"))
    listed = [r for r in s.get("screening") or () if r.get("hits")]
    if listed:
        out.append(_plural(len(listed), "party hit a list", "parties hit a list"))
    return out


def render_lines(s: Mapping[str, Any], *, readonly: bool = False) -> str:
    """A shipment's lines, most urgent first, each with its why (for the shipment view)."""
    return _lines(s, readonly)


def _tile(door: Mapping[str, Any], now: dt.datetime, flash: bool, action: int) -> str:
    lk = look(door)
    s = door.get("shipment")
    note = ""
    if s is None:
        sub = "ready for the next one"
    else:
        extra = ""
        if s["state"] == "held" and s.get("sealed_at"):
            extra = f" · waiting {since(s['sealed_at'], now)}"
        sub = f"{h(s['id'])} · {h(s['state'])} · to {h(s['destination'])}{extra}"
        said = warnings(s) if s["state"] in ("open", "held") else []
        if said:
            note = f'<span class="tile-note">{icon("i-warn")} {h(" · ".join(said))}</span>'
    if action:
        note += (
            f'<span class="tile-action">{icon("i-info")} Operator action needed: '
            f"{h(_plural(action, 'alert', 'alerts'))} to acknowledge</span>"
        )
    flashing = " sig-flash" if flash else ""
    return (
        f'<a class="tile {lk.css}{flashing}" href="#door-{h(door["id"])}"'
        f' data-door="{h(door["id"])}" data-signal="{h(door["signal"])}"'
        f' data-rank="{lk.rank}">'
        f'<span class="tile-door">{h(door["name"])} <span class="tile-id">{h(door["id"])}</span>'
        f"</span>"
        f'<span class="tile-signal">{icon(lk.icon, "ico-big")}'
        f'<span class="tile-word">{h(lk.word)}</span></span>'
        f'<span class="tile-dash"> – </span><span class="tile-hint">{h(lk.hint)}</span>'
        f'<span class="tile-ship">{sub}</span>{note}</a>'
    )


def _door_hold(door: Mapping[str, Any], readonly: bool) -> str:
    """A door held because goods passed its portal without a readable tag (or while its
    portal reader was down), or were read after the seal (red when prohibited there): what
    happened and the operator's acknowledgement (after checking the goods by hand), refused
    while a portal reader of the door is still down."""
    hold = door.get("hold")
    if not hold:
        return ""
    n = int(hold["windows"])
    windows = "1 empty window" if n == 1 else f"{n} empty windows"
    prohibited = bool(hold.get("prohibited"))
    button = (
        ""
        if readonly
        else _action(
            "acknowledge",
            "/api/v1/doors/" + quote(str(door["id"]), safe="") + "/acknowledge",
            "Acknowledge",
            f"Acknowledge the hold of {door['name']}?",
            (
                "A prohibited item was read at this door after its shipment was sealed"
                f" ({windows}). Acknowledge only once it is off the truck."
                if prohibited
                else f"{str(hold['reason']).capitalize()} ({windows}). Acknowledge only once"
                " the goods are checked and scanned by hand."
            )
            + " Your acknowledgement is journaled.",
            body=json.dumps({"windows": hold["windows"]}),
        )
    )
    css, held = ("banner-red", "Held, prohibited") if prohibited else ("banner-amber", "Held")
    down = ", ".join(str(r) for r in hold.get("readers_down") or ())
    if down:
        button = (
            f"Portal reader {h(down)} is down: acknowledge once it is back (one that cannot be"
            f" repaired: take it out of gate.toml and restart the gate). {button}"
        )
    return (
        f'<div class="banner {css} door-hold" data-hold="{h(door["id"])}"'
        f' data-windows="{h(str(hold["windows"]))}" data-prohibited="{str(prohibited).lower()}">'
        f"{icon('i-stop')} {held}: {h(hold['reason'])} (reader {h(hold['reader'])},"
        f" {h(when(hold['at']))}; {h(windows)}). Dispatch waits for an operator. {button}</div>"
    )


def _door_detail(
    door: Mapping[str, Any], link: Mapping[str, Any], now: dt.datetime, readonly: bool
) -> str:
    lk = look(door)
    s = door.get("shipment")
    head = (
        f'<header class="door-head {lk.css}">{icon(lk.icon)}'
        f'<h2>{h(door["name"])} <span class="door-id">{h(door["id"])}</span></h2>'
        f'<span class="door-label">{h(lk.label)}</span></header>'
    ) + _door_hold(door, readonly)
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
    facts.append(("Created", h(when(s["created_at"]))))
    if s.get("sealed_at"):
        facts.append(("Sealed", h(when(s["sealed_at"]))))
    meta = (
        '<dl class="facts">'
        + "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)
        + "</dl>"
    )
    return (
        f'<article class="door" id="door-{h(door["id"])}" data-door="{h(door["id"])}"'
        f' data-shipment="{h(s["id"])}" data-state="{h(s["state"])}">{head}'
        f'<div class="door-body">{meta}{_situation(door, s, link, now)}{render_parties(s)}'
        f"{_actions(door, s, readonly)}{_lines(s, readonly)}</div></article>"
    )


def render_doors(status: Mapping[str, Any], *, readonly: bool = False) -> str:
    """The doors region: a tile per door (signal at a glance), then each door in detail."""
    now = dt.datetime.fromisoformat(status["now"])
    doors = urgency_order(status["doors"])
    alerts = status.get("alerts") or ()
    unacked = unacknowledged_by_door(alerts)
    banner = ""
    if status.get("failed"):
        banner = (
            f'<div class="banner banner-red">{icon("i-stop")} The gate is not taking changes: '
            f"{h(status['failed'])}. Nothing may be dispatched until it is restarted.</div>"
        )
    return (
        f'<div class="doors-inner" data-now="{h(status["now"])}">{banner}'
        '<div class="tiles">'
        + "".join(
            _tile(
                d, now, look(d).rank == 0 and flashes(d, unacked, alerts), unacked.get(d["id"], 0)
            )
            for d in doors
        )
        + '</div><div class="details">'
        + "".join(_door_detail(d, status["link"], now, readonly) for d in doors)
        + "</div></div>"
    )


def urgency_order(doors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """STOP doors first, then HOLD, then cleared, then loading, a free door last; doors of
    one kind keep the config's order (the sort is stable)."""
    return sorted(doors, key=lambda d: look(d).rank)


def unacknowledged_by_door(alerts: Any) -> dict[str, int]:
    """How many alerts of each door wait for an operator's acknowledgement."""
    out: dict[str, int] = {}
    for a in alerts:
        if a.get("door") and a.get("needs_ack") and not a.get("acked_by"):
            out[a["door"]] = out.get(a["door"], 0) + 1
    return out


def acknowledged(door: Mapping[str, Any], alerts: Any) -> bool:
    """Whether an operator acknowledged an alert about the door's current shipment."""
    sid = (door.get("shipment") or {}).get("id")
    return any(a.get("acked_by") and a.get("shipment") == sid for a in alerts)


def flashes(door: Mapping[str, Any], unacked: Mapping[str, int], alerts: Any) -> bool:
    """A STOP flashes until its alerts are acknowledged (a STOP with no alert the page
    knows of, e.g. found blocked at start, flashes until it is resolved)."""
    return unacked.get(str(door["id"]), 0) > 0 or not acknowledged(door, alerts)
