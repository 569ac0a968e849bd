"""Alerts on the operator's panel (issue 17): acknowledged by name (journaled), with the item
by name and a link to the shipment, kept across a restart, cleared when their cause is gone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.page.browser import Browser
from tests.service.harness import Gate, Gates, basic, gtin_with, until


async def logged_in(browser: Browser, gate: Gate) -> None:
    await browser.run(browser.login, gate.url)
    await browser.run(browser.wait_live)


def journal(g: Gate, kind: str) -> list[tuple[str, str | None, str]]:
    conn = connect_readonly(g.config.database)
    try:
        return [
            (str(actor), subject, str(data))
            for actor, subject, data in conn.execute(
                "SELECT actor, subject, data FROM audit WHERE kind = ? ORDER BY seq", (kind,)
            )
        ]
    finally:
        conn.close()


async def alerts_of(g: Gate) -> list[dict[str, Any]]:
    status, doc = await g.call("GET", "/api/v1/status")
    assert 200 == status, doc
    return [a for a in doc["alerts"] if a.get("kind") == "prohibited_scan"]


async def stored(g: Gate) -> list[dict[str, Any]]:
    return [a for a in await alerts_of(g) if a.get("id") is not None]


async def _none(g: Gate) -> bool:
    return not await alerts_of(g)


async def test_acknowledge_an_alert_and_keep_it_across_a_restart(
    screen: Browser, gates: Gates, demo_config: Path
) -> None:
    """A prohibited scan raises an alert that names the item, links to its shipment and asks
    for an operator (blue, "Operator action needed") while door 1 flashes STOP; the operator
    acknowledges it: the journal records who, the page says so and the STOP stops flashing.
    After a restart of the gate the alert is still there, acknowledged by the same operator;
    once the shipment is cancelled the alert is cleared."""
    b = screen
    gate = await gates.start()
    await logged_in(b, gate)
    await gate.create()
    item = gtin_with(demo_config, "1.E.1")
    await gate.scan(item)
    selector = '#alerts li.alert[data-kind="prohibited_scan"]'
    await b.run(b.wait, "the alert's button", lambda d: b.text(f"{selector} button[data-ack]"))
    text = await b.run(lambda: b.text(selector, inner=True))
    assert f"Prohibited item scanned at D1: {item}" in text
    name = await b.run(lambda: b.text(f'tr.line[data-key="{item}"] .desc'))
    assert name and f"({name})" in text
    assert "Shipment S1 at D1" in text and "Operator action needed" in text
    assert "#door-D1" == await b.run(b.attribute, f"{selector} a", "href")
    assert "sig-flash" in await b.run(b.tile_class, "D1")
    assert "Operator action needed: 1 alert to acknowledge" in await b.run(b.tile_text, "D1")
    await b.run(b.screenshot, "alert-before")
    await b.run(b.click, f"{selector} button[data-ack]")
    await b.run(b.wait, "the acknowledgement", lambda d: "acknowledged by ops" in b.text(selector))
    await b.run(b.wait, "a steady STOP", lambda d: "sig-flash" not in b.tile_class("D1"))
    assert "sig-red" in await b.run(b.tile_class, "D1")
    [(actor, subject, data)] = journal(gate, "alert.acknowledged")
    assert ("ops", "S1") == (actor, subject)
    assert item in data
    await b.run(b.screenshot, "alert-acknowledged")

    await gates.stop(gate)
    again = await gates.start()
    [alert] = await until(lambda: alerts_of(again), "the stored alert")
    assert ("ops", item, name, "S1") == (
        alert["acked_by"],
        alert["key"],
        alert["item"],
        alert["shipment"],
    )
    status, doc = await again.call("POST", "/api/v1/shipments/S1/cancel")
    assert 200 == status, doc
    await until(lambda: _none(again), "the alert cleared")


async def test_an_alert_is_cleared_when_its_line_is_removed(gate: Gate, demo_config: Path) -> None:
    """The alert of a prohibited scan leaves the page when the line is removed (the goods
    unloaded), acknowledged or not, and stays away after a scan of something else."""
    await gate.create()
    item = gtin_with(demo_config, "1.E.1")
    await gate.scan(item)
    await until(lambda: alerts_of(gate), "the alert")
    status, doc = await gate.call(
        "POST", f"/api/v1/shipments/S1/lines/{item}/remove", auth=basic("ops", "demo-ops-password")
    )
    assert 200 == status, doc
    await until(lambda: _none(gate), "the alert cleared")
    await gate.scan(gtin_with(demo_config, "9.A.4"))
    assert [] == await alerts_of(gate)


async def door_alerts(g: Gate, door: str) -> list[dict[str, Any]]:
    status, doc = await g.call("GET", "/api/v1/status")
    assert 200 == status, doc
    return [a for a in doc["alerts"] if a.get("kind") == "door_held" and a.get("door") == door]


async def test_a_door_holds_alert_is_cleared_when_the_hold_is_acknowledged(gate: Gate) -> None:
    """Doors D1 and D2 held (goods passed without a readable tag): each asks for an operator.
    D1's hold acknowledged: its alert leaves the page (the operator does not acknowledge the
    same thing twice), cleared in the database, and D2's stays."""
    holds = gate.app[app_keys.HOLDS]
    assert await holds.hold("D1", "north")
    assert await holds.hold("D2", "south")
    for door in ("D1", "D2"):
        await until(lambda door=door: door_alerts(gate, door), f"{door}'s alert")  # type: ignore[misc]
    [d1] = await until(lambda: _stored_door_alerts(gate, "D1"), "D1's alert stored")
    status, doc = await gate.call(
        "POST",
        "/api/v1/doors/D1/acknowledge",
        {"windows": 1},
        auth=basic("ops", "demo-ops-password"),
    )
    assert (200, None) == (status, doc["hold"]), doc
    await until(lambda: _no_door_alert(gate, "D1"), "D1's alert cleared")
    assert 1 == len(await door_alerts(gate, "D2"))

    async def cleared() -> bool:
        conn = connect_readonly(gate.config.database)
        try:
            sql = "SELECT cleared_why FROM page_alerts WHERE id = ?"
            return [("door_released",)] == conn.execute(sql, (d1["id"],)).fetchall()
        finally:
            conn.close()

    await until(cleared, "D1's alert cleared in the database, as released")


async def _stored_door_alerts(g: Gate, door: str) -> list[dict[str, Any]]:
    return [a for a in await door_alerts(g, door) if a.get("id") is not None]


async def _no_door_alert(g: Gate, door: str) -> bool:
    return not await door_alerts(g, door)


async def test_only_an_operator_acknowledges_and_a_bad_request_changes_nothing(
    gate: Gate, demo_config: Path
) -> None:
    """The WMS's token may not acknowledge (403), an unknown alert is 404, an id that is not
    a number 400; none of them journals an acknowledgement. An operator's one is journaled
    once, and a second acknowledgement changes nothing."""
    await gate.create()
    await gate.scan(gtin_with(demo_config, "1.E.1"))
    [alert] = await until(lambda: stored(gate), "the alert stored")
    path = f"/page/alerts/{alert['id']}/acknowledge"
    assert 403 == (await gate.call("POST", path))[0]
    ops = basic("ops", "demo-ops-password")
    assert 404 == (await gate.call("POST", "/page/alerts/999999/acknowledge", auth=ops))[0]
    assert 400 == (await gate.call("POST", "/page/alerts/x/acknowledge", auth=ops))[0]
    assert [] == journal(gate, "alert.acknowledged")
    for _ in range(2):
        status, doc = await gate.call("POST", path, auth=ops)
        assert 200 == status, doc
        assert "ops" == doc["acked_by"]
    assert 1 == len(journal(gate, "alert.acknowledged"))
