"""``gate simulate`` for a demo: held and blocked shipments left for the operator, the next
run freeing the doors first, and Ctrl-C cancelling the run's own shipments (a real
``gate serve`` process; the simulator in this process or as ``gate simulate``)."""

from __future__ import annotations

import asyncio
import io
import signal
import sys

from gate.cli.simulate import Options, Report, simulate
from tests.service.harness import ROOT, Served, child_env

FINAL = ("dispatched", "cancelled")


def open_sim(served: Served) -> dict[str, str]:
    """The simulator's shipments not yet final, by id: their doors."""
    return {
        doc["id"]: doc["door"]
        for doc in served.api("/shipments")["shipments"]
        if doc["id"].startswith("SIM-") and doc["state"] not in FINAL
    }


async def test_held_and_blocked_are_left_for_the_operator_and_freed_by_the_next_run(
    served: Served,
) -> None:
    """By default the last shipment of a door, held or blocked, stays at its door with its
    state; every other shipment is closed. The next run cancels it first and drives the door."""
    left: list[tuple[str, str]] = []
    for seed in range(1, 40):  # a seed whose last shipment at some door is held or blocked
        report: Report = await simulate(
            Options(served.config, ("D1", "D2", "D3"), 2, 1000.0, seed=seed), io.StringIO()
        )
        left = [(o.id, o.door) for o in report.outcomes if o.left]
        if left:
            break
        assert {} == open_sim(served)
    assert left, "no seed left a held or blocked shipment"
    assert dict(left) == open_sim(served)
    for sid, door in left:
        doc = served.api(f"/doors/{door}")
        assert sid == doc["shipment"]["id"]
        assert doc["shipment"]["state"] in ("held", "blocked")
    firsts = {o.door for o in report.outcomes} - {door for _, door in left}
    assert all(served.api(f"/doors/{d}")["shipment"] is None for d in firsts)

    out = io.StringIO()
    again = await simulate(
        Options(served.config, ("D1", "D2", "D3"), 1, 1000.0, seed=1, close_all=True), out
    )
    assert {} == open_sim(served), "the next run cancelled what the first left, then closed all"
    assert not again.busy_doors
    freed = [x for x in out.getvalue().splitlines() if "(left by an earlier run)" in x]
    assert sorted(sid for sid, _ in left) == sorted(x.split()[1] for x in freed)
    for sid, _ in left:
        assert "cancelled" == served.api(f"/shipments/{sid}")["state"]


async def test_ctrl_c_cancels_the_runs_shipments_and_prints_the_summary(served: Served) -> None:
    """SIGINT mid-run: the run cancels its own open shipments, prints its summary, exits
    130, and leaves every door free."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gate",
        "simulate",
        *("--config", str(served.config), "--doors", "D1,D2", "--rate", "2", "--seed", "3"),
        cwd=ROOT,
        env=child_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    seen: list[str] = []
    created: set[str] = set()
    while len(created) < 2:  # both doors have a shipment being loaded
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        assert line, "".join(seen)
        seen.append(line)
        if " created " in line:
            created.add(line.split()[0])
    assert 2 == len(open_sim(served))
    proc.send_signal(signal.SIGINT)
    rest, err = await asyncio.wait_for(proc.communicate(), 60)
    out = "".join(seen) + rest.decode()
    assert 130 == proc.returncode, out + err.decode()
    assert "summary: interrupted; the run's open shipments were cancelled" in out
    assert "summary: " in out and " shipments: " in out
    assert {} == open_sim(served)
    for door in ("D1", "D2"):
        assert served.api(f"/doors/{door}")["shipment"] is None
