"""The bench's lean HTTP/1.1 client (tests/bench/raw_http.py) against a real gate, with the
gate's own answers through aiohttp's client as the oracle: what it posts is taken as aiohttp's
would be, it reads every answer whole on a kept-alive connection, and it comes back after the
server closes the connection."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests.bench.loadgen import Bench
from tests.bench.raw_http import RawConnection, closed_loop
from tests.service.harness import SCANNER_TOKEN, Gate, gtin_with


async def test_the_raw_client_posts_what_aiohttps_would_and_reads_each_answer(
    gate: Gate, demo_config: Path
) -> None:
    await gate.create()
    plain = gtin_with(demo_config, "")
    url = f"{gate.url}/api/v1/scans"
    raw = RawConnection(url, SCANNER_TOKEN)
    try:
        scan = {"scan_id": "raw-1", "reader": "hh-7", "door": "D1", "code": plain}
        status, answer = await raw.post(scan)
        assert 200 == status and "accepted" == answer["results"][0]["status"], answer
        # The same scan through aiohttp's client: a retry of the one the raw client sent.
        status, again = await gate.call("POST", "/api/v1/scans", scan, token=SCANNER_TOKEN)
        assert 200 == status
        assert {**answer["results"][0], "status": "duplicate", "first_status": "accepted"} == (
            again["results"][0]
        )
        batch = {"scans": [{**scan, "scan_id": f"raw-b{n}"} for n in range(50)]}
        status, answer = await raw.post(batch)  # the same connection, kept alive
        assert (200, 50) == (status, len(answer["results"]))
        status, problem = await RawConnection(url, "not-a-token").post(scan)
        assert (401, 401) == (status, problem["status"])
    finally:
        raw.close()
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert [51] == [line["quantity"] for line in doc["lines"] if line["key"] == plain]


async def test_a_closed_loop_counts_every_answer_and_survives_a_closed_connection(
    gate: Gate, demo_config: Path
) -> None:
    """An oversized body makes the server answer 413 and close; the loop's next post opens a
    new connection and goes on."""
    await gate.create()
    plain = gtin_with(demo_config, "")
    too_big = gate.config.limits.max_body_bytes
    bodies = iter(
        [
            {"scan_id": "c-1", "reader": "hh-7", "door": "D1", "code": plain},
            {"scan_id": "c-2", "reader": "hh-7", "door": "D1", "code": "x" * too_big},
            {"scan_id": "c-3", "reader": "hh-7", "door": "D1", "code": plain},
        ]
    )
    statuses: list[int] = []

    def next_body() -> object:
        try:
            return next(bodies)
        except StopIteration:
            raise _Done from None

    with pytest.raises(_Done):  # the bodies ran out, nothing else ended the loop
        await closed_loop(
            f"{gate.url}/api/v1/scans",
            SCANNER_TOKEN,
            next_body,
            float("inf"),
            lambda status, _: statuses.append(status),
        )
    assert [200, 413, 200] == statuses
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    assert [2] == [line["quantity"] for line in doc["lines"] if line["key"] == plain]


@pytest.mark.parametrize("client", ["raw", "aiohttp"])
async def test_the_paced_latency_mode_answers_every_scan_due_from_either_client(
    gate: Gate, client: str
) -> None:
    """The latency rows' open loop at 200 scans/s for a second, from 8 connections: every
    scan due in the window is answered 200 and timed once, and the shipment holds them and
    the warm-up's."""
    await gate.create()
    args = argparse.Namespace(
        mode="latency", rate=200.0, seconds=1.0, warmup=0.25, connections=8, client=client,
        doors="D1", streams=0, page=False, skus=30, tag=f"paced-{client}",
    )  # fmt: skip
    bench = Bench(gate.config, args)
    bench.url, bench.base = f"{gate.url}/api/v1/scans", gate.url
    tally = await bench.http_paced()
    assert not tally.errors, tally.errors
    assert 199 <= len(tally.latencies) <= 201
    assert all(latency > 0 for latency in tally.latencies)
    _, doc = await gate.call("GET", "/api/v1/shipments/S1")
    # At most the 251 due from the warm-up's start to the window's end, each one unit.
    assert len(tally.latencies) < sum(line["quantity"] for line in doc["lines"]) <= 251


class _Done(Exception):
    """The bodies ran out."""
