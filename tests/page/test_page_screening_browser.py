"""The shipment's parties and their list hits as the operator's panel shows them, in a real
headless Chromium: written out on the page, not hidden behind a hover."""

from __future__ import annotations

from tests.page.browser import Browser
from tests.service.harness import Gate, lists_loaded


async def test_the_door_shows_a_party_and_its_hit_in_words(browser: Browser, gate: Gate) -> None:
    """A shipment whose forwarder is on the notices list shows, visibly in the door's panel,
    the forwarder with HOLD, the list, the entry, the score and the explanation, and the
    clean end user with "no list match"."""
    await lists_loaded(gate.app)
    await browser.run(browser.login, gate.url)
    await browser.run(browser.wait_live)
    await gate.create(
        parties=[
            {"role": "end_user", "name": "Helios Partner AG", "country": "CH"},
            {"role": "forwarder", "name": "Orbital Tradewinds LLC", "country": "US"},
        ]
    )
    forwarder = 'article.door[data-door="D1"] li.party[data-role="forwarder"]'
    # The notices list's hit (partners' denial notices); other lists may add others.
    hit = f'{forwarder} li.hit[data-list="notices"]'
    await browser.run(browser.wait, "the forwarder's hit", lambda d: browser.text(hit))
    await browser.run(browser.screenshot, "parties")
    assert (
        "HOLD matches notices entry DEMO-DN-2024-021 'Orbital Tradewinds LLC', score 1.00: "
        "licence needed\nname 'Orbital Tradewinds LLC' of notices DEMO-DN-2024-021; legal form "
        "ignored"
    ) == await browser.run(
        lambda: browser.driver.execute_script(
            "return document.querySelector(arguments[0]).innerText.trim()", hit
        )
    )
    assert "FORWARDER Orbital Tradewinds LLC (US)" == await browser.run(
        lambda: browser.text(f"{forwarder} .party-who", inner=True)
    )
    end_user = 'article.door[data-door="D1"] li.party[data-role="end_user"]'
    assert "END USER Helios Partner AG (CH) no list match" == await browser.run(
        lambda: browser.text(end_user, inner=True)
    )
