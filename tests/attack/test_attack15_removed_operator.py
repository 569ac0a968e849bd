"""Attack15: an operator taken out of the configuration, or whose password was changed,
stayed logged in across the restart that applied it.

With ``[page] remember_sessions`` (the default) a page login is a signed token that a
restarted gate takes back into memory if its signature holds and its twelve hours have not
run out. The token names its operator, and nothing asked whether that name is still an
operator: a person removed from ``[[operators]]`` (left the company, password leaked),
with the gate restarted to apply it, kept reading everything and sealing, removing lines,
dispatching and cancelling from the page until their shift's lifetime ran out.

The same held for a password changed because it leaked: whoever had logged in with it kept
the session through the restart that changed it.

A session is honoured only for an operator the running configuration still has, with the
password they logged in with (a remembered token is signed over the password's digest too).
"""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.page.test_page_http import post_login
from tests.service.harness import Gate, Gates


async def _login(gate: Gate) -> str:
    """The session token of a login as "ops"."""
    status, headers, _ = await post_login(gate)
    assert 303 == status
    return headers["Set-Cookie"].split(";", 1)[0].removeprefix("gate_session=")


async def _read(url: str, token: str) -> int:
    async with aiohttp.ClientSession(cookies={"gate_session": token}) as http:
        async with http.get(url + "/api/v1/shipments", allow_redirects=False) as r:
            return r.status


async def test_a_removed_operators_session_ends_with_the_restart_that_removed_them(
    demo_config: Path, gates: Gates
) -> None:
    gate = await gates.start()
    token = await _login(gate)
    assert 200 == await _read(gate.url, token)
    await gates.stop(gate)
    # The operator "ops" leaves: another takes the only operator's place.
    text = demo_config.read_text()
    assert 'name = "ops"\n' in text
    demo_config.write_text(text.replace('name = "ops"\n', 'name = "ops-new"\n', 1))
    gate = await gates.start()
    assert 401 == await _read(gate.url, token)


async def test_a_kept_operators_session_survives_the_restart(
    demo_config: Path, gates: Gates
) -> None:
    gate = await gates.start()
    token = await _login(gate)
    await gates.stop(gate)
    gate = await gates.start()
    assert 200 == await _read(gate.url, token)


async def test_a_changed_passwords_sessions_end_with_the_restart_that_changed_it(
    demo_config: Path, gates: Gates
) -> None:
    gate = await gates.start()
    token = await _login(gate)
    await gates.stop(gate)
    text = demo_config.read_text()
    assert 'password = "demo-ops-password"\n' in text
    demo_config.write_text(
        text.replace('password = "demo-ops-password"\n', 'password = "a-new-password-9"\n', 1)
    )
    gate = await gates.start()
    assert 401 == await _read(gate.url, token)
