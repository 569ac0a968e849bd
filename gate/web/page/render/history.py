"""The history dialog: one shipment's audit records, who did what when."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gate.web.page.render.markup import h, when


def render_history(doc: Mapping[str, Any]) -> str:
    """The records of ``overview.history_doc``, oldest first, in a table."""
    rows = "".join(
        f'<tr class="hist-{h(r["kind"].split(".")[0])}"><td class="mono small">{h(r["seq"])}</td>'
        f'<td class="nowrap">{h(when(r["ts"]))}</td><td>{h(r["actor"])}</td>'
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
