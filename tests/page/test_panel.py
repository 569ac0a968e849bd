"""The operator at the panel (issue 17), in a real headless Chromium at the dock's panel size
(1280x800) and a phone's (400x800): the most urgent door first, the whole why without a
hover, keyboard focus kept across the live refresh."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.page.browser import Browser
from tests.service.harness import Gate, gtin_with


async def logged_in(browser: Browser, gate: Gate) -> None:
    await browser.run(browser.login, gate.url)
    await browser.run(browser.wait_live)


def tile_order(b: Browser) -> list[str]:
    return [
        str(x)
        for x in b.driver.execute_script(
            "return Array.from(document.querySelectorAll('.tile'), t => t.dataset.door)"
        )
    ]


def place_of(b: Browser, selector: str) -> tuple[float, float]:
    """Where the element starts on the page, in reading order: (top, left)."""
    found: Any = b.driver.execute_script(
        "const e = document.querySelector(arguments[0]); if (!e) return null;"
        " const r = e.getBoundingClientRect(); return [r.top + window.scrollY, r.left]",
        selector,
    )
    assert found is not None, f"nothing matches {selector}"
    return float(found[0]), float(found[1])


async def three_doors(gate: Gate, demo_config: Path) -> tuple[str, str]:
    """D1 loading with a line that needs a licence, D2 held, D3 stopped by a prohibited
    item: the config's door order is the reverse of their urgency."""
    cat2 = gtin_with(demo_config, "9.A.4")
    cat1 = gtin_with(demo_config, "1.E.1")
    for sid, door in (("S1", "D1"), ("S2", "D2"), ("S3", "D3")):
        await gate.create(sid, door)
    await gate.scan(cat2, "D1")
    await gate.scan(cat2, "D2")
    status, doc = await gate.call("POST", "/api/v1/shipments/S2/seal")
    assert 200 == status, doc
    await gate.scan(cat1, "D3")
    return cat2, cat1


async def test_stop_then_hold_then_loading(screen: Browser, gate: Gate, demo_config: Path) -> None:
    """With door 1 loading, door 2 held and door 3 stopped, the page shows door 3 (STOP,
    flashing, red, with its symbol and word) first and within the first screen, then door 2
    (HOLD), then door 1 (LOADING, calm, saying "1 line needs a licence"); the door details
    follow the same order."""
    b = screen
    await logged_in(b, gate)
    await three_doors(gate, demo_config)
    await b.run(b.wait, "the STOP first", lambda d: tile_order(b)[:3] == ["D3", "D2", "D1"])
    assert ["D3", "D2", "D1"] == await b.run(
        lambda: [
            str(x)
            for x in b.driver.execute_script(
                "return Array.from(document.querySelectorAll('article.door'), a => a.dataset.door)"
            )
        ]
    )
    stop, hold, loading = [
        await b.run(place_of, b, f'.tile[data-door="{d}"]') for d in ("D3", "D2", "D1")
    ]
    assert stop < hold < loading
    assert stop[0] < 800
    assert "sig-red" in await b.run(b.tile_class, "D3")
    assert "sig-flash" in await b.run(b.tile_class, "D3")
    assert "#i-stop" == await b.run(b.attribute, '.tile[data-door="D3"] use', "href")
    assert "STOP – prohibited item" in await b.run(b.tile_text, "D3")
    assert "sig-amber" in await b.run(b.tile_class, "D2")
    assert "HOLD – waiting for licence" in await b.run(b.tile_text, "D2")
    d1 = await b.run(b.tile_class, "D1")
    assert "sig-loading" in d1 and "sig-amber" not in d1
    assert "LOADING – seal when complete" in await b.run(b.tile_text, "D1")
    assert "1 line needs a licence" in await b.run(b.tile_text, "D1")
    await b.run(b.screenshot, "urgency")


async def test_the_why_needs_no_hover(screen: Browser, gate: Gate, demo_config: Path) -> None:
    """A line's reasons are written out, and a tap (a click) or the keyboard (Tab to it,
    Enter) opens the rest (the rule, the control entry and its title) as visible text: no
    hover, and no text kept only in a tooltip."""
    b = screen
    await logged_in(b, gate)
    await gate.create()
    cat2 = gtin_with(demo_config, "9.A.4")
    await gate.scan(cat2)
    row = f'tr.line[data-key="{cat2}"]'
    await b.run(b.wait, "the line", lambda d: b.text(row))
    assert "Category II: licence required" in await b.run(b.line_text, cat2)
    body = f"{row} .why-body"
    assert not await b.run(
        lambda: b.driver.execute_script(
            "return document.querySelector(arguments[0]).checkVisibility()", body
        )
    )
    await b.run(b.click, f"{row} summary")
    shown = await b.run(lambda: b.text(body, inner=True))
    assert "Rule" in shown and "Control entry 9.A.4" in shown
    assert await b.run(
        lambda: b.driver.execute_script(
            "return document.querySelector(arguments[0]).checkVisibility()", body
        )
    )
    # No title attribute carries text the page does not show.
    assert [] == await b.run(
        lambda: b.driver.execute_script(
            "return Array.from(document.querySelectorAll('#doors [title]'), e => e.title)"
        )
    )
    await b.run(b.screenshot, "why-open")
    # Nothing wider than the screen: on a phone the lines are cards, not a wide table.
    assert await b.run(
        b.driver.execute_script,
        "return document.documentElement.scrollWidth <= window.innerWidth",
    )
    # The keyboard reaches it too: close it, focus its summary, press Enter.
    await b.run(b.click, f"{row} summary")

    def by_keyboard() -> bool:
        summary = b.driver.find_element(By.CSS_SELECTOR, f"{row} summary")
        b.driver.execute_script("arguments[0].focus()", summary)
        summary.send_keys(Keys.ENTER)
        return bool(
            b.driver.execute_script(
                "return document.querySelector(arguments[0]).open", f"{row} details.why"
            )
        )

    assert await b.run(by_keyboard)


async def test_focus_and_open_why_survive_the_live_refresh(
    screen: Browser, gate: Gate, demo_config: Path
) -> None:
    """An operator who tabbed to a line's why and opened it keeps the focus there and the
    why open while scans refresh the doors region underneath."""
    b = screen
    await logged_in(b, gate)
    await gate.create()
    cat2 = gtin_with(demo_config, "9.A.4")
    await gate.scan(cat2)
    row = f'tr.line[data-key="{cat2}"]'
    await b.run(b.wait, "the line", lambda d: b.text(row))
    await b.run(b.click, f"{row} summary")
    await b.run(
        lambda: b.driver.execute_script(
            "document.querySelector(arguments[0]).focus(); window.before ="
            " document.querySelector('#doors .doors-inner')",
            f"{row} summary",
        )
    )
    other = gtin_with(demo_config, "9.A.4", 1)
    await gate.scan(other)
    await b.run(b.wait, "the second line", lambda d: other in b.line_keys("D1"))
    # The region was swapped (a new element), and focus and the open why came back.
    assert await b.run(
        lambda: b.driver.execute_script(
            "return window.before !== document.querySelector('#doors .doors-inner')"
        )
    )
    assert await b.run(
        lambda: b.driver.execute_script(
            "const s = document.querySelector(arguments[0]);"
            " return document.activeElement === s && s.parentElement.open",
            f"{row} summary",
        )
    )


async def test_an_empty_door_is_idle_in_the_api_and_on_the_page(
    browser: Browser, gate: Gate
) -> None:
    """A door with no shipment is ``idle`` in ``GET /doors`` and ``GET /doors/{door}`` and
    grey FREE on the page (never green), and it comes last."""
    status, doc = await gate.call("GET", "/api/v1/doors")
    assert 200 == status, doc
    doors = doc["doors"] if isinstance(doc, dict) else doc
    assert {"idle"} == {d["signal"] for d in doors}
    status, one = await gate.call("GET", "/api/v1/doors/D2")
    assert (200, "idle", None) == (status, one["signal"], one["shipment"])
    await gate.create("S1", "D3")
    await logged_in(browser, gate)
    assert "idle" == await browser.run(browser.attribute, '.tile[data-door="D1"]', "data-signal")
    assert "sig-idle" in await browser.run(browser.tile_class, "D1")
    assert "FREE – no shipment" in await browser.run(browser.tile_text, "D1")
    assert ["D3", "D1", "D2"] == await browser.run(tile_order, browser)


async def test_sound_and_theme_are_this_panels_choice(
    browser: Browser, gate: Gate, demo_config: Path
) -> None:
    """The sound on STOP is off until turned on; a new STOP then counts a beep; the sound
    and a dark theme chosen here are still chosen after a reload of the page."""
    b = browser
    await logged_in(b, gate)
    assert "false" == await b.run(b.attribute, "#sound", "aria-pressed")
    await b.run(b.click, "#sound")
    await b.run(b.click, "#theme")
    assert "dark" == await b.run(b.attribute, "html", "data-theme")
    await gate.create()
    await gate.scan(gtin_with(demo_config, "1.E.1"))
    await b.run(b.wait, "a beep", lambda d: b.attribute("body", "data-beeps") == "1")
    await b.run(b.screenshot, "dark")
    await b.run(b.driver.refresh)
    await b.run(b.wait_live)
    assert "true" == await b.run(b.attribute, "#sound", "aria-pressed")
    assert "dark" == await b.run(b.attribute, "html", "data-theme")
    background = await b.run(
        b.driver.execute_script, "return getComputedStyle(document.body).backgroundColor"
    )
    assert "rgb(16, 22, 28)" == background
