"""Requests from nobody known cost the gate little. A body is read only from a known client
(``gate.web.bodies.body_middleware``): anyone else is answered 401 at once, before sending a
byte of it, so a crowd without tokens cannot hold the gate's connections by sending bodies
slowly (the attack held 1,100 that way, and every real request got 503 for as long as it
liked). And a flood of ``/readyz`` shares one database probe."""

from __future__ import annotations

import asyncio
import base64

import pytest

from gate.web import app as app_module
from gate.web import app_keys
from tests.conftest import WMS_TOKEN
from tests.service.harness import Gate

HEAD = (
    "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{auth}"
    "Content-Length: 1000\r\n\r\n"
)


async def first_line(gate: Gate, path: str, auth: str = "", wait: float = 5) -> bytes:
    """Sends the head of a 1,000-byte body and none of the body; the answer's status line
    (TimeoutError when none comes within ``wait`` seconds)."""
    host, port = gate.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(HEAD.format(path=path, auth=auth).encode())
        await writer.drain()
        return await asyncio.wait_for(reader.readline(), wait)
    finally:
        writer.close()


@pytest.mark.parametrize(
    "auth",
    ["", "Authorization: Bearer not-a-token\r\n", "Authorization: Basic bm9ib2R5Ong=\r\n"],
    ids=["none", "unknown-token", "unknown-operator"],
)
async def test_a_body_from_nobody_known_is_refused_before_it_arrives(gate: Gate, auth: str) -> None:
    """No credential, an unknown token or a name no operator has: 401 while the body is
    still owed."""
    assert b"HTTP/1.1 401" == (await first_line(gate, "/api/v1/scans", auth))[:12]


async def test_a_known_client_and_a_signed_callback_are_waited_for(gate: Gate) -> None:
    """A known client's body, and a callback's (its signature covers the body, so it is
    read first), are waited for: no answer comes before the body (the test stops waiting
    after a moment)."""
    for path, auth in (
        ("/api/v1/scans", f"Authorization: Bearer {WMS_TOKEN}\r\n"),
        ("/api/v1/approvals", ""),
    ):
        with pytest.raises(TimeoutError):
            await first_line(gate, path, auth, wait=0.5)


async def test_a_flood_of_readyz_costs_one_commit_per_half_second(gate: Gate) -> None:
    """/readyz needs no token and its database check commits a write: fifty at once share
    one probe (the attack's flood made 1,900 commits a second)."""
    store = gate.app[app_keys.DOCKS].store
    before = store.stats.commits

    async def ready() -> int:
        async with gate.session.get(gate.url + "/readyz") as r:
            await r.read()
            return r.status

    assert [200] * 50 == list(await asyncio.gather(*(ready() for _ in range(50))))
    assert store.stats.commits - before <= 2


async def test_an_operator_name_without_its_password_is_refused_before_the_body(
    gate: Gate,
) -> None:
    """HTTP Basic with an operator's name and a wrong password is refused before the body
    like an unknown name (no way to tell names apart), and counts against the login
    throttle: guessing through bodies is throttled like any other (429 after five)."""
    wrong = "Authorization: Basic " + base64.b64encode(b"ops:wrong").decode() + "\r\n"
    lines = [await first_line(gate, "/api/v1/scans", wrong) for _ in range(6)]
    assert [b"HTTP/1.1 401"] * 5 + [b"HTTP/1.1 429"] == [line[:12] for line in lines]


async def test_a_signed_callback_path_waits_for_its_body_only_briefly(
    gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An open path (a callback, the login form) waits OPEN_BODY_SECONDS for a body from
    anyone, then answers 408 and closes: a slow body cannot hold the connection longer."""
    monkeypatch.setattr(app_module, "OPEN_BODY_SECONDS", 0.3)
    assert b"HTTP/1.1 408" == (await first_line(gate, "/api/v1/approvals", wait=5))[:12]
