"""Closed shipments on the page (issue 17): found by shipment, door, item, party and state,
and viewable with their lines and history; the phone keeps log out and alerts in reach."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By

from tests.page.browser import Browser
from tests.page.test_panel import logged_in, place_of
from tests.service.harness import Gate, basic, catalogue_rows, gtin_with

OPS = basic("ops", "demo-ops-password")


async def find(gate: Gate, **query: str) -> str:
    async with gate.session.get(
        gate.url + "/page/shipments", params=query, headers={"Authorization": OPS}
    ) as r:
        assert 200 == r.status, await r.text()
        return await r.text()


def found(page: str) -> list[str]:
    return [p.split('"', 1)[0] for p in page.split('<tr class="found" data-shipment="')[1:]]


async def two_shipments(gate: Gate, demo_config: Path) -> tuple[str, str]:
    """S1 at D1, cancelled, with a bearing; S2 at D2, open, for Helios, with nothing."""
    bearing = gtin_with(demo_config, "")
    name = next(d for g, d, _ in catalogue_rows(demo_config) if g == bearing)
    await gate.create("S1", "D1")
    await gate.scan(bearing, "D1")
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/cancel")
    assert 200 == status, doc
    await gate.create(
        "S2", "D2", parties=[{"role": "end_user", "name": "Helios Partner AG", "country": "CH"}]
    )
    return bearing, name


async def test_find_closed_shipments_by_shipment_door_item_party_and_state(
    gate: Gate, demo_config: Path
) -> None:
    """The search finds the cancelled S1 by its id, its item's code and name, its door and
    the state "closed", and the open S2 by its party; a bad filter is 400."""
    bearing, name = await two_shipments(gate, demo_config)
    assert ["S1"] == found(await find(gate, q="S1"))
    assert ["S1"] == found(await find(gate, q=bearing))
    assert ["S1"] == found(await find(gate, q=name.split()[-2].lower()))
    assert ["S1"] == found(await find(gate, state="closed"))
    assert ["S2"] == found(await find(gate, q="helios"))
    assert ["S2"] == found(await find(gate, door="D2"))
    assert [] == found(await find(gate, q="S2", state="cancelled"))
    assert {"S1", "S2"} == set(found(await find(gate)))
    for bad in ({"state": "gone"}, {"door": "D9"}, {"q": "x" * 101}):
        async with gate.session.get(
            gate.url + "/page/shipments", params=bad, headers={"Authorization": OPS}
        ) as r:
            assert 400 == r.status, bad


async def test_view_a_closed_shipment_with_its_history(
    screen: Browser, gate: Gate, demo_config: Path
) -> None:
    """On the page, searching "closed" lists the cancelled S1; View shows its state, its
    line by name and its history (created, scanned, cancelled, by whom)."""
    b = screen
    _, name = await two_shipments(gate, demo_config)
    await logged_in(b, gate)

    def search() -> None:
        b.driver.find_element(By.CSS_SELECTOR, "#find-state option[value='closed']").click()
        b.driver.find_element(By.ID, "find-go").click()

    await b.run(search)
    await b.run(b.wait, "S1 found", lambda d: b.text('#find-results tr[data-shipment="S1"]'))
    await b.run(b.click, '#find-results tr[data-shipment="S1"] button[data-history]')
    view = await b.run(
        b.wait, "the shipment", lambda d: b.text("#history-body .history") and b.text("#history")
    )
    assert "cancelled" in view and name in view
    assert "Shipment created at D1" in view and "Cancelled" in view
    await b.run(b.screenshot, "closed-shipment")


async def test_log_out_and_alerts_are_within_reach(screen: Browser, gate: Gate) -> None:
    """At the panel's size and a phone's, the alerts start within the first screen and the
    log out button is on screen, unscrolled, and works; nothing is wider than the screen."""
    b = screen
    await logged_in(b, gate)
    width = await b.run(b.driver.execute_script, "return window.innerWidth")
    top, _ = await b.run(place_of, b, "#alerts-h")
    assert top < 800
    box = await b.run(
        b.driver.execute_script,
        "const r = document.getElementById('logout').getBoundingClientRect();"
        " return [r.left, r.right, r.top, r.bottom]",
    )
    assert 0 <= box[0] and box[1] <= width and 0 <= box[2] and box[3] <= 800
    assert width >= await b.run(
        b.driver.execute_script, "return document.documentElement.scrollWidth"
    )
    await b.run(b.screenshot, "reach")
    await b.run(b.click, "#logout")
    await b.run(b.wait, "the login form", lambda d: d.find_elements(By.ID, "password"))
