"""A shipment's parties and what the list screening found for each, in plain words.

Each party (the consignee, then the shipment's ``parties``) reads as one line: its role,
name and country, then either "no list match" or one line per hit ("matches notices entry
N-0042 'ORBITAL TRADEWINDS LLC', score 0.97: licence needed") with the hit's explanation
written out beneath it. The operator's panel is a touch screen: nothing is left to a hover,
and every colour has a symbol and a word beside it.

A party the last decision did not screen (the shipment was never decided, or its decision
failed and holds) says so: silence must never read as "no match".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gate.web.page.render.markup import h, icon

#: Party role (DESIGN.md section 2) -> how the page names it.
ROLES: Mapping[str, str] = {
    "consignee": "Consignee",
    "end_user": "End user",
    "intermediate_consignee": "Intermediate consignee",
    "forwarder": "Forwarder",
    "purchaser": "Purchaser",
}

#: A hit's action -> (css, symbol, word, what it does to the shipment).
HIT_LOOKS: Mapping[str, tuple[str, str, str, str]] = {
    "prohibit": ("dec-red", "i-stop", "STOP", "prohibited"),
    "licence": ("dec-amber", "i-pause", "HOLD", "licence needed"),
}
#: An action the page does not know reads as the strictest one.
UNKNOWN_HIT = ("dec-red", "i-stop", "STOP", "unknown action: treat as prohibited")


def _key(party: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(party.get("role")), str(party.get("name")), str(party.get("country")))


def _parties(s: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The consignee, then the other parties, each as ``{role, name, country}``."""
    consignee = s.get("consignee") or {}
    first = {
        "role": "consignee",
        "name": consignee.get("name"),
        "country": consignee.get("country"),
    }
    return [first, *(s.get("parties") or ())]


def _who(party: Mapping[str, Any]) -> str:
    role = str(party.get("role") or "")
    word = ROLES.get(role, role.replace("_", " ").capitalize() or "Party")
    country = f" ({h(party['country'])})" if party.get("country") else ""
    return (
        f'<span class="party-role">{h(word)}</span> '
        f'<strong class="party-name">{h(party.get("name"))}</strong>{country}'
    )


def hit_text(hit: Mapping[str, Any]) -> str:
    """One hit in plain words (escaped HTML): the list, the entry, the name matched, the
    score and what the hit does, with the explanation beneath."""
    css, sym, word, does = HIT_LOOKS.get(str(hit.get("action")), UNKNOWN_HIT)
    score = hit.get("score")
    shown = f"{score:.2f}" if isinstance(score, int | float) else "?"
    why = f'<span class="hit-why">{h(hit["explanation"])}</span>' if hit.get("explanation") else ""
    return (
        f'<li class="hit {css}" data-list="{h(hit.get("list"))}"'
        f' data-entry="{h(hit.get("entry"))}">'
        f'{icon(sym)} <strong class="hit-word">{h(word)}</strong> '
        f'<span class="hit-what">matches <strong>{h(hit.get("list"))}</strong> entry '
        f'<span class="mono">{h(hit.get("entry"))}</span> '
        f"'{h(hit.get('name'))}', score {h(shown)}: {h(does)}</span>{why}</li>"
    )


def _party(party: Mapping[str, Any], hits: Sequence[Mapping[str, Any]] | None) -> str:
    if hits is None:
        css = "party-unscreened"
        body = f'<p class="party-none warn">{icon("i-warn")} not screened yet</p>'
    elif not hits:
        css = "party-clear"
        body = f'<p class="party-none dec-green">{icon("i-check")} no list match</p>'
    else:
        worst = "prohibit" if any(x.get("action") != "licence" for x in hits) else "licence"
        css = "party-hit " + HIT_LOOKS[worst][0]
        body = '<ul class="hits">' + "".join(hit_text(x) for x in hits) + "</ul>"
    return (
        f'<li class="party {css}" data-role="{h(party.get("role"))}">'
        f'<div class="party-who">{_who(party)}</div>{body}</li>'
    )


def render_parties(s: Mapping[str, Any]) -> str:
    """The shipment's parties, each with its screening hits or "no list match"."""
    found: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    screened: list[Mapping[str, Any]] = []
    for row in s.get("screening") or ():
        party = row.get("party") or {}
        found.setdefault(_key(party), []).extend(row.get("hits") or ())
        screened.append(party)
    items = []
    shown: set[tuple[str, str, str]] = set()
    for party in _parties(s):
        key = _key(party)
        shown.add(key)
        items.append(_party(party, found.get(key)))
    # A party the decision screened that the shipment no longer names: still shown, its
    # hits are what the decision stands on.
    for party in screened:
        if _key(party) not in shown:
            shown.add(_key(party))
            items.append(_party(party, found[_key(party)]))
    return (
        '<section class="parties-box" aria-label="Parties and list screening">'
        '<h3 class="parties-h">Parties</h3>'
        f'<ul class="parties">{"".join(items)}</ul></section>'
    )
