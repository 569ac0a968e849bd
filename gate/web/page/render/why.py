"""The whole "why" of a line, readable without a hover (a touch panel has none).

A line's row shows its reasons in plain words; a tap (or Enter on the keyboard) on them opens
the rest, written out: the rule that decided, the control list entry and its title, the list
and entry each party matched with the score, what the central office answered (its reason,
the licence) and the licence that covers the line. It is a ``<details>`` element, so it needs
no script, is reachable with the Tab key, and page.js keeps it open across the live refresh
(by its ``id``, which depends only on the shipment and the line).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from gate.web.page.render.markup import h, when

#: Reasons that come from a party on a screening list: the hits are part of the line's why.
PARTY_REASONS = frozenset({"sanctioned_party", "listed_party", "denied_party"})


def why_id(shipment_id: str, key: str) -> str:
    """A stable element id for a line's why (any characters in the ids are fine)."""
    digest = hashlib.sha256(f"{shipment_id}\0{key}".encode()).hexdigest()[:16]
    return f"why-{digest}"


def _hits(s: Mapping[str, Any]) -> list[str]:
    out = []
    for row in s.get("screening") or ():
        party = row.get("party") or {}
        for hit in row.get("hits") or ():
            score = hit.get("score")
            shown = f"{score:.2f}" if isinstance(score, int | float) else "?"
            out.append(
                f"{h(party.get('name'))} matches list <strong>{h(hit.get('list'))}</strong> "
                f'entry <span class="mono">{h(hit.get("entry"))}</span> '
                f"'{h(hit.get('name'))}', score {h(shown)} ({h(hit.get('action'))})"
            )
    return out


def _office(s: Mapping[str, Any], key: str) -> list[str]:
    """What the central office answered about this line (a request that named it)."""
    asked = {
        r["request_id"]
        for r in s.get("requests") or ()
        if any(x.get("key") == key for x in r.get("lines") or ())
    }
    out = []
    for a in s.get("approvals") or ():
        if a.get("request_id") not in asked:
            continue
        licence = a.get("licence") or {}
        text = f'{h(a.get("decision"))} request <span class="mono">{h(a.get("request_id"))}</span>'
        if licence.get("number"):
            until = (
                f", valid until {when(licence['valid_until'])[:10]}"
                if licence.get("valid_until")
                else ""
            )
            text += f", licence {h(licence['number'])}{h(until)}"
        if a.get("reason"):
            text += f": {h(a['reason'])}"
        out.append(text)
    for r in s.get("requests") or ():
        if r["request_id"] in asked and r.get("status") == "pending":
            out.append(f'request <span class="mono">{h(r["request_id"])}</span>: no answer yet')
    return out


def _row(name: str, values: Sequence[str]) -> str:
    if not values:
        return ""
    body = values[0] if len(values) == 1 else "<br>".join(values)
    return f"<dt>{h(name)}</dt><dd>{body}</dd>"


def render_why(s: Mapping[str, Any], line: Mapping[str, Any]) -> str:
    """The line's reasons, and beneath them (a tap away) everything they stand on."""
    reasons = "; ".join(line.get("reason_text") or ()) or "—"
    rows = [_row("Rule", [h(line["rule"])] if line.get("rule") else [])]
    if line.get("detail") and str(line["detail"]).lower() not in reasons.lower():
        rows.append(_row("Detail", [h(line["detail"])]))
    if line.get("control"):
        title = f": {h(line['title'])}" if line.get("title") else ""
        rows.append(
            _row("Control entry", [f'<span class="mono">{h(line["control"])}</span>{title}'])
        )
    if PARTY_REASONS & set(line.get("reasons") or ()):
        rows.append(_row("Lists", _hits(s)))
    rows.append(_row("Office", _office(s, str(line["key"]))))
    cover = line.get("covered_by")
    licence = []
    if cover:
        until = (
            f" (valid until {when(cover['valid_until'])[:10]})" if cover.get("valid_until") else ""
        )
        licence.append(h(f"{cover.get('text') or cover.get('licence')}{until}"))
    elif line.get("general_licence"):
        licence.append(h(f"general licence {line['general_licence']}"))
    rows.append(_row("Licence", licence))
    if line.get("lookup_error"):
        rows.append(_row("Lookup", [h(line["lookup_error"])]))
    body = "".join(rows) or "<dt>More</dt><dd>nothing more is recorded</dd>"
    return (
        f'<details class="why" id="{why_id(str(s["id"]), str(line["key"]))}">'
        f'<summary class="why-sum">{h(reasons)} <span class="why-more">(why)</span></summary>'
        f'<dl class="why-body">{body}</dl></details>'
    )
