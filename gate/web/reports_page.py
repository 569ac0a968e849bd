"""The compliance officer's reports on the web: ``GET /reports`` (a page for a logged-in
operator: a date range, each report's row count, and download links) and
``GET /reports/{kind}.{csv|json}?from=&to=`` (the report itself, as ``gate report`` writes
it). Both read the database through a read-only connection of their own, on a worker
thread, so the docks' writer is never held up by a long report.

The range is ``from`` (inclusive) to ``to`` (exclusive), ISO dates or date-times; without
either, today (UTC). A bad range is a 400 problem.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from urllib.parse import urlencode

from aiohttp import web

from gate.core.access import Action
from gate.errors import GateError
from gate.storage import reports
from gate.storage.schema import connect_readonly
from gate.web import app_keys
from gate.web.page.render.markup import h
from gate.web.page.responses import html_page, redirect, static_url, template
from gate.web.problems import Problem
from gate.web.shipment_query import instant

_ABOUT = {
    "dispatched": "What left the building: each line, its quantity, serials and licence",
    "holds": "Time held or blocked, why, and how it ended",
    "licences": "Licences used (standing, approvals, general licences) and what is left",
    "screening": "List hits on shipments' parties and how they were resolved",
    "freshness": "Changes of the screening lists' data and dates, and of the policy",
}


def _range(request: web.Request) -> tuple[dt.datetime, dt.datetime]:
    """The asked range; today (UTC) by default, a day after ``from`` when only it is given."""
    start = instant("from", request.query.get("from") or None)
    end = instant("to", request.query.get("to") or None)
    if start is None:
        now = request.app[app_keys.DOCKS].clock()
        today = dt.datetime.combine(now.astimezone(dt.UTC).date(), dt.time(), dt.UTC)
        start = today if end is None else end - dt.timedelta(days=1)
    if end is None:
        end = start + dt.timedelta(days=1)
    if start >= end:
        raise Problem(400, "bad-request", "Bad request", "from must be before to")
    return start, end


def _run(
    request: web.Request, kinds: tuple[str, ...], start: dt.datetime, end: dt.datetime
) -> dict[str, list[reports.Row]]:
    """Runs the reports on a read-only connection of their own (on a worker thread)."""
    conn = connect_readonly(request.app[app_keys.CONFIG].database)
    now = request.app[app_keys.DOCKS].clock()
    try:
        return {kind: reports.run(conn, kind, start, end, now) for kind in kinds}
    except sqlite3.Error as exc:
        raise Problem(
            503, "unavailable", "Unavailable", f"cannot read the database: {exc}"
        ) from exc
    finally:
        conn.close()


async def _reports(
    request: web.Request, kinds: tuple[str, ...], start: dt.datetime, end: dt.datetime
) -> dict[str, list[reports.Row]]:
    try:
        return await asyncio.to_thread(_run, request, kinds, start, end)
    except GateError as exc:
        raise Problem(400, "bad-request", "Bad request", str(exc)) from exc


def _day(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).date().isoformat()


async def reports_index(request: web.Request) -> web.StreamResponse:
    """The reports page, for a logged-in operator; everyone else goes to the login."""
    if request.app[app_keys.CLIENTS].session(request) is None:
        return redirect("/login")
    start, end = _range(request)
    found = await _reports(request, tuple(reports.REPORTS), start, end)
    query = urlencode({"from": start.isoformat(), "to": end.isoformat()})
    rows = "\n".join(
        f"<tr><td>{h(kind)}</td><td>{h(_ABOUT[kind])}</td><td>{len(found[kind])}</td><td>"
        f'<a href="/reports/{h(kind)}.csv?{h(query)}" download>CSV</a> · '
        f'<a href="/reports/{h(kind)}.json?{h(query)}" download>JSON</a></td></tr>'
        for kind in reports.REPORTS
    )
    text = template("reports.html").substitute(
        gate_id=h(request.app[app_keys.CONFIG].gate_id),
        css=h(static_url(request.app, "page.css")),
        start=h(_day(start)),
        end=h(_day(end)),
        rows=rows,
    )
    return html_page(text)


async def report_file(request: web.Request) -> web.StreamResponse:
    """One report as a CSV or JSON download (an operator's session or a reading token)."""
    name = request.app[app_keys.CLIENTS].authenticate(request, Action.READ).name
    request[app_keys.ACTOR] = name
    kind, fmt = request.match_info["kind"], request.match_info["format"]
    if kind not in reports.REPORTS:
        raise Problem(404, "not-found", "Not found", f"no report {kind[:40]!r}")
    start, end = _range(request)
    rows = (await _reports(request, (kind,), start, end))[kind]
    body = reports.render(kind, rows, fmt, start, end)
    filename = f"gate-{kind}-{_day(start)}-{_day(end)}.{fmt}"
    return web.Response(
        text=body,
        content_type="text/csv" if fmt == "csv" else "application/json",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def setup(app: web.Application) -> None:
    """Adds the report routes."""
    app.router.add_get("/reports", reports_index)
    app.router.add_get(r"/reports/{kind}.{format:csv|json}", report_file)
