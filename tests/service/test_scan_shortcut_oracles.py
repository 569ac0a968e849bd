"""The scan path's shortcuts against what they stand for, over a real gate (SQLite file, HTTP):
the door signal a scan answers (``signal_after`` from the signal before) against the signal
``GET /doors`` reads off every line; a retry's answer (remembered as text, recalled from the
database after memory let go or after a restart, or waited for while the first delivery is
in flight) against the first answer; a different scan under a used id against a refusal.

One seeded walk of a few hundred operations per seed: new scans (in batches, at two doors,
one shipment prohibiting listed goods), exact retries, reused ids, concurrent deliveries of
one scan, line removals, restarts with a memory of two ids.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from tests.service.harness import OPERATOR, SCANNER_TOKENS, Gate, Gates, gtin_with
from tests.service.test_scan_id_reuse import post


async def doors(gate: Gate) -> dict[str, str]:
    _, body = await gate.call("GET", "/api/v1/doors")
    return {d["id"]: d["signal"] for d in body["doors"]}


async def quantities(gate: Gate, sid: str) -> dict[str, int]:
    _, doc = await gate.call("GET", f"/api/v1/shipments/{sid}")
    return {line["key"]: line["quantity"] for line in doc["lines"] if not line.get("removed")}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_answers_match_the_full_signal_and_the_first_answer(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Along a random walk of scans, retries, reused ids, concurrent deliveries, removals
    and restarts: each accepted answer's door signal is the one every line gives at that
    door, each retry is answered with its first answer marked duplicate, each reused id is
    refused, and each line counts exactly the first deliveries accepted into it."""
    from gate.service import scan_ids

    monkeypatch.setattr(scan_ids, "RECENT_SCANS", 3)
    monkeypatch.setattr(scan_ids, "RECENT_AT_START", 2)
    rng = random.Random(seed)
    gate = await gates.start()
    await gate.create("S1", "D1")
    await gate.create("S2", "D2", destination="IR", consignee={"name": "Pars", "country": "IR"})
    shipment_of = {"D1": "S1", "D2": "S2"}
    codes = [
        gtin_with(demo_config, ""),
        gtin_with(demo_config, "9.A.4"),
        gtin_with(demo_config, ""),
    ]
    codes += [gtin_with(demo_config, "9.A.4", 1), gtin_with(demo_config, "", 1)]
    first: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}
    counts: dict[str, dict[str, int]] = {"D1": {}, "D2": {}}
    n = 0
    for _ in range(120):
        op = rng.random()
        if op < 0.45:  # a batch of new scans at one door
            door = rng.choice(["D1", "D2"])
            batch = []
            for _ in range(rng.randint(1, 3)):
                n += 1
                batch.append(
                    {"scan_id": f"i{n}", "reader": "r", "door": door, "code": rng.choice(codes)}
                )
            status, answers = await post(gate, *batch, token=SCANNER_TOKENS[door])
            assert 200 == status, answers
            full = await doors(gate)
            for sent, answer in zip(batch, answers, strict=True):
                first[(door, sent["scan_id"])] = (sent, answer)
                assert "accepted" == answer["status"], answer
                counts[door][sent["code"]] = counts[door].get(sent["code"], 0) + 1
            assert full[door] == answers[-1]["door"]["signal"], (answers, full)
        elif op < 0.65 and first:  # an exact retry, maybe two at once
            door, sid = rng.choice(sorted(first))
            sent, answer = first[(door, sid)]
            token = SCANNER_TOKENS[door]
            status, again = await post(gate, sent, token=token)
            assert 200 == status, again
            expected = {**answer, "status": "duplicate", "first_status": answer["status"]}
            assert expected == again[0]
        elif op < 0.75 and first:  # a reused id for another code
            door, sid = rng.choice(sorted(first))
            sent, _ = first[(door, sid)]
            other = next(c for c in codes if c != sent["code"])
            status, reused = await post(gate, {**sent, "code": other}, token=SCANNER_TOKENS[door])
            assert (200, "rejected", "scan_id") == (
                status,
                reused[0]["status"],
                reused[0].get("field"),
            ), reused
        elif op < 0.85:  # one new scan delivered twice at once (the second waits for it)
            door = rng.choice(["D1", "D2"])
            n += 1
            sent = {"scan_id": f"i{n}", "reader": "r", "door": door, "code": rng.choice(codes)}
            token = SCANNER_TOKENS[door]
            (s1, a1), (s2, a2) = await asyncio.gather(
                post(gate, sent, token=token), post(gate, sent, token=token)
            )
            assert (200, 200) == (s1, s2)
            answers = sorted([a1[0], a2[0]], key=lambda a: a["status"])
            assert ["accepted", "duplicate"] == [a["status"] for a in answers], answers
            assert {**answers[0], "status": "duplicate", "first_status": "accepted"} == answers[1]
            first[(door, sent["scan_id"])] = (sent, answers[0])
            counts[door][sent["code"]] = counts[door].get(sent["code"], 0) + 1
        elif op < 0.93:  # goods unloaded
            door = rng.choice(["D1", "D2"])
            if counts[door]:
                key = rng.choice(sorted(counts[door]))
                status, doc = await gate.call(
                    "POST",
                    f"/api/v1/shipments/{shipment_of[door]}/lines/{key}/remove",
                    token=None,
                    auth=OPERATOR,
                )
                assert 200 == status, doc
                del counts[door][key]
        else:
            await gates.stop(gate)
            gate = await gates.start()
        for door, sid in shipment_of.items():
            assert counts[door] == await quantities(gate, sid)
