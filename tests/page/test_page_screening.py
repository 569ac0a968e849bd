"""The status page's screening views without a browser: each party of a shipment with its
list hits in plain words (escaped), "no list match" for a clean party, and the control-data
panel's lists with their entries, ages and limits, STALE when the gate's clock passes one."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from gate.web import app_keys
from gate.web.page.render.parties import render_parties
from tests.page.test_page_http import get, session_of
from tests.service.harness import Gate, lists_loaded

LOOKALIKE = "Оrbіtаl Тrаdеwіndѕ LLC"  # Cyrillic О, і, а, Т, е, ѕ: the notices' attack name


def text_of(fragment: str) -> str:
    """The fragment's words as a reader sees them: tags dropped, entities read, spaces joined."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def party_item(fragment: str, role: str) -> str:
    """The ``<li>`` of the party with ``role``, up to the next party."""
    found = re.search(
        rf'<li class="party [^"]*" data-role="{role}">.*?</li>'
        r'(?=<li class="party|</ul></section>)',
        fragment,
        re.S,
    )
    assert found is not None, fragment
    return found.group(0)


def hand_made(**extra: Any) -> dict[str, Any]:
    """A shipment document in ``to_doc``'s shape whose end user hits the notices list."""
    end_user = {"role": "end_user", "name": LOOKALIKE, "country": "US", "ids": {}}
    forwarder = {
        "role": "forwarder",
        "name": "Rhein <Spedition> & Söhne",
        "country": "DE",
        "ids": {},
    }
    consignee = {"name": "Acme Precision GmbH", "country": "DE", "ids": {}}
    return {
        "consignee": consignee,
        "parties": [end_user, forwarder],
        "screening": [
            {"party": {"role": "consignee", **consignee}, "hits": []},
            {
                "party": end_user,
                "hits": [
                    {
                        "list": "notices",
                        "entry": "DEMO-DN-2024-021",
                        "version": "2024-07-30",
                        "name": "Orbital Tradewinds LLC",
                        "score": 0.97,
                        "action": "licence",
                        "explanation": "look-alike letters read as Latin <script>x</script>",
                    },
                    {
                        "list": "un",
                        "entry": "KPe.001",
                        "version": "2026-02-27",
                        "name": "ORBITAL & CO",
                        "score": 0.9,
                        "action": "prohibit",
                        "explanation": "alias of KPe.001; country US differs from KP: -0.05",
                    },
                ],
            },
            {"party": forwarder, "hits": []},
        ],
        **extra,
    }


def test_a_listed_party_reads_in_plain_words_with_its_hits() -> None:
    """The end user shows its role, name and country, and each hit its list, entry, matched
    name, score, what it does (HOLD for licence, STOP for prohibit) and its explanation."""
    page = render_parties(hand_made())
    end_user = text_of(party_item(page, "end_user"))
    assert (
        f"End user {LOOKALIKE} (US) HOLD matches notices entry DEMO-DN-2024-021 "
        "'Orbital Tradewinds LLC', score 0.97: licence needed "
        "look-alike letters read as Latin <script>x</script> "
        "STOP matches un entry KPe.001 'ORBITAL & CO', score 0.90: prohibited "
        "alias of KPe.001; country US differs from KP: -0.05"
    ) == end_user
    assert "<script>" not in page
    assert "Latin &lt;script&gt;x&lt;/script&gt;" in page
    assert 'class="party party-hit dec-red"' in party_item(page, "end_user")


def test_a_party_without_hits_says_no_list_match_and_an_unscreened_one_says_so() -> None:
    """A screened party with no hit reads "no list match" (its name escaped); a party the
    decision never screened reads "not screened yet", never "no list match"."""
    page = render_parties(hand_made())
    assert "Rhein &lt;Spedition&gt; &amp; Söhne" in page
    assert "Forwarder Rhein <Spedition> & Söhne (DE) no list match" == text_of(
        party_item(page, "forwarder")
    )
    assert "Consignee Acme Precision GmbH (DE) no list match" == text_of(
        party_item(page, "consignee")
    )
    unscreened = render_parties(hand_made(screening=[]))
    assert f"End user {LOOKALIKE} (US) not screened yet" == text_of(
        party_item(unscreened, "end_user")
    )
    assert "no list match" not in unscreened


WORDS = {"licence": ("HOLD", "licence needed"), "prohibit": ("STOP", "prohibited")}


def hits_of(doc: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """The hits the shipment document gives the party with ``role``."""
    return [h for row in doc["screening"] if row["party"]["role"] == role for h in row["hits"]]


async def test_the_door_shows_each_party_and_the_hits_of_a_created_shipment(
    gate: Gate,
) -> None:
    """A shipment created through the API with a forwarder on the notices list shows that
    party's hits as the document gives them (list, entry, name, score, explanation) in
    plain words, and the clean end user (a name with markup, escaped) "no list match"."""
    await lists_loaded(gate.app)
    cookie, _ = await session_of(gate)
    doc = await gate.create(
        parties=[
            {"role": "end_user", "name": "<i>Helios</i> & Partner AG", "country": "CH"},
            {"role": "forwarder", "name": "Orbital Tradewinds LLC", "country": "US"},
        ]
    )
    hits = hits_of(doc, "forwarder")
    # The notices list (partners' denial notices) finds it; other lists may add more.
    assert ("notices", "DEMO-DN-2024-021") in {(h["list"], h["entry"]) for h in hits}
    assert [] == hits_of(doc, "end_user")
    status, _, doors = await get(gate, "/page/doors", Cookie=cookie)
    assert 200 == status
    forwarder = text_of(party_item(doors, "forwarder"))
    expected = "".join(
        f" {WORDS[h['action']][0]} matches {h['list']} entry {h['entry']} '{h['name']}', "
        f"score {h['score']:.2f}: {WORDS[h['action']][1]} {h['explanation']}"
        for h in hits
    )
    assert "Forwarder Orbital Tradewinds LLC (US)" + expected == forwarder
    assert (
        "HOLD matches notices entry DEMO-DN-2024-021 'Orbital Tradewinds LLC', score 1.00: "
        "licence needed name 'Orbital Tradewinds LLC' of notices DEMO-DN-2024-021"
    ) in forwarder
    assert "End user <i>Helios</i> & Partner AG (CH) no list match" == text_of(
        party_item(doors, "end_user")
    )
    assert "<i>Helios" not in doors
    assert "&lt;i&gt;Helios&lt;/i&gt; &amp; Partner AG" in doors


def source_row(side: str, name: str) -> str:
    found = re.search(rf'<li class="source [^"]*" data-source="{re.escape(name)}">.*?</li>', side)
    assert found is not None, name
    return text_of(found.group(0))


async def test_the_control_data_panel_lists_every_source_and_a_stale_one_reads_stale(
    gate: Gate,
) -> None:
    """The side panel lists every configured list (and the control list)
    with its entries, published date and age against its limit; a week later by the gate's
    clock the SDN reads STALE and an alert says so, and /api/v1/status carries the same lists
    as /api/v1/lists."""
    await lists_loaded(gate.app)
    cookie, _ = await session_of(gate)
    docks = gate.app[app_keys.DOCKS]
    docks.clock = lambda: dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)
    _, _, side = await get(gate, "/page/side", Cookie=cookie)
    names = re.findall(r'<li class="source [^"]*" data-source="([^"]+)">', side)
    assert ["un", "ofac-sdn", "csl", "bis-dpl", "notices"] == names[:5]
    assert names[5].startswith("control list")
    assert "ofac-sdn fresh 7,379 entries · published 2026-11-28 age 1 d 6 h of 365 d" == source_row(
        side, "ofac-sdn"
    )
    assert "un fresh 1,003 entries · published 2026-02-27 age 275 d 12 h of 730 d" == source_row(
        side, "un"
    )
    _, lists = await gate.call("GET", "/api/v1/lists")
    _, status = await gate.call("GET", "/api/v1/status")
    assert lists["lists"] == status["control_data"]["lists"]
    assert lists["control_list"] == status["control_data"]["control_list"]

    docks.clock = lambda: dt.datetime(2027, 11, 29, 7, tzinfo=dt.UTC)
    _, _, later = await get(gate, "/page/side", Cookie=cookie)
    assert (
        "ofac-sdn STALE 7,379 entries · published 2026-11-28 age 366 d 1 h of 365 d"
        == source_row(later, "ofac-sdn")
    )
    assert source_row(later, "un").startswith("un fresh 1,003 entries")
    assert "Screening list ofac-sdn is out of date: age 366 d 1 h, limit 365 d" in later
