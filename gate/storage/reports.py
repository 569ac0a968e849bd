"""The compliance officer's reports, read from the journal and the store.

Each report is a list of flat rows (``dict`` of str to a scalar) with its columns in a fixed
order (``COLUMNS``), so it renders as CSV and as JSON alike. Every function only reads: they
run on a read-only connection (``schema.connect_readonly``), beside a serving gate.

A range is ``[start, end)`` on the journal's timestamps (either bound may be ``None``).

``dispatched``  what left the building: one row per dispatched line, from each
                ``shipment.dispatched`` record (a record written before records named their
                lines is completed from the stored shipment).
``holds``       each time a shipment was held or blocked: from when, until when, how long,
                why (the lines that stopped it) and how it ended.
``licences``    each licence used in the range (standing, an approval, a general licence):
                units drawn, shipments, and for a standing licence what is left now.
``screening``   each list hit on a shipment's party, first seen when, and how it was
                resolved: cleared by the office (``clearances``), or the shipment's end.
``freshness``   each change of the screening lists' data and dates, and of the policy.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from gate.core.text import escape_refused
from gate.errors import JournalError
from gate.storage.journal import AuditRecord, format_ts, time_range

Row = dict[str, Any]

_FIELDS = "seq, ts, kind, actor, subject, data, prev_hash, hash"


def records(
    conn: sqlite3.Connection,
    start: dt.datetime | None,
    end: dt.datetime | None,
    kinds: Sequence[str] | None = None,
    subject: str | None = None,
) -> Iterator[AuditRecord]:
    """The journal's records in ``[start, end)`` of ``kinds`` (all when ``None``), in order.
    Raises JournalError for a naive bound or an empty range."""
    clauses, bounds = time_range(start, end)
    params: list[Any] = list(bounds)
    if kinds is not None:
        clauses.append(f"kind IN ({', '.join('?' for _ in kinds)})")
        params.extend(kinds)
    if subject is not None:
        clauses.append("subject = ?")
        params.append(subject)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    for row in conn.execute(f"SELECT {_FIELDS} FROM audit {where} ORDER BY seq", params):
        yield AuditRecord(*row)


def _stored(conn: sqlite3.Connection, sid: str | None) -> dict[str, Any] | None:
    """A shipment's stored document, or ``None``."""
    if sid is None:
        return None
    row = conn.execute("SELECT doc FROM shipments WHERE id = ?", (sid,)).fetchone()
    if row is None:
        return None
    doc: dict[str, Any] = json.loads(row[0])
    return doc


def _digest(conn: sqlite3.Connection, sid: str, key: str, epoch: int) -> str | None:
    import hashlib

    serials = [
        s
        for (s,) in conn.execute(
            "SELECT serial FROM serials WHERE shipment = ? AND line = ? AND epoch = ?",
            (sid, key, epoch),
        )
    ]
    if not serials:
        return None
    return hashlib.sha256("".join(f"{s}\n" for s in sorted(serials)).encode()).hexdigest()


def _lines_from_store(
    conn: sqlite3.Connection, sid: str | None
) -> tuple[dict[str, Any], list[Row]]:
    """The route and dispatched lines of a shipment from its stored document (for a
    ``shipment.dispatched`` record written before records named their lines)."""
    doc = _stored(conn, sid)
    if doc is None or sid is None:
        return {}, []
    lines = []
    for x in doc.get("lines", []):
        if x.get("removed"):
            continue
        covered = x.get("covered_by") or {}
        c = x.get("classification") or {}
        general = x.get("general_licence")
        kind = covered.get("kind") or ("general_licence" if general else "none")
        lines.append(
            {
                "key": x["key"],
                "description": c.get("description", ""),
                "control": c.get("control", ""),
                "quantity": x["quantity"],
                "serials": x.get("serialised", 0),
                "serials_sha256": _digest(conn, sid, x["key"], x.get("epoch", 0)),
                "cover": kind,
                "licence": covered.get("licence"),
                "request_id": covered.get("request_id"),
                "general_licence": general,
            }
        )
    route = {
        "door": doc.get("door"),
        "destination": doc.get("destination"),
        "consignee": doc.get("consignee") or {},
    }
    return route, lines


def dispatched(
    conn: sqlite3.Connection, start: dt.datetime | None, end: dt.datetime | None
) -> list[Row]:
    """What left the building: one row per dispatched line."""
    rows: list[Row] = []
    for rec in records(conn, start, end, ("shipment.dispatched",)):
        d = rec.payload()
        route: Mapping[str, Any] = d
        lines = d.get("lines")
        if lines is None:
            route, lines = _lines_from_store(conn, rec.subject)
        consignee = route.get("consignee") or {}
        for x in lines:
            rows.append(
                {
                    "dispatched_at": rec.ts,
                    "shipment": rec.subject,
                    "door": route.get("door"),
                    "destination": route.get("destination"),
                    "consignee": consignee.get("name"),
                    "consignee_country": consignee.get("country"),
                    "line": x["key"],
                    "description": x.get("description", ""),
                    "control": x.get("control", ""),
                    "quantity": x["quantity"],
                    "serials": x.get("serials", 0),
                    "serials_sha256": x.get("serials_sha256"),
                    "cover": x.get("cover", "none"),
                    "licence": x.get("licence"),
                    "request_id": x.get("request_id"),
                    "general_licence": x.get("general_licence"),
                    "dispatched_by": d.get("dispatched_by", rec.actor),
                    "seq": rec.seq,
                }
            )
    return rows


_STOPPED = ("held", "blocked")


def _seconds(start: str, end: str) -> float:
    a = dt.datetime.fromisoformat(start)
    b = dt.datetime.fromisoformat(end)
    return round((b - a).total_seconds(), 3)


def _why(d: Mapping[str, Any]) -> str:
    """The lines that stopped a shipment, as one text: ``key: reason, reason (detail)``."""
    parts = []
    for x in d.get("blocking") or ():
        detail = f" ({x['detail']})" if x.get("detail") else ""
        parts.append(f"{x['key']}: {', '.join(x.get('reasons', []))}{detail}")
    return "; ".join(parts)


def holds(
    conn: sqlite3.Connection,
    start: dt.datetime | None,
    end: dt.datetime | None,
    now: dt.datetime | None = None,
) -> list[Row]:
    """Each spell of a shipment in ``held`` or ``blocked`` that began in the range; one
    still running is measured to ``now`` (``ended_at`` empty).

    A spell begins at a record whose ``state`` is held or blocked and whose
    ``previous_state`` differs, and ends at the shipment's next record in another state, found
    after the range if need be. Scan records are skipped: a scan only meets an open shipment.
    """
    now = now or dt.datetime.now(dt.UTC)
    until = None if end is None else format_ts(end)
    open_spells: dict[str, Row] = {}
    rows: list[Row] = []
    where = "WHERE kind NOT LIKE 'scan%' AND data LIKE '%\"state\"%'"
    params: list[Any] = []
    if start is not None:
        where += " AND ts >= ?"
        params.append(format_ts(start))
    for row in conn.execute(f"SELECT {_FIELDS} FROM audit {where} ORDER BY seq", params):
        rec = AuditRecord(*row)
        beyond = until is not None and rec.ts >= until
        if beyond and not open_spells:
            break
        d = rec.payload()
        state = d.get("state") if isinstance(d, dict) else None
        if rec.subject is None or not isinstance(state, str):
            continue
        spell = open_spells.get(rec.subject)
        if spell is not None and spell["state"] != state:
            spell.update(
                ended_at=rec.ts,
                seconds=_seconds(spell["started_at"], rec.ts),
                ended_by=rec.kind,
                ended_actor=rec.actor,
                then=state,
            )
            del open_spells[rec.subject]
        if state in _STOPPED and d.get("previous_state") != state and not beyond:
            spell = {
                "shipment": rec.subject,
                "state": state,
                "started_at": rec.ts,
                "started_by": rec.kind,
                "ended_at": None,
                "seconds": None,
                "why": _why(d),
                "ended_by": None,
                "ended_actor": None,
                "then": None,
            }
            open_spells[rec.subject] = spell
            rows.append(spell)
    for spell in open_spells.values():
        spell["seconds"] = _seconds(spell["started_at"], format_ts(now))
    return rows


def licences(
    conn: sqlite3.Connection, start: dt.datetime | None, end: dt.datetime | None
) -> list[Row]:
    """Each licence the range's dispatches used, with units and shipments; a standing
    licence with its quantity and what is left now."""
    used: dict[tuple[str, str], Row] = {}
    for row in dispatched(conn, start, end):
        cover = row["cover"]
        if cover == "none":
            continue
        number = row["general_licence"] if cover == "general_licence" else row["licence"]
        entry = used.setdefault(
            (cover, number),
            {
                "cover": cover,
                "licence": number,
                "units": 0,
                "shipments": set(),
                "quantity": None,
                "remaining": None,
                "valid_until": None,
            },
        )
        entry["units"] += row["quantity"]
        entry["shipments"].add(row["shipment"])
    for number, doc_text, remaining in conn.execute(
        "SELECT number, doc, remaining FROM licences ORDER BY number"
    ):
        doc = json.loads(doc_text)
        entry = used.setdefault(
            ("standing", number),
            {"cover": "standing", "licence": number, "units": 0, "shipments": set()},
        )
        entry.update(
            quantity=doc.get("quantity"), remaining=remaining, valid_until=doc.get("valid_until")
        )
    return [
        {**e, "shipments": len(e["shipments"])}
        for e in sorted(used.values(), key=lambda e: (e["cover"], e["licence"] or ""))
    ]


def _clearances(conn: sqlite3.Connection) -> dict[tuple[Any, ...], str]:
    found: dict[tuple[Any, ...], str] = {}
    for listed, entry, version, name, cleared_at in conn.execute(
        "SELECT list, entry, version, name, cleared_at FROM clearances ORDER BY id"
    ):
        found.setdefault((listed, entry, version, name), cleared_at)
    return found


def screening(
    conn: sqlite3.Connection, start: dt.datetime | None, end: dt.datetime | None
) -> list[Row]:
    """Each hit of a shipment's party first journaled in the range, and how it ended."""
    cleared = _clearances(conn)
    seen: set[tuple[str | None, str, str | None, str, str, str]] = set()
    rows: list[Row] = []
    for rec in records(conn, start, end):
        if '"screening"' not in rec.data:
            continue
        d = rec.payload()
        for found in d.get("screening") or ():
            party = found.get("party") or {}
            for hit in found.get("hits") or ():
                # Each party once: two end users matching one entry are two hits (the party's
                # name was not in the key, and the second one's hit was not reported: attack19).
                role, name = party.get("role", ""), party.get("name")
                key = (rec.subject, role, name, hit["list"], hit["entry"], hit["name"])
                if key in seen:
                    continue
                seen.add(key)
                at = cleared.get((hit["list"], hit["entry"], hit["version"], party.get("name")))
                rows.append(
                    {
                        "seen_at": rec.ts,
                        "shipment": rec.subject,
                        "role": party.get("role"),
                        "party": party.get("name"),
                        "country": party.get("country"),
                        "list": hit["list"],
                        "entry": hit["entry"],
                        "version": hit["version"],
                        "matched": hit["name"],
                        "score": hit["score"],
                        "action": hit["action"],
                        "resolution": None,
                        "resolved_at": at,
                    }
                )
    for row in rows:
        row["resolution"] = _resolution(conn, row)
    return rows


def _resolution(conn: sqlite3.Connection, row: Row) -> str:
    if row["resolved_at"] is not None:
        return "cleared by the office"
    doc = _stored(conn, row["shipment"])
    state = None if doc is None else doc.get("state")
    if doc is not None and state == "dispatched":
        return _dispatched_with(doc, row)
    return {"cancelled": "shipment cancelled"}.get(state or "", f"open: shipment {state}")


def _dispatched_with(doc: Mapping[str, Any], row: Row) -> str:
    """How a dispatched shipment's hit ended: gone from the shipment's screening when it left
    (a list changed), or standing, the goods under the licences named (a ``licence`` list's
    hit needs one, and an office's approval gives it: attack19 found such a shipment reported
    as "hit no longer matched")."""
    for found in doc.get("screening") or ():
        party = found.get("party") or {}
        if (party.get("role"), party.get("name")) != (row["role"], row["party"]):
            continue
        for hit in found.get("hits") or ():
            if (hit.get("list"), hit.get("entry")) == (row["list"], row["entry"]):
                licences = sorted(
                    {
                        str(cover["licence"])
                        for x in doc.get("lines") or ()
                        if not x.get("removed")
                        and (cover := x.get("covered_by") or {}).get("licence")
                    }
                )
                under = f", under licence {', '.join(licences)}" if licences else ""
                return f"shipment dispatched with the hit standing{under}"
    return "shipment dispatched (hit no longer matched)"


def freshness(
    conn: sqlite3.Connection, start: dt.datetime | None, end: dt.datetime | None
) -> list[Row]:
    """Each change of the screening lists (their data or their dates) and of the policy."""
    rows: list[Row] = []
    kinds = ("lists.changed", "lists.published_changed", "policy.changed")
    for rec in records(conn, start, end, kinds):
        d = rec.payload()
        changes = d.get("lists") if rec.kind != "policy.changed" else None
        if isinstance(changes, dict) and changes:
            for name, change in sorted(changes.items()):
                rows.append(_freshness_row(rec, d, name, change))
        else:
            rows.append(_freshness_row(rec, d, "policy", d))
    return rows


def _freshness_row(rec: AuditRecord, d: Mapping[str, Any], name: str, change: Any) -> Row:
    c = change if isinstance(change, dict) else {}
    counted = "entries" in c  # a list's entries changed (lists.changed)
    return {
        "at": rec.ts,
        "kind": rec.kind,
        "source": name,
        "why": d.get("why"),
        "entries": c.get("entries"),
        "added": c.get("added"),
        "removed": c.get("removed"),
        "changed": c.get("changed"),
        "published": c.get("published"),
        "before": None if counted else _text(c.get("before")),
        "after": None if counted else _text(c.get("after", change)),
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) or value is None else json.dumps(value, sort_keys=True)


Report = Callable[[sqlite3.Connection, dt.datetime | None, dt.datetime | None], list[Row]]

#: Every report by name, with its columns in order.
REPORTS: Mapping[str, Report] = {
    "dispatched": dispatched,
    "holds": holds,
    "licences": licences,
    "screening": screening,
    "freshness": freshness,
}

COLUMNS: Mapping[str, tuple[str, ...]] = {
    "dispatched": (
        "dispatched_at",
        "shipment",
        "door",
        "destination",
        "consignee",
        "consignee_country",
        "line",
        "description",
        "control",
        "quantity",
        "serials",
        "serials_sha256",
        "cover",
        "licence",
        "request_id",
        "general_licence",
        "dispatched_by",
        "seq",
    ),
    "holds": (
        "shipment",
        "state",
        "started_at",
        "started_by",
        "ended_at",
        "seconds",
        "why",
        "ended_by",
        "ended_actor",
        "then",
    ),
    "licences": (
        "cover",
        "licence",
        "units",
        "shipments",
        "quantity",
        "remaining",
        "valid_until",
    ),
    "screening": (
        "seen_at",
        "shipment",
        "role",
        "party",
        "country",
        "list",
        "entry",
        "version",
        "matched",
        "score",
        "action",
        "resolution",
        "resolved_at",
    ),
    "freshness": (
        "at",
        "kind",
        "source",
        "why",
        "entries",
        "added",
        "removed",
        "changed",
        "published",
        "before",
        "after",
    ),
}


def run(
    conn: sqlite3.Connection,
    kind: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
    now: dt.datetime | None = None,
) -> list[Row]:
    """The report ``kind`` over ``[start, end)``, each row in its columns' order (a hold
    still running is measured to ``now``). Raises JournalError for an unknown kind or an
    empty range."""
    report = REPORTS.get(kind)
    if report is None:
        raise JournalError(f"no report {kind!r} (reports: {', '.join(REPORTS)})")
    columns = COLUMNS[kind]
    rows = holds(conn, start, end, now) if kind == "holds" else report(conn, start, end)
    return [{c: row.get(c) for c in columns} for row in rows]


def render(
    kind: str,
    rows: Sequence[Row],
    fmt: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> str:
    """A report's rows as CSV (a header row first; an empty cell for none) or as JSON
    (``{"report", "from", "to", "rows"}``)."""
    if fmt == "json":
        doc = {
            "report": kind,
            "from": None if start is None else start.isoformat(),
            "to": None if end is None else end.isoformat(),
            "rows": list(rows),
        }
        text = json.dumps(doc, ensure_ascii=False, indent=1)
        # What a terminal would run or a display reorder, escaped as in ``gate audit export``;
        # the indent's line feeds are the only ones left raw (JSON escapes those in text).
        return "\n".join(escape_refused(line) for line in text.split("\n")) + "\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS[kind])
    for row in rows:
        writer.writerow([_cell(row[c]) for c in COLUMNS[kind]])
    return out.getvalue()


#: What a spreadsheet reads as the start of a formula (OWASP's "CSV injection"), and the line
#: breaks and tabs before one; their full-width and small forms (＝, ﹦) are read as these.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _cell(value: object) -> object:
    """``value`` for a CSV cell: empty for none, and text a spreadsheet would run as a formula
    (a consignee named ``=HYPERLINK(...)``) behind a ``'``, so it shows as the text it is.
    Numbers stay numbers (a negative one is not text).

    What may come before the formula's sign is not ours to guess spreadsheet by spreadsheet:
    any spaces (every Unicode space: a consignee's name may begin with U+2003, which no check
    refuses) and invisible format characters are skipped, and the sign is judged by its
    compatibility form (NFKC: full-width ＝ U+FF1D, small ﹦ U+FE66, superscript ⁼ are ``=``)."""
    if value is None:
        return ""
    if isinstance(value, str) and _formula(value):
        return "'" + value
    return value


def _formula(text: str) -> bool:
    """Whether ``text`` starts, past any spaces and invisible characters, with a sign that a
    spreadsheet may read as the start of a formula."""
    if text.startswith(_FORMULA_START):
        return True
    for char in text:
        if char.isspace() or unicodedata.category(char) == "Cf":
            continue
        return unicodedata.normalize("NFKC", char).startswith(_FORMULA_START)
    return False
