"""Finding shipments on the page, closed ones too: by shipment, door, item, party and state.

``GET /page/shipments?q=&state=&door=`` answers a table of at most ``RESULTS`` shipments,
most recently changed first, read from the store (every shipment the gate has had, not only
the ones in memory). ``q`` matches the shipment's id, an item's code or name, and a party's
name (case-insensitive for ASCII letters, as SQLite's LIKE); ``state`` is a state, ``live``
or ``closed``; ``door`` a configured door. ``GET /page/shipments/{id}`` answers one shipment
as it stands (or as it was closed): its facts, parties, lines with their why, and its history.
Both only read; a bad filter is 400 and a shipment the gate never had 404.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from aiohttp import web

from gate.core.access import Action
from gate.core.shipment_values import State
from gate.errors import NotFound
from gate.storage.shipment_codec import decode
from gate.web import app_keys
from gate.web.page import overview
from gate.web.page.render.doors import render_lines
from gate.web.page.render.history import render_history
from gate.web.page.render.markup import h, when
from gate.web.page.render.parties import render_parties
from gate.web.page.responses import html_page
from gate.web.problems import Problem
from gate.web.shipment_docs import to_doc

RESULTS = 50
MAX_QUERY = 100
LIVE = ("open", "held", "blocked", "cleared")
CLOSED = ("dispatched", "cancelled")
STATES: Mapping[str, Sequence[str]] = {
    "": (),
    "live": LIVE,
    "closed": CLOSED,
    **{s.value: (s.value,) for s in State},
}


#: What ``q`` is matched against: the id, each line's code and item name, the consignee's and
#: every party's name (inside the stored document, not its field names).
MATCHES = """(
    id LIKE ? ESCAPE '\\'
    OR json_extract(doc, '$.consignee.name') LIKE ? ESCAPE '\\'
    OR EXISTS (SELECT 1 FROM json_each(doc, '$.parties') AS p
               WHERE json_extract(p.value, '$.name') LIKE ? ESCAPE '\\')
    OR EXISTS (SELECT 1 FROM json_each(doc, '$.lines') AS l
               WHERE json_extract(l.value, '$.key') LIKE ? ESCAPE '\\'
               OR json_extract(l.value, '$.classification.description') LIKE ? ESCAPE '\\')
)"""


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _find(
    q: str, states: Sequence[str], door: str
) -> Callable[[sqlite3.Connection], list[tuple[Any, ...]]]:
    def read(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
        where, args = [], []
        if q:
            where.append(MATCHES)
            args += [_like(q)] * MATCHES.count("?")
        if states:
            where.append(f"state IN ({', '.join('?' * len(states))})")
            args += list(states)
        if door:
            where.append("door = ?")
            args.append(door)
        sql = "SELECT id, door, state, doc, updated_at FROM shipments"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY updated_at DESC, id LIMIT ?"
        return conn.execute(sql, (*args, RESULTS + 1)).fetchall()

    return read


def _row(sid: str, door: str, state: str, doc: Mapping[str, Any], updated: str | None) -> str:
    consignee = doc.get("consignee") or {}
    items = ", ".join(
        str((x.get("classification") or {}).get("description") or x.get("key"))
        for x in (doc.get("lines") or ())[:3]
    )
    view = "/page/shipments/" + quote(sid, safe="")
    return (
        f'<tr class="found" data-shipment="{h(sid)}"><td class="mono">{h(sid)}</td>'
        f"<td>{h(door)}</td><td><strong>{h(state)}</strong></td>"
        f"<td>{h(consignee.get('name'))} ({h(consignee.get('country'))})</td>"
        f"<td>{h(items)}</td><td>{h(when(updated))}</td>"
        f'<td><button type="button" class="btn btn-quiet btn-small" data-history="{h(view)}"'
        f' data-title="{h(f"Shipment {sid}")}">View</button></td></tr>'
    )


def _filters(request: web.Request) -> tuple[str, Sequence[str], str]:
    q = request.query.get("q", "").strip()
    if len(q) > MAX_QUERY:
        raise Problem(400, "bad-request", "Bad request", f"q is longer than {MAX_QUERY}")
    state = request.query.get("state", "")
    if state not in STATES:
        raise Problem(400, "bad-request", "Bad request", f"unknown state {state!r}")
    door = request.query.get("door", "")
    if door and request.app[app_keys.CONFIG].door(door) is None:
        raise Problem(400, "bad-request", "Bad request", f"unknown door {door!r}")
    return q, STATES[state], door


async def find_fragment(request: web.Request) -> web.StreamResponse:
    """The shipments that match the filters, as a table for the page."""
    request[app_keys.ACTOR] = request.app[app_keys.CLIENTS].authenticate(request, Action.READ).name
    q, states, door = _filters(request)
    rows = await request.app[app_keys.DOCKS].store.read(_find(q, states, door))
    if not rows:
        return html_page('<p class="muted" id="found-none">No shipment matches.</p>')
    more = len(rows) > RESULTS
    body = "".join(_row(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows[:RESULTS])
    note = (
        f'<p class="muted">The newest {RESULTS} are shown: narrow the search.</p>' if more else ""
    )
    return html_page(
        f'{note}<table class="found-table"><thead><tr><th>Shipment</th><th>Door</th>'
        "<th>State</th><th>Consignee</th><th>Items</th><th>Changed</th><th></th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


async def shipment_fragment(request: web.Request) -> web.StreamResponse:
    """One shipment, live or closed: facts, parties, lines with their why, history.
    Raises NotFound (404) for a shipment the gate has never had."""
    request[app_keys.ACTOR] = request.app[app_keys.CLIENTS].authenticate(request, Action.READ).name
    sid = request.match_info["id"]
    docks = request.app[app_keys.DOCKS]
    live = docks.state.shipments.get(sid)
    if live is not None:
        doc = to_doc(live)
    else:

        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT doc FROM shipments WHERE id = ?", (sid,)).fetchone()
            return None if row is None else str(row[0])

        stored = await docks.store.read(read)
        if stored is None:
            raise NotFound(f"no shipment {sid!r}")
        doc = to_doc(decode(json.loads(stored)))
    history = await overview.history_doc(docks, sid)
    consignee = doc["consignee"]
    facts = (
        '<dl class="facts">'
        f"<div><dt>State</dt><dd><strong>{h(doc['state'])}</strong></dd></div>"
        f"<div><dt>Door</dt><dd>{h(doc['door'])}</dd></div>"
        f"<div><dt>Destination</dt><dd>{h(doc['destination'])}</dd></div>"
        f"<div><dt>Consignee</dt><dd>{h(consignee['name'])} ({h(consignee['country'])})</dd></div>"
        f"<div><dt>Created</dt><dd>{h(when(doc['created_at']))}</dd></div>"
        f"<div><dt>Closed</dt><dd>{h(when(doc.get('closed_at')))}</dd></div></dl>"
    )
    return html_page(
        f'<div class="shipment-view" data-shipment="{h(sid)}">{facts}{render_parties(doc)}'
        f"{render_lines(doc, readonly=True)}<h3>History</h3>{render_history(history)}</div>"
    )


def search_form(doors: Sequence[tuple[str, str]]) -> str:
    """The search form (outside the live regions, so a refresh never clears what is typed)."""
    options = "".join(f'<option value="{h(i)}">{h(name)}</option>' for i, name in doors)
    states = "".join(
        f'<option value="{h(v)}">{h(label)}</option>'
        for v, label in (
            ("", "any state"),
            ("live", "at a door now"),
            ("closed", "closed (dispatched, cancelled)"),
            ("dispatched", "dispatched"),
            ("cancelled", "cancelled"),
            ("held", "held"),
            ("blocked", "blocked"),
        )
    )
    return (
        '<form id="find-form" class="find-form" role="search" action="/page/shipments">'
        '<label for="find-q">Shipment, item or party</label>'
        '<input id="find-q" name="q" type="search" maxlength="100" autocomplete="off">'
        '<label for="find-state">State</label>'
        f'<select id="find-state" name="state">{states}</select>'
        '<label for="find-door">Door</label>'
        f'<select id="find-door" name="door"><option value="">any door</option>{options}</select>'
        '<button type="submit" class="btn btn-small" id="find-go">Find</button></form>'
        '<div id="find-results" class="find-results" aria-live="polite"></div>'
    )
