"""The operator status page in a real headless Chromium, against a real gate on a real socket.

Each test logs in as the demo operator, drives the page the way a person at the dock would
(or changes the gate through its API, as scanners, the WMS and the central office do) and
watches the page follow without a reload. Each saves a screenshot under its tmp_path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from gate.storage.store import connect_readonly
from tests.central.test_central_link import approval, callback, office_key
from tests.conftest import free_port
from tests.fake_office import Office
from tests.page.browser import Browser
from tests.service.harness import Gate, gtin_with

ACTIONS = {"seal", "remove", "dispatch", "cancel"}


def journal_rows(g: Gate, kind: str) -> list[tuple[str, str | None]]:
    conn = connect_readonly(g.config.database)
    try:
        return [
            (str(actor), subject)
            for actor, subject in conn.execute(
                "SELECT actor, subject FROM audit WHERE kind = ? ORDER BY seq", (kind,)
            )
        ]
    finally:
        conn.close()


async def logged_in(browser: Browser, gate: Gate) -> None:
    await browser.run(browser.login, gate.url)
    await browser.run(browser.wait_live)


async def state(gate: Gate, sid: str = "S1") -> str:
    status, doc = await gate.call("GET", f"/api/v1/shipments/{sid}")
    assert 200 == status, doc
    return str(doc["state"])


def page_actions(d: WebDriver) -> set[str]:
    found = d.execute_script(
        "return Array.from(document.querySelectorAll('button[data-action]'), b => b.dataset.action)"
    )
    return {str(x) for x in found}


async def test_login_shows_every_door(browser: Browser, gate: Gate) -> None:
    """An operator logs in with name and password and sees every door live, with a session
    cookie that is HttpOnly, SameSite=Strict and scoped to the whole site."""
    await logged_in(browser, gate)
    texts = [await browser.run(browser.tile_text, d) for d in ("D1", "D2", "D3")]
    assert 3 * [True] == ["FREE – no shipment" in t for t in texts]
    cookie = await browser.run(browser.driver.get_cookie, "gate_session")
    assert cookie is not None
    assert (True, "Strict", "/") == (cookie["httpOnly"], cookie["sameSite"], cookie["path"])
    assert "gate_session" not in await browser.run(
        browser.driver.execute_script, "return document.cookie"
    )
    assert "ops" == await browser.run(browser.text, ".who strong")
    assert (await browser.run(browser.screenshot, "logged-in")).stat().st_size > 10_000
    assert [("ops", None)] == journal_rows(gate, "operator.login")


async def test_wrong_password_is_refused(browser: Browser, gate: Gate) -> None:
    """A wrong password leaves the operator on the login page with a message, without a
    session, and the failed attempt is journaled."""
    await browser.run(browser.login, gate.url, "ops", "not-the-password")
    message = await browser.run(
        browser.wait,
        "the login error",
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, ".login-error")
            and d.find_element(By.CSS_SELECTOR, ".login-error").text
        ),
    )
    assert "Name or password is wrong." == message
    assert None is await browser.run(browser.driver.get_cookie, "gate_session")
    await browser.run(browser.screenshot, "wrong-password")
    await browser.run(browser.driver.get, gate.url + "/")
    assert (await browser.run(lambda: browser.driver.current_url)).endswith("/login")
    assert [("anonymous", None)] == journal_rows(gate, "operator.login_failed")


async def test_scan_appears_without_reload(browser: Browser, gate: Gate, demo_config: Path) -> None:
    """A scan posted to the API shows on the page live, without a reload, with its decision
    and reason in plain words."""
    await logged_in(browser, gate)
    await gate.create()
    await browser.run(browser.wait, "S1 at door 1", lambda d: "S1" in browser.tile_text("D1"))
    await browser.run(browser.driver.execute_script, "window.sameDocument = true")
    gyro = gtin_with(demo_config, "9.A.4")
    await gate.scan(gyro)
    await browser.run(browser.wait, "the scanned line", lambda d: gyro in browser.line_keys("D1"))
    assert await browser.run(browser.driver.execute_script, "return window.sameDocument")
    text = await browser.run(browser.line_text, gyro)
    assert "Licence needed" in text
    assert "Category II: licence required" in text
    assert "LOADING – seal when complete" in await browser.run(browser.tile_text, "D1")
    await browser.run(browser.screenshot, "scan-live")


async def test_prohibited_scan_turns_the_door_red(
    browser: Browser, gate: Gate, demo_config: Path
) -> None:
    """A Category I production item turns the door red without a reload, with a stop symbol
    and the words 'STOP – prohibited item', and raises an alert on the page."""
    await logged_in(browser, gate)
    await gate.create()
    item = gtin_with(demo_config, "1.E.1")
    await gate.scan(item)
    await browser.run(
        browser.wait,
        "door 1 to turn red",
        lambda d: "sig-red" in browser.tile_class("D1"),
    )
    assert "STOP – prohibited item" in await browser.run(browser.tile_text, "D1")
    symbol = await browser.run(browser.attribute, '.tile[data-door="D1"] use', "href")
    assert "#i-stop" == symbol
    alert = await browser.run(
        browser.wait,
        "the prohibited-scan alert",
        lambda d: "Prohibited item scanned" in (t := browser.text("#alerts")) and t,
    )
    assert f"Prohibited item scanned at D1: {item}" in alert
    assert "Category I production item: transfer prohibited" in await browser.run(
        browser.line_text, item
    )
    await browser.run(browser.screenshot, "prohibited")


async def test_approval_turns_a_held_shipment_green(
    browser: Browser, gate: Gate, demo_config: Path, office: Office
) -> None:
    """Sealed from the page, a shipment that needs a licence is held (amber, waiting time,
    request pending, no button to release it); the office's signed approval turns it green."""
    await logged_in(browser, gate)
    await gate.create()
    gyro = gtin_with(demo_config, "9.A.4")
    await gate.scan(gyro)
    await browser.run(browser.wait, "the line", lambda d: gyro in browser.line_keys("D1"))
    await browser.run(browser.click_action, "D1", "seal")
    question = await browser.run(browser.confirm)
    assert "Seal shipment S1 at Door 1 (north)?" == question
    await browser.run(
        browser.wait, "the hold", lambda d: "HOLD – waiting for licence" in browser.tile_text("D1")
    )
    await office.wait_for(1)
    request = json.loads(office.received[-1][1])
    hold = await browser.run(
        browser.wait,
        "the request to show as received",
        lambda d: "received by the office" in (t := browser.door_text("D1")) and t,
    )
    assert request["request_id"] in hold
    assert "Pending" in hold
    assert "Held for" in hold
    assert await browser.run(page_actions, browser.driver) <= ACTIONS
    buttons = await browser.run(
        browser.driver.execute_script,
        "return Array.from(document.querySelectorAll('button'), b => b.textContent.toLowerCase())",
    )
    assert not [b for b in buttons if "release" in b or "approve" in b]
    await browser.run(browser.screenshot, "held")

    body = approval(request["request_id"], "EXP-2026-0042")
    status, answer = await callback(gate, "/api/v1/approvals", body, key=office_key(demo_config))
    assert (200, "cleared") == (status, answer["shipment"]["state"])
    await browser.run(
        browser.wait,
        "door 1 to turn green",
        lambda d: "sig-green" in browser.tile_class("D1"),
    )
    assert "CLEARED – may leave" in await browser.run(browser.tile_text, "D1")
    assert "EXP-2026-0042" in await browser.run(browser.line_text, gyro)
    await browser.run(browser.screenshot, "approved")


async def test_dispatch_from_the_page(browser: Browser, gate: Gate, demo_config: Path) -> None:
    """A cleared shipment is dispatched from the page after a confirmation; declining the
    confirmation changes nothing, and the journal names the operator."""
    await logged_in(browser, gate)
    await gate.create(destination="US", consignee={"name": "Kinetic Parts Inc", "country": "US"})
    await gate.scan(gtin_with(demo_config, "9.A.4"))
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"])
    await browser.run(
        browser.wait, "door 1 cleared", lambda d: "CLEARED" in browser.tile_text("D1")
    )
    await browser.run(browser.click_action, "D1", "cancel")
    await browser.run(browser.confirm, False)
    assert "cleared" == await state(gate)

    await browser.run(browser.click_action, "D1", "dispatch")
    await browser.run(browser.screenshot, "dispatch-confirm")
    assert "Dispatch shipment S1 from Door 1 (north)?" == await browser.run(browser.confirm)
    await browser.run(browser.wait, "door 1 free", lambda d: "FREE" in browser.tile_text("D1"))
    assert "dispatched" == await state(gate)
    assert "Dispatched: shipment S1 is now dispatched" == await browser.run(browser.text, "#notice")
    assert [("ops", "S1")] == journal_rows(gate, "shipment.dispatched")
    await browser.run(browser.screenshot, "dispatched")


async def test_remove_line_and_history(browser: Browser, gate: Gate, demo_config: Path) -> None:
    """Removing an unloaded prohibited line from the page turns the door from red to amber,
    and the shipment's history shows who did what."""
    await logged_in(browser, gate)
    await gate.create()
    bad = gtin_with(demo_config, "1.E.1")
    await gate.scan(bad)
    await gate.scan(gtin_with(demo_config, ""))
    await browser.run(browser.wait, "door 1 red", lambda d: "STOP" in browser.tile_text("D1"))
    await browser.run(browser.click, f'tr.line[data-key="{bad}"] button[data-action="remove"]')
    assert "from shipment S1?" in await browser.run(browser.confirm)
    await browser.run(browser.wait, "door 1 amber", lambda d: "LOADING" in browser.tile_text("D1"))
    assert "Removed (unloaded)" in await browser.run(browser.line_text, bad)
    await browser.run(browser.click, 'article.door[data-door="D1"] button[data-history]')
    history = await browser.run(
        browser.wait,
        "the history",
        lambda d: (
            d.find_elements(By.CSS_SELECTOR, "#history-body table")
            and d.find_element(By.ID, "history-body").text
        ),
    )
    assert "Shipment created at D1 for Acme Precision GmbH (DE)" in history
    assert f"Line {bad} removed: goods unloaded" in history
    assert "ops" in history
    assert "wms" in history
    await browser.run(browser.screenshot, "history")


async def test_forged_cross_site_post_is_refused(browser: Browser, gate: Gate) -> None:
    """A page on another origin that makes the logged-in browser post to the gate, and
    direct posts with the cookie but without the CSRF token or from a foreign origin, are
    refused with a problem document (403) and change nothing."""
    await logged_in(browser, gate)
    await gate.create()
    csrf = await browser.run(
        lambda: browser.driver.find_element(
            By.CSS_SELECTOR, 'meta[name="csrf-token"]'
        ).get_attribute("content")
    )
    cookie = await browser.run(browser.driver.get_cookie, "gate_session")
    assert cookie is not None and csrf

    # Another port on the same host is the same *site*: SameSite=Strict still sends the
    # cookie, so the Origin check and the CSRF token are what stop this.
    port = free_port()
    target = gate.url + "/api/v1/shipments/S1/cancel"
    evil = (
        "<!doctype html><title>Win a prize</title>"
        f'<form id="f" method="post" action="{target}"><input name="x" value="1"></form>'
        "<script>document.getElementById('f').submit()</script>"
    )

    async def serve(request: web.Request) -> web.Response:
        return web.Response(text=evil, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await browser.run(browser.driver.get, f"http://127.0.0.1:{port}/")
        answer = await browser.run(
            browser.wait,
            "the gate's answer to the forged form",
            lambda d: "Cross-site request refused" in d.page_source and d.page_source,
        )
        await browser.run(browser.screenshot, "forged-post")
    finally:
        await runner.cleanup()
    assert '"status": 403' in answer
    assert "open" == await state(gate)

    headers: dict[str, Any] = {"Cookie": f"gate_session={cookie['value']}"}
    attempts = [
        {"Origin": f"http://127.0.0.1:{port}"},
        {"Origin": f"http://127.0.0.1:{port}", "X-CSRF-Token": csrf},
        {"X-CSRF-Token": csrf},
        {"Origin": gate.url, "X-CSRF-Token": "forged"},
        {"Origin": gate.url, "X-CSRF-Token": csrf, "Sec-Fetch-Site": "same-site"},
    ]
    for extra in attempts:
        async with gate.session.post(target, headers={**headers, **extra}) as r:
            doc = await r.json(content_type=None)
            assert (403, "application/problem+json", "Cross-site request refused") == (
                r.status,
                r.content_type,
                doc["title"],
            ), extra
    assert "open" == await state(gate)
    assert [] == journal_rows(gate, "shipment.cancelled")
    assert len(attempts) + 1 <= len(journal_rows(gate, "request.rejected"))


async def test_logout_ends_the_session(browser: Browser, gate: Gate) -> None:
    """Logging out ends the session on the gate: the old cookie no longer opens anything."""
    await logged_in(browser, gate)
    cookie = await browser.run(browser.driver.get_cookie, "gate_session")
    assert cookie is not None
    await browser.run(browser.click, ".logout button")
    await browser.run(browser.wait, "the login page", lambda d: d.find_elements(By.ID, "password"))
    await browser.run(browser.screenshot, "logged-out")
    assert None is await browser.run(browser.driver.get_cookie, "gate_session")
    async with gate.session.get(
        gate.url + "/page/doors", headers={"Cookie": f"gate_session={cookie['value']}"}
    ) as r:
        assert 401 == r.status
    assert [("ops", None)] == journal_rows(gate, "operator.logout")
