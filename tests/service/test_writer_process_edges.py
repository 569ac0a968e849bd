"""The writer process (``GATE_WRITER=process``) at its edges: another process holding the
database, the gate stopping with batches in flight, a stop signal to the whole group, the
gate killed while its writer lives on, and sends that carry many batches."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from collections import deque
from pathlib import Path

import msgpack
import pytest

from gate.storage import writer_process
from gate.web import app_keys
from tests.service.harness import Gates, until
from tests.service.test_process import Serve, call, create
from tests.service.test_writer_process import post, reads, stored
from tests.store.test_store_lock import lock_held_by_another_process


@pytest.fixture(autouse=True)
def writer_process_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATE_WRITER", "process")


async def test_a_database_locked_by_another_process_refuses_batches_then_takes_them_again(
    gates: Gates, demo_config: Path
) -> None:
    """While another process holds the database's write lock past the busy timeout, a batch
    is refused with a 503 and not stored, and the gate does not latch: once the lock is let
    go, the next batch is stored and a seal works."""
    g = await gates.start()
    await g.create("S1", "D1")
    with lock_held_by_another_process(g.config.database):
        status, problem = await post(g, reads(demo_config, 0))
        assert 503 == status, problem
        assert "locked by another process" in problem["detail"]
    assert g.app[app_keys.DOCKS].committer.failed is None
    status, body = await post(g, reads(demo_config, 1))
    assert 200 == status, body
    assert [(5,)] == stored(g.config.database, "SELECT count(*) FROM scans")
    status, doc = await g.call("GET", "/api/v1/shipments/S1")
    assert [2, 3] == sorted(line["quantity"] for line in doc["lines"])
    status, doc = await g.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "held") == (status, doc["state"])


async def test_a_stop_with_batches_in_flight_answers_each_as_stored_or_not(
    gates: Gates, demo_config: Path
) -> None:
    """The gate stops while batches wait for the writer (one sent, others not): each batch
    answered as stored is stored, and none answered as failed is."""
    g = await gates.start()
    await g.create("S1", "D1")
    docks = g.app[app_keys.DOCKS]
    writer = docks.committer.writer
    assert writer is not None
    writer.process.send_signal(signal.SIGSTOP)
    batches = [reads(demo_config, b) for b in range(4)]
    sent = [asyncio.create_task(docks.scans(batch, "scanner")) for batch in batches]
    await until(lambda: writer.pending == len(batches), "the batches handed over")
    closing = asyncio.create_task(writer.close())
    writer.process.send_signal(signal.SIGCONT)
    await closing
    outcomes = await asyncio.gather(*sent, return_exceptions=True)
    stored_ids = {row[0] for row in stored(g.config.database, "SELECT scan_id FROM scans")}
    for batch, outcome in zip(batches, outcomes, strict=True):
        ids = {scan["scan_id"] for scan in batch}
        if isinstance(outcome, BaseException):
            assert set() == ids & stored_ids, outcome
        else:
            assert ids <= stored_ids
    assert all(not isinstance(o, BaseException) for o in outcomes)


async def test_a_stop_signal_to_the_group_leaves_the_writer_to_the_gate(
    gates: Gates, demo_config: Path
) -> None:
    """SIGTERM and SIGINT (a terminal's Ctrl-C, systemd's stop: sent to the whole group) do
    not end the writer process: the gate still stores batches until its own stop ends it."""
    g = await gates.start()
    await g.create("S1", "D1")
    writer = g.app[app_keys.DOCKS].committer.writer
    assert writer is not None
    writer.process.send_signal(signal.SIGTERM)
    writer.process.send_signal(signal.SIGINT)
    status, body = await post(g, reads(demo_config, 0))
    assert 200 == status, body
    assert writer.process.poll() is None


async def test_one_send_carries_no_more_than_a_group_and_each_shipment_at_its_last_value(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of two doors that waited for the writer go in sends of at most ``MAX_GROUP``
    batches, and the database then holds each shipment as memory does."""
    monkeypatch.setattr(writer_process, "MAX_GROUP", 2)
    g = await gates.start()
    await g.create("S1", "D1")
    await g.create("S2", "D2")
    docks = g.app[app_keys.DOCKS]
    writer = docks.committer.writer
    assert writer is not None
    commits = writer.commits
    writer.process.send_signal(signal.SIGSTOP)
    batches = []
    for b in range(7):
        door = "D1" if b % 2 else "D2"
        batches.append([{**scan, "door": door} for scan in reads(demo_config, b)])
    sent = [asyncio.create_task(docks.scans(batch, "scanner")) for batch in batches]
    await until(lambda: writer.pending == len(batches), "the batches handed over")
    writer.process.send_signal(signal.SIGCONT)
    await asyncio.gather(*sent)
    assert 4 <= writer.commits - commits  # 7 batches, 2 at most a send
    for sid in ("S1", "S2"):
        status, live = await g.call("GET", f"/api/v1/shipments/{sid}")
        assert 200 == status
        held = stored(g.config.database, "SELECT doc FROM shipments WHERE id = ?", sid)
        quantities = {line["key"]: line["quantity"] for line in live["lines"]}
        kept = {line["key"]: line["quantity"] for line in json.loads(held[0][0])["lines"]}
        assert quantities == kept, sid


def writer_of(pid: int) -> int:
    """The pid of the writer process of ``gate serve`` process ``pid``."""
    found = [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit()
        and Path(p, "stat").read_text().rpartition(")")[2].split()[1] == str(pid)
        and b"writer_process" in Path(p, "cmdline").read_bytes()
    ]
    assert 1 == len(found), found
    return found[0]


async def test_a_writer_left_by_a_killed_gate_keeps_the_next_gate_out_until_it_ends(
    demo_config: Path, serve: Serve
) -> None:
    """``gate serve`` killed while its writer process lives on (stopped here, as one slow to
    notice): no other gate opens the database until that process has ended, for it may
    still write; then one does."""
    served = await serve(demo_config, GATE_WRITER="process")
    create(served.url, "S1", "D1", "US")
    orphan = writer_of(served.proc.pid)
    os.kill(orphan, signal.SIGSTOP)
    try:
        served.proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(served.proc.wait)
        second = await serve(demo_config, ready=False, GATE_WRITER="process")
        assert 1 == await asyncio.to_thread(second.proc.wait, 60)
        refused = second.stderr()
        assert "in use by another gate" in refused
        assert f"or its writer process, pid {orphan}, while it lives" in refused
    finally:
        os.kill(orphan, signal.SIGCONT)
    await until(lambda: not Path(f"/proc/{orphan}").exists(), "the old writer to end")
    third = await serve(demo_config, GATE_WRITER="process")
    status, doc = call(third.url, "GET", "/api/v1/shipments/S1")
    assert (200, "open") == (status, doc["state"])


def test_a_gate_gone_with_answers_unread_is_an_end_not_a_traceback() -> None:
    """The gate killed with the writer's answers unread resets their socket: the writer
    reads that as the end of the gate's sends (it stores what it holds and exits), not as an
    error that ends it with a traceback in the gate's log."""
    gate, writer = socket.socketpair()
    writer.sendall(b"an answer the gate never reads")
    gate.close()
    queue: deque[object] = deque()
    assert writer_process._receive(writer, msgpack.Unpacker(), queue, [], wait=True) is False
    writer.close()
