"""The page's login shares HTTP Basic's throttle per account and address (issue 11.5)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.service.harness import Gate, basic, start_gate, stop_gate
from tests.web.test_login_throttle import OPS, SECOND, with_second_operator


@pytest.fixture
async def gate(demo_config: Path) -> AsyncIterator[Gate]:
    with_second_operator(demo_config)
    g = await start_gate(demo_config)
    yield g
    await stop_gate(g)


async def page_login(g: Gate, name: str, password: str) -> int:
    async with g.session.post(
        g.url + "/login",
        data={"name": name, "password": password},
        headers={"Origin": g.url},
        allow_redirects=False,
    ) as r:
        await r.read()
        return r.status


async def test_page_guessing_on_one_account_spares_another_behind_the_same_address(
    gate: Gate,
) -> None:
    """After five wrong passwords for one operator on the page, another operator behind the
    same address still logs in on the page."""
    for _ in range(5):
        assert 401 == await page_login(gate, OPS[0], "guess")
    assert 429 == await page_login(gate, *OPS)
    assert 303 == await page_login(gate, *SECOND)


async def test_page_and_basic_count_together(gate: Gate) -> None:
    """Wrong passwords on the page and over HTTP Basic count against one bound: three of one
    and two of the other lock the account from that address on both."""
    for _ in range(3):
        async with gate.session.get(
            gate.url + "/api/v1/doors", headers={"Authorization": basic(OPS[0], "guess")}
        ) as r:
            assert 401 == r.status
    for _ in range(2):
        assert 401 == await page_login(gate, OPS[0], "guess")
    assert 429 == await page_login(gate, *OPS)
