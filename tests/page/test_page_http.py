"""The status page's HTTP surface without a browser: login and cookies, CSRF checks, the
status and history endpoints, escaping, local assets, alerts for refused callbacks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import SCANNER_TOKEN
from tests.service.harness import Gate, Gates, gtin_with, until


async def post_login(
    g: Gate, name: str = "ops", password: str = "demo-ops-password", origin: str | None = ""
) -> tuple[int, dict[str, str], str]:
    headers = {} if origin is None else {"Origin": origin or g.url}
    async with g.session.post(
        g.url + "/login",
        data={"name": name, "password": password},
        headers=headers,
        allow_redirects=False,
    ) as r:
        return r.status, dict(r.headers), await r.text()


async def session_of(g: Gate) -> tuple[str, str]:
    """Logs in; returns the Cookie header value and the page's CSRF token."""
    status, headers, _ = await post_login(g)
    assert 303 == status
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    async with g.session.get(g.url + "/", headers={"Cookie": cookie}) as r:
        assert 200 == r.status
        page = await r.text()
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert found is not None
    return cookie, found.group(1)


async def get(g: Gate, path: str, **headers: str) -> tuple[int, dict[str, str], str]:
    async with g.session.get(g.url + path, headers=headers, allow_redirects=False) as r:
        return r.status, dict(r.headers), await r.text()


async def test_page_needs_a_login(gate: Gate) -> None:
    """Without a session the page redirects to the login form, and its fragments are 401."""
    status, headers, _ = await get(gate, "/")
    assert (303, "/login") == (status, headers["Location"])
    status, headers, body = await get(gate, "/page/doors")
    assert (401, "application/problem+json") == (status, headers["Content-Type"].split(";")[0])
    status, _, body = await get(gate, "/login")
    assert 200 == status
    assert 'name="password"' in body


async def test_login_sets_a_strict_cookie_and_the_cookie_can_act(gate: Gate) -> None:
    """A good login sets an HttpOnly, SameSite=Strict, Path=/ cookie; that cookie with the
    page's CSRF token and the gate's own Origin may seal a shipment."""
    status, headers, _ = await post_login(gate)
    assert (303, "/") == (status, headers["Location"])
    attributes = {a.strip().lower() for a in headers["Set-Cookie"].split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    cookie, csrf = await session_of(gate)
    await gate.create()
    async with gate.session.post(
        gate.url + "/api/v1/shipments/S1/seal",
        headers={"Cookie": cookie, "X-CSRF-Token": csrf, "Origin": gate.url},
    ) as r:
        assert (200, "cleared") == (r.status, (await r.json())["state"])


async def test_login_refuses_other_origins_and_throttles_guessing(gate: Gate) -> None:
    """A login posted from another origin (or with no origin) is refused; after five wrong
    passwords from one address even the right one waits."""
    for origin in ("http://127.0.0.1:1", None):
        status, headers, _ = await post_login(gate, origin=origin)
        assert 403 == status
        assert "Set-Cookie" not in headers
    for _ in range(5):
        status, headers, body = await post_login(gate, password="guess")
        assert 401 == status
        assert "Name or password is wrong." in body
    status, headers, body = await post_login(gate)
    assert 429 == status
    assert "Set-Cookie" not in headers
    assert "Too many wrong passwords" in body


async def test_page_is_local_and_strict(gate: Gate) -> None:
    """The page loads only assets of the gate itself, under a strict Content-Security-Policy,
    and those assets are served."""
    cookie, _ = await session_of(gate)
    status, headers, page = await get(gate, "/", Cookie=cookie)
    assert 200 == status
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assets = re.findall(r'(?:src|href)="([^"#]+)"', page)
    assert assets
    assert [] == [a for a in assets if not a.startswith("/")]
    for asset in assets:
        if asset.startswith("/static/"):
            status, _, _ = await get(gate, asset)
            assert 200 == status, asset


async def test_display_without_a_display_token_says_so(gate: Gate) -> None:
    """The demo config names no display token: /display answers 404 naming the key to set,
    not a 401 asking for a token that does not exist."""
    status, _, body = await get(gate, "/display?token=anything-at-all-anything-at-all")
    assert 404 == status and "[page] display_token" in body, body
    status, _, body = await get(gate, "/display")
    assert 404 == status and "[page] display_token" in body, body


async def test_the_read_only_display_offers_no_link_the_display_cannot_follow(
    demo_config: Path, gates: Gates
) -> None:
    """The reports need an operator's login: the operator's page links to them, the read-only
    display does not (its link led to the login form)."""
    token = "display-token-for-the-reports-link-test"
    with demo_config.open("a") as f:
        f.write(f'\n[page]\ndisplay_token = "{token}"\n')
    gate = await gates.start()
    cookie, _ = await session_of(gate)
    _, _, page = await get(gate, "/", Cookie=cookie)
    assert 'href="/reports"' in page
    async with aiohttp.ClientSession(cookies={"gate_display": token}) as display:
        async with display.get(gate.url + "/display") as r:
            assert 200 == r.status
            shown = await r.text()
    assert "Read-only display" in shown
    assert 'href="/reports"' not in shown


async def test_page_escapes_what_it_shows(gate: Gate) -> None:
    """Text from clients (a consignee's name) is shown escaped, never as markup."""
    cookie, _ = await session_of(gate)
    await gate.create(consignee={"name": "<script>alert(1)</script> & Co", "country": "DE"})
    _, _, doors = await get(gate, "/page/doors", Cookie=cookie)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in doors
    assert "<script>" not in doors


async def test_the_control_data_panel_tells_the_lists_limit_from_the_first_source_to_go_stale(
    gate: Gate,
) -> None:
    """The panel's date is when the first data source reaches its limit (every line held
    from then), not the control list's own: it says so, beside the control list's limit."""
    cookie, _ = await session_of(gate)
    _, doc = await gate.call("GET", "/api/v1/status")
    cd = doc["control_data"]
    _, _, side = await get(gate, "/page/side", Cookie=cookie)
    assert f"Current (the control list's limit {cd['max_age_days']:g} days)" in side, side
    until = cd["stale_at"][:10]
    assert f"every source current until {until}, when the first reaches its limit" in side


async def test_status_document(gate: Gate, demo_config: Path) -> None:
    """GET /api/v1/status gives every door with its shipment, the control data's age, the
    link and recent alerts, for wms and operators but not scanners."""
    await gate.create()
    await gate.scan(gtin_with(demo_config, "1.E.1"))
    status, doc = await gate.call("GET", "/api/v1/status")
    assert 200 == status
    assert ["D1", "D2", "D3"] == [d["id"] for d in doc["doors"]]
    d1 = doc["doors"][0]
    assert ("red", "S1", False) == (d1["signal"], d1["shipment"]["id"], d1["idle"])
    assert ["Category I production item: transfer prohibited"] == d1["shipment"]["lines"][0][
        "reason_text"
    ][:1]
    assert (True, False) == (doc["control_data"]["loaded"], doc["control_data"]["stale"])
    assert 0 == doc["link"]["backlog"]
    assert "Prohibited item scanned at D1" in doc["alerts"][0]["text"]
    status, _ = await gate.call("GET", "/api/v1/status", token=SCANNER_TOKEN)
    assert 403 == status


async def test_history_endpoint(gate: Gate, demo_config: Path) -> None:
    """GET /api/v1/shipments/{id}/history lists the shipment's audit records oldest first,
    with who did it and a summary in plain words; ?limit keeps the newest."""
    await gate.create()
    await gate.scan(gtin_with(demo_config, "9.A.4"))
    await gate.call("POST", "/api/v1/shipments/S1/seal")

    async def delivered() -> Any:
        # The office takes the licence request a moment after the seal: its record is the
        # last one this shipment gets, so the reads below see the same records.
        status, doc = await gate.call("GET", "/api/v1/shipments/S1/history")
        kinds = [r["kind"] for r in doc["records"]] if status == 200 else []
        return "licence_request.delivered" in kinds and (status, doc)

    status, doc = await until(delivered, "the licence request's delivery")
    assert 200 == status
    records: list[dict[str, Any]] = doc["records"]
    assert [
        ("shipment.created", "wms"),
        ("scan", "scanner-door-1"),
        ("shipment.sealed", "wms"),
    ] == [(r["kind"], r["actor"]) for r in records][:3]
    assert "Sealed: loading ended [open → held]" == records[2]["summary"]
    assert sorted(r["seq"] for r in records) == [r["seq"] for r in records]
    status, doc = await gate.call("GET", "/api/v1/shipments/S1/history?limit=1")
    assert (200, True, [records[-1]["seq"]]) == (
        status,
        doc["truncated"],
        [r["seq"] for r in doc["records"]],
    )
    status, _ = await gate.call("GET", "/api/v1/shipments/S1/history?limit=0")
    assert 400 == status
    status, _ = await gate.call("GET", "/api/v1/shipments/NOPE/history")
    assert 404 == status


async def test_refused_callback_raises_an_alert(gate: Gate) -> None:
    """A callback from the 'central office' with a bad signature is refused and shows as an
    alert on the page."""
    async with gate.session.post(
        gate.url + "/api/v1/approvals",
        data=b'{"request_id": "x"}',
        headers={
            "webhook-id": "msg_x",
            "webhook-timestamp": "1",
            "webhook-signature": "v1,AAAA",
            "Content-Type": "application/json",
        },
    ) as r:
        assert 401 == r.status
    _, doc = await gate.call("GET", "/api/v1/status")
    kinds = [a.get("kind") for a in doc["alerts"]]
    assert "callback_refused" in kinds
