"""The HTTP API's content negotiation and method errors as DESIGN.md 4 and HTTP say: msgpack
only when the client accepts it (RFC 9110 12.5.1: ``q=0`` means "not acceptable", a lower
``q`` a lower preference), on every JSON answer of the table (the probes too), and a 405
names the methods the resource has (RFC 9110 15.5.6: the ``Allow`` header)."""

from __future__ import annotations

import pytest

from tests.service.harness import WMS_TOKEN, Gate

MSGPACK = "application/msgpack"


async def content_type(g: Gate, path: str, accept: str) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {WMS_TOKEN}", "Accept": accept}
    async with g.session.get(g.url + path, headers=headers) as r:
        await r.read()
        return r.status, r.content_type


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (MSGPACK, MSGPACK),
        (f"{MSGPACK}, application/json", MSGPACK),
        (f"application/json;q=0.5, {MSGPACK}", MSGPACK),
        (f"{MSGPACK};q=0", "application/json"),
        (f"application/json, {MSGPACK};q=0.1", "application/json"),
        (f"{MSGPACK};q=0.0, */*", "application/json"),
        ("*/*", "application/json"),
        ("application/msgpackx", "application/json"),
    ],
)
async def test_msgpack_only_when_it_is_accepted_and_preferred(
    gate: Gate, accept: str, expected: str
) -> None:
    """``Accept`` is read by its media ranges and their q-values: msgpack when it is accepted
    at least as much as JSON, JSON otherwise."""
    assert (200, expected) == await content_type(gate, "/api/v1/doors", accept)


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_the_probes_answer_msgpack_when_asked(gate: Gate, path: str) -> None:
    """The liveness and readiness answers are documents of the API's table like any other:
    msgpack for ``Accept: application/msgpack``."""
    assert (200, MSGPACK) == await content_type(gate, path, MSGPACK)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/v1/shipments", {"GET", "HEAD", "POST"}),
        ("PUT", "/api/v1/scans", {"POST"}),
        ("POST", "/api/v1/doors/D1", {"GET", "HEAD"}),
    ],
)
async def test_a_405_problem_names_the_allowed_methods(
    gate: Gate, method: str, path: str, allowed: set[str]
) -> None:
    """A method the resource does not have is a 405 problem document with ``Allow``."""
    headers = {"Authorization": f"Bearer {WMS_TOKEN}"}
    async with gate.session.request(method, gate.url + path, headers=headers) as r:
        doc = await r.json(content_type=None)
        got = (r.status, r.content_type, doc.get("status"))
        allow = {m.strip() for m in r.headers.get("Allow", "").split(",") if m.strip()}
    assert (405, "application/problem+json", 405) == got
    assert allowed == allow
