"""Every error answer is an RFC 9457 problem document and changes nothing (issue 11.11, web
part): bytes that are not UTF-8 in credentials, a licence number with '|', dates that
overflow, and any exception a handler did not foresee."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from gate.web.alarms import ResourceAlarm
from gate.web.problems import ALARM, problem_middleware
from tests.central.test_central_link import approval, callback, held, office_key
from tests.conftest import WMS_TOKEN
from tests.fake_office import Office
from tests.service.harness import Gate


async def raw_get(g: Gate, path: str, header: bytes) -> tuple[int, str, bytes]:
    """GETs ``path`` with one raw header line (any bytes); returns status, type, body."""
    host, port = g.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n".encode()
        + header
        + b"\r\n\r\n"
    )
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    ctype = next(x.split(": ", 1)[1] for x in lines if x.lower().startswith("content-type:"))
    return int(lines[0].split(" ", 2)[1]), ctype.split(";")[0], body


@pytest.mark.parametrize(
    "header",
    [
        b"Authorization: Bearer \xff\xfe\xc3",
        b"Authorization: Basic \xff\xfe",
        b"Cookie: gate_session=\xff\xfe\xc3",
    ],
    ids=["bearer", "basic", "cookie"],
)
async def test_non_utf8_credentials_are_a_401_problem(gate: Gate, header: bytes) -> None:
    """A bearer token, Basic credentials or session cookie that is not UTF-8 is a 401
    problem document, not a plain-text 500."""
    status, ctype, body = await raw_get(gate, "/api/v1/doors", header)
    assert (401, "application/problem+json") == (status, ctype)
    assert "https://gate.invalid/problems/unauthorized" == json.loads(body)["type"]


def licence(number: str, valid_until: str = "2027-01-01T00:00:00+00:00") -> dict[str, object]:
    return {
        "number": number,
        "consignee": {"name": "Acme Precision GmbH", "country": "DE"},
        "destination": "DE",
        "controls": ["9.A.4"],
        "quantity": 5,
        "valid_from": "2026-01-01T00:00:00+00:00",
        "valid_until": valid_until,
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (licence("L|1"), "number"),
        (licence("L\u202e1"), "number"),
        (licence("L2", "9999-12-31T23:59:59-05:00"), "valid_until"),
        (licence("L3", "0001-01-01T00:00:00+05:00"), "valid_until"),
    ],
    ids=["pipe", "rtl-override", "overflow-high", "overflow-low"],
)
async def test_bad_pushed_licence_is_a_400_problem_and_stores_nothing(
    gate: Gate, demo_config: Path, body: dict[str, object], field: str
) -> None:
    """A signed licence whose number holds '|' (or a control character) or whose dates
    overflow is a 400 problem naming the field, and no licence is stored."""
    status, doc = await callback(gate, "/api/v1/licences", body, key=office_key(demo_config))
    assert (400, [field]) == (status, [e["field"] for e in doc["errors"]])
    _, listed = await gate.call("GET", "/api/v1/licences")
    assert [] == listed["licences"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"valid_from": "2027-01-01T00:00:00+00:00"}, "valid_until"),
        ({"consignee": {"name": "...", "country": "DE"}}, "consignee.name"),
        ({"consignee": {"name": "Acme", "country": "DE", "ids": {"ssn": "1"}}}, "consignee.ids"),
    ],
    ids=["ends-before-it-starts", "nameless-consignee", "unknown-id-scheme"],
)
async def test_a_licence_the_core_refuses_is_a_400_naming_the_field(
    gate: Gate, demo_config: Path, change: dict[str, object], field: str
) -> None:
    """A signed licence of the right shape whose terms cannot hold (it ends before it starts,
    its consignee has no name, an identifier's scheme is unknown) is an ``invalid-licence``
    problem naming the field, and no licence is stored."""
    body = {**licence("L9"), **change}
    status, doc = await callback(gate, "/api/v1/licences", body, key=office_key(demo_config))
    assert (400, "invalid-licence", [field]) == (
        status,
        doc["type"].rsplit("/", 1)[-1],
        [e["field"] for e in doc.get("errors") or ()],
    )
    _, listed = await gate.call("GET", "/api/v1/licences")
    assert [] == listed["licences"]


async def test_approval_with_an_overflowing_date_is_a_400_and_the_shipment_stays_held(
    gate: Gate, demo_config: Path, office: Office
) -> None:
    """An approval whose licence runs to 9999-12-31T23:59:59-05:00 (past the last UTC date)
    is a 400 problem; the shipment stays held, in memory and in its answers."""
    _, request = await held(gate, demo_config, office)
    body = approval(request["request_id"], "EXP-1")
    body["licence"]["valid_until"] = "9999-12-31T23:59:59-05:00"  # type: ignore[index]
    status, doc = await callback(gate, "/api/v1/approvals", body, key=office_key(demo_config))
    assert (400, ["licence.valid_until"]) == (status, [e["field"] for e in doc["errors"]])
    status, shipment = await gate.call("GET", "/api/v1/shipments/S1")
    assert (200, "held") == (status, shipment["state"])


SECRET = "token=demo-secret-in-an-exception"


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError(SECRET)


async def out_of_files(request: web.Request) -> web.Response:
    raise OSError(errno.EMFILE, "Too many open files")


@pytest.fixture
async def bare() -> AsyncIterator[str]:
    """A real server whose handlers fail in ways nobody foresaw, behind the gate's error
    middleware."""
    app = web.Application(middlewares=[problem_middleware])
    app[ALARM] = ResourceAlarm()
    app.router.add_get("/boom", boom)
    app.router.add_get("/files", out_of_files)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_an_unforeseen_exception_is_a_500_problem_without_its_text(
    bare: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A handler's unexpected exception is answered as a 500 problem document whose body
    holds neither the exception's text nor a traceback; the log has the cause."""
    caplog.set_level(logging.ERROR, logger="gate.web.problems")
    async with aiohttp.ClientSession() as s, s.get(bare + "/boom") as r:
        body = await r.text()
        assert (500, "application/problem+json") == (r.status, r.content_type)
    assert "https://gate.invalid/problems/internal" == json.loads(body)["type"]
    assert (False, False) == (SECRET in body, "Traceback" in body)
    assert any(SECRET in (r.exc_text or "") for r in caplog.records)


async def test_running_out_of_files_is_a_503_problem_logged_once(
    bare: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Requests that meet the file limit are 503 problems with Retry-After, and the
    condition is logged once, without a traceback, however many requests meet it."""
    caplog.set_level(logging.WARNING)
    async with aiohttp.ClientSession() as s:
        for _ in range(10):
            async with s.get(bare + "/files") as r:
                doc = await r.json(content_type="application/problem+json")
                assert (503, "1") == (r.status, r.headers["Retry-After"])
    assert "https://gate.invalid/problems/resource-limit" == doc["type"]
    logged = [r for r in caplog.records if "Too many open files" in r.getMessage()]
    assert [None] == [r.exc_info for r in logged]


async def test_unrouted_paths_and_methods_say_what_was_asked(gate: Gate) -> None:
    """The router's own 404 and 405 name the method and path (and a 405 the methods the
    path takes), not aiohttp's bare "404: Not Found"; a path outside the API says where it is."""
    token = {"Authorization": f"Bearer {WMS_TOKEN}"}
    answers = []
    for method, path in [
        ("GET", "/api/v2/doors"),
        ("GET", "/api/v1/nothing"),
        ("DELETE", "/api/v1/doors"),
    ]:
        async with gate.session.request(method, gate.url + path, headers=token) as r:
            answers.append((r.status, (await r.json(content_type=None))["detail"]))
    assert [
        (404, "no route GET /api/v2/doors (the API is under /api/v1/)"),
        (404, "no route GET /api/v1/nothing"),
        (405, "DELETE is not allowed on /api/v1/doors (it takes GET, HEAD)"),
    ] == answers
