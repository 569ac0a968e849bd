"""Password guessing is throttled per account, per address and per both (issue 11.5): as a
plain object with a fake clock, and over HTTP Basic on a real gate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate.web.sessions import LoginThrottle
from tests.service.harness import Gate, basic, start_gate, stop_gate

OPS = ("ops", "demo-ops-password")
SECOND = ("second", "second-operator-password")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: Clock) -> LoginThrottle:
    return LoginThrottle(per_pair=5, per_account=20, per_address=20, window_seconds=60, clock=clock)


def test_brute_force_on_one_account_locks_that_account_from_that_address() -> None:
    """Five wrong passwords for one account from one address lock that pair until the oldest
    of the five leaves the window; the same account from another address is not locked."""
    clock = Clock()
    t = throttle(clock)
    for _ in range(5):
        assert 0.0 == t.check("alice", "10.0.0.1")
        t.failed_login("alice", "10.0.0.1")
        clock.now += 1
    assert 55.0 == t.check("alice", "10.0.0.1")
    assert 0.0 == t.check("alice", "10.0.0.2")
    clock.now += 55
    assert 0.0 == t.check("alice", "10.0.0.1")


def test_brute_force_on_one_account_spares_others_behind_the_same_address() -> None:
    """One guesser's failures on one account do not lock another account behind the same
    address until the address's own bound (20 failures, over several accounts) is reached."""
    clock = Clock()
    t = throttle(clock)
    for _ in range(5):
        t.failed_login("alice", "10.0.0.1")
    assert (True, 0.0) == (t.check("alice", "10.0.0.1") > 0, t.check("bob", "10.0.0.1"))
    for name in ("carol", "dave", "erin"):
        for _ in range(5):
            t.failed_login(name, "10.0.0.1")
    assert 60.0 == t.check("bob", "10.0.0.1")
    assert 0.0 == t.check("bob", "10.0.0.9")


def test_brute_force_spread_over_addresses_locks_the_account() -> None:
    """Twenty failures for one account from many addresses lock that account everywhere."""
    clock = Clock()
    t = throttle(clock)
    for n in range(20):
        t.failed_login("alice", f"10.0.1.{n}")
    assert 60.0 == t.check("alice", "10.9.9.9")
    assert 0.0 == t.check("bob", "10.9.9.9")


def test_a_success_forgets_only_its_own_pair() -> None:
    """A right password clears that account's failures from that address, but not the
    account's failures from elsewhere nor the address's failures on other accounts."""
    clock = Clock()
    t = throttle(clock)
    for _ in range(4):
        t.failed_login("alice", "10.0.0.1")
    for n in range(16):
        t.failed_login("alice", f"10.0.2.{n}")
    t.succeeded_login("alice", "10.0.0.1")
    assert 60.0 == t.check("alice", "10.0.0.1")


def with_second_operator(config: Path) -> None:
    text = config.read_text()
    text += f'\n[[operators]]\nname = "{SECOND[0]}"\npassword = "{SECOND[1]}"\n'
    config.write_text(text)


@pytest.fixture
async def gate(demo_config: Path) -> AsyncIterator[Gate]:
    with_second_operator(demo_config)
    g = await start_gate(demo_config)
    yield g
    await stop_gate(g)


async def status_of(g: Gate, name: str, password: str) -> tuple[int, str | None]:
    async with g.session.get(
        g.url + "/api/v1/doors", headers={"Authorization": basic(name, password)}
    ) as r:
        await r.read()
        return r.status, r.headers.get("Retry-After")


async def test_http_basic_brute_force_is_throttled_with_retry_after(gate: Gate) -> None:
    """Over HTTP Basic, five wrong passwords for an operator make even the right one 429
    with Retry-After, as a problem document; the refusal does not check the password."""
    for _ in range(5):
        assert (401, None) == await status_of(gate, OPS[0], "guess")
    status, retry_after = await status_of(gate, *OPS)
    assert 429 == status
    assert retry_after is not None and 1 <= int(retry_after) <= 60
    async with gate.session.get(
        gate.url + "/api/v1/doors", headers={"Authorization": basic(*OPS)}
    ) as r:
        doc = await r.json(content_type="application/problem+json")
    assert "https://gate.invalid/problems/login-throttled" == doc["type"]


async def test_http_basic_other_account_same_address_until_the_address_bound(
    gate: Gate,
) -> None:
    """Another operator behind the same address still logs in after one attacker's
    failures on a different account, until the address has 20 failures in the window."""
    for _ in range(5):
        assert 401 == (await status_of(gate, OPS[0], "guess"))[0]
    assert 429 == (await status_of(gate, *OPS))[0]
    assert 200 == (await status_of(gate, *SECOND))[0]
    for name in ("x1", "x2", "x3"):
        for _ in range(5):
            assert 401 == (await status_of(gate, name, "guess"))[0]
    assert 429 == (await status_of(gate, *SECOND))[0]
