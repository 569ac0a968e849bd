"""The first HTTP surface: health, readiness and item classification, on a real socket."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import msgpack
import pytest

from gate.config.settings import load_config
from tests.conftest import SCANNER_TOKEN, WMS_TOKEN
from tests.service.harness import READY_CHECKS, Gate, Served

GYRO = "09506000100013"


@pytest.fixture
def base_url(gate: Gate) -> str:
    return gate.url


def controlled_gtin(catalogue: Path, code: str) -> str:
    for line in catalogue.read_text().splitlines()[1:]:
        gtin, _, control = line.rsplit(",", 2)[0], None, line.rsplit(",", 1)[1]
        if control == code:
            return gtin
    raise AssertionError(f"no catalogue row for {code}")


async def test_health_and_readiness(base_url: str) -> None:
    """/healthz answers and /readyz reports the table loaded."""
    async with aiohttp.ClientSession() as s:
        async with s.get(base_url + "/healthz") as r:
            assert 200 == r.status
        async with s.get(base_url + "/readyz") as r:
            assert (200, READY_CHECKS) == (r.status, (await r.json())["checks"])


async def test_item_is_classified(base_url: str, demo_config: Path) -> None:
    """A catalogued controlled GTIN-14 comes back with its MTCR code and category."""
    gtin = controlled_gtin(demo_config.parent / "catalogue.csv", "9.A.4")
    headers = {"Authorization": f"Bearer {WMS_TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as s:
        async with s.get(f"{base_url}/api/v1/items/{gtin}") as r:
            body = await r.json()
    assert 200 == r.status
    assert ("9.A.4", 2) == (body["classification"]["control"], body["classification"]["category"])
    assert gtin == body["item"]["key"]
    assert body["table"]["version"]


async def test_item_answers_msgpack(base_url: str, demo_config: Path) -> None:
    """Accept: application/msgpack gets the same answer as msgpack."""
    gtin = controlled_gtin(demo_config.parent / "catalogue.csv", "")
    headers = {"Authorization": f"Bearer {WMS_TOKEN}", "Accept": "application/msgpack"}
    async with aiohttp.ClientSession(headers=headers) as s:
        async with s.get(f"{base_url}/api/v1/items/{gtin}") as r:
            body = msgpack.unpackb(await r.read())
    assert "application/msgpack" == r.content_type
    assert (True, None) == (body["in_table"], body["classification"])


async def test_unknown_item_is_not_in_table(base_url: str) -> None:
    """A valid GTIN that is not catalogued says so (and is not a classification)."""
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {WMS_TOKEN}"}) as s:
        async with s.get(f"{base_url}/api/v1/items/00000000000017") as r:
            body = await r.json()
    assert (200, False, "not in table") == (r.status, body["in_table"], body["note"])


@pytest.mark.parametrize(
    ("code", "headers", "status", "kind"),
    [
        ("09506000134353", {"Authorization": f"Bearer {WMS_TOKEN}"}, 400, "invalid-code"),
        ("09506000134352", {}, 401, "unauthorized"),
        (
            "09506000134352",
            {"Authorization": "Bearer wrong-token-wrong-token"},
            401,
            "unauthorized",
        ),
        ("09506000134352", {"Authorization": f"Bearer {SCANNER_TOKEN}"}, 403, "forbidden"),
    ],
)
async def test_item_errors_are_problem_documents(
    base_url: str, code: str, headers: dict[str, str], status: int, kind: str
) -> None:
    """A bad code, no token, a wrong token and a wrong role each get an RFC 9457 problem."""
    async with aiohttp.ClientSession(headers=headers) as s:
        async with s.get(f"{base_url}/api/v1/items/{code}") as r:
            body = await r.json(content_type=None)
    assert (status, "application/problem+json") == (r.status, r.content_type)
    assert (status, True) == (body["status"], body["type"].endswith("/" + kind))
    assert body["detail"]


async def test_a_mistyped_gtin_is_told_what_a_gtin_is(base_url: str) -> None:
    """Digits of no GTIN's length are read as an element string (``123``: AI 12, a due
    date): the problem says so and what lengths a GTIN has; a GTIN of 13 digits with a wrong
    check digit is told about its check digit alone."""
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {WMS_TOKEN}"}) as s:
        async with s.get(f"{base_url}/api/v1/items/123") as r:
            short = await r.json(content_type=None)
        async with s.get(f"{base_url}/api/v1/items/4006381333932") as r:
            check = await r.json(content_type=None)
    assert (400, "invalid-code") == (short["status"], short["type"].rsplit("/", 1)[1])
    assert "a GTIN has 8, 12, 13 or 14 digits" in short["detail"], short
    assert 400 == check["status"]
    assert "a GTIN has" not in check["detail"], check


async def test_gate_serve_process_compiles_and_serves(
    demo_config: Path, serve: Callable[..., Awaitable[Served]]
) -> None:
    """`gate serve` compiles the missing table, serves an item, and stops on SIGTERM."""
    config = load_config(demo_config)
    assert not config.table.path.exists()
    served = await serve(demo_config)
    gtin = controlled_gtin(demo_config.parent / "catalogue.csv", "9.A.4")
    status, body = await asyncio.to_thread(served.call, "GET", f"/api/v1/items/{gtin}")
    assert (200, "9.A.4") == (status, body["classification"]["control"])
    assert config.table.path.exists()
    assert 0 == await served.stop(), served.stderr()
