"""Signed journal checkpoints anchor the chain off the box (issue 11, item 7): a journal cut
short with its head moved back, or re-chained from an altered record on, passes the chain check
but fails against a checkpoint the office kept; the gate refuses to start on a broken chain."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from gate.config.settings import Config, load_config
from gate.core.signatures import Verifier, parse_secret
from gate.errors import JournalBroken
from gate.links.checkpoint_sender import CheckpointSender
from gate.service.commit_step import Committer
from gate.service.events import Events
from gate.service.journal_watch import JournalWatch
from gate.service.live_state import LiveState
from gate.storage import checkpoints, journal
from gate.storage.store import Store, connect_readonly
from tests.conftest import ROOT, free_port
from tests.service.harness import Served, until

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
SECRET = parse_secret("whsec_Iom5HifUyyy1Fp7cz97WlZLY6WvWrCp7eAAcuovO7kM=")  # the demo's


async def append(store: Store, n: int) -> None:
    def write(conn: sqlite3.Connection) -> None:
        (last,) = conn.execute("SELECT coalesce(max(seq), 0) FROM audit").fetchone()
        journal.append_many(
            conn,
            [("scan", "scanner-door-1", "S1", {"n": last + i}) for i in range(n)],
            ts=T0 + timedelta(minutes=last),
        )

    await store.write(write)


async def take(
    store: Store, gate_id: str = "dock-a", at: datetime = T0
) -> checkpoints.Checkpoint | None:
    def write(conn: sqlite3.Connection) -> checkpoints.Checkpoint | None:
        return checkpoints.take(conn, gate_id=gate_id, secret=SECRET, now=at)

    return await store.write(write)


def tamper(path: Path, *statements: str) -> None:
    """Edits the database like someone with write access to the file: triggers dropped."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for trigger in ("audit_no_update", "audit_no_delete", "audit_append_only"):
            conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def truncate_and_update_head(path: Path, keep: int, *, thorough: bool = True) -> None:
    """The attack: delete every record after ``keep`` and point the head at record ``keep``;
    a ``thorough`` attacker also deletes the checkpoints the database recorded."""
    conn = sqlite3.connect(path)
    (digest,) = conn.execute("SELECT hash FROM audit WHERE seq = ?", (keep,)).fetchone()
    conn.close()
    tamper(
        path,
        f"DELETE FROM audit WHERE seq > {keep}",
        f"UPDATE meta SET value = '{keep} {digest}' WHERE key = '{journal.HEAD_KEY}'",
        "DELETE FROM journal_checkpoints" if thorough else "SELECT 1",
    )


def rewrite_every_later_hash(path: Path, seq: int, data: str) -> None:
    """The attack: alter record ``seq``'s data and re-chain it and every later record, so each
    hash matches its record and the head matches the last one; the checkpoints the database
    recorded are deleted too."""
    tamper(path, "DELETE FROM journal_checkpoints")
    conn = sqlite3.connect(path, isolation_level=None)
    for trigger in ("audit_no_update", "audit_no_delete", "audit_append_only"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    conn.execute("BEGIN")
    conn.execute("UPDATE audit SET data = ? WHERE seq = ?", (data, seq))
    (prev,) = conn.execute(
        "SELECT coalesce((SELECT hash FROM audit WHERE seq = ?), ?)",
        (seq - 1, journal.GENESIS_HASH),
    ).fetchone()
    rows = conn.execute(
        "SELECT seq, ts, kind, actor, subject, data FROM audit WHERE seq >= ? ORDER BY seq", (seq,)
    ).fetchall()
    for n, ts, kind, actor, subject, text in rows:
        digest = journal.record_hash(n, ts, kind, actor, subject, text, prev)
        conn.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, n))
        prev = digest
    conn.execute(
        "UPDATE meta SET value = ? WHERE key = ?", (f"{rows[-1][0]} {prev}", journal.HEAD_KEY)
    )
    conn.execute("COMMIT")
    conn.close()


def check(path: Path, checkpoint: checkpoints.Checkpoint) -> checkpoints.CheckpointResult:
    conn = connect_readonly(path)
    try:
        return checkpoints.verify_against(conn, checkpoint, secret=SECRET, gate_id="dock-a")
    finally:
        conn.close()


def chain(path: Path) -> journal.VerifyResult:
    conn = connect_readonly(path)
    try:
        return journal.verify(conn)
    finally:
        conn.close()


async def journal_with_checkpoint(path: Path) -> checkpoints.Checkpoint:
    """20 records, a checkpoint of them (record 21), then 10 more records; store closed."""
    async with await Store.open(path) as store:
        await append(store, 20)
        taken = await take(store)
        await append(store, 10)
    assert taken is not None
    return taken


# --- taking a checkpoint -------------------------------------------------------------------


async def test_checkpoint_signs_the_count_and_head_and_is_journaled(tmp_path: Path) -> None:
    """A checkpoint names the journal's length and last hash, verifies with the gate's secret
    as a Standard Webhooks message, is itself the next journal record, and is not taken again
    while nothing new was journaled."""
    async with await Store.open(tmp_path / "gate.db") as store:
        await append(store, 7)
        taken = await take(store)
        assert taken is not None
        head = await store.read(
            lambda c: c.execute("SELECT seq, hash FROM audit WHERE seq = 7").fetchone()
        )
        assert (7, head[1]) == (taken.records, taken.head_hash)
        msg_id, scheme = Verifier(secret=SECRET).verify(
            taken.headers(), taken.body(), now=taken.timestamp
        )
        assert (taken.checkpoint_id, "v1") == (msg_id, scheme)
        kinds = await store.read(
            lambda c: c.execute("SELECT seq, kind, data FROM audit WHERE seq > 7").fetchall()
        )
        assert [(8, checkpoints.CHECKPOINT_KIND)] == [(s, k) for s, k, _ in kinds]
        assert taken.fields() == json.loads(kinds[0][2])
        assert None is await take(store)
        await append(store, 1)
        again = await take(store)
        assert again is not None and 9 == again.records


async def test_untouched_journal_matches_its_checkpoint(tmp_path: Path) -> None:
    """A journal that only grew since the checkpoint matches it."""
    taken = await journal_with_checkpoint(tmp_path / "gate.db")
    result = check(tmp_path / "gate.db", taken)
    assert True is result.ok
    assert str(result).startswith("audit journal OK: 31 records; checkpoint ckpt-20-")


# --- the attacks ---------------------------------------------------------------------------


async def test_truncate_and_update_head_attack_is_caught_by_the_checkpoint(tmp_path: Path) -> None:
    """Deleting the tail and moving the head back passes the chain check but not the office's
    checkpoint: the journal no longer holds the records it counted."""
    path = tmp_path / "gate.db"
    taken = await journal_with_checkpoint(path)
    truncate_and_update_head(path, keep=12)
    assert True is chain(path).ok  # the attack the chain alone cannot see
    result = check(path, taken)
    assert False is result.ok
    assert str(result).startswith(
        f"audit journal TRUNCATED: checkpoint {taken.checkpoint_id} ({taken.created_at})"
        " counts 20 records, the journal holds 12 of them"
    )


async def test_rewrite_every_later_hash_attack_is_caught_by_the_checkpoint(
    tmp_path: Path,
) -> None:
    """Altering a record and re-chaining everything after it passes the chain check but not
    the checkpoint: the record it names no longer carries the signed head hash."""
    path = tmp_path / "gate.db"
    taken = await journal_with_checkpoint(path)
    rewrite_every_later_hash(path, 5, '{"n":999}')
    assert True is chain(path).ok  # the attack the chain alone cannot see
    result = check(path, taken)
    assert False is result.ok
    assert str(result).startswith("audit journal RE-CHAINED: record 20's hash is not the head")


async def test_forged_or_foreign_checkpoint_is_refused(tmp_path: Path) -> None:
    """A checkpoint edited to fit a shortened journal fails its signature; one signed by
    another key fails it too; another gate's checkpoint is named as such."""
    path = tmp_path / "gate.db"
    taken = await journal_with_checkpoint(path)
    truncate_and_update_head(path, keep=12)
    conn = sqlite3.connect(path)
    (digest,) = conn.execute("SELECT hash FROM audit WHERE seq = 12").fetchone()
    conn.close()
    forged = checkpoints.parse_document({**taken.document(), "records": 12, "head_hash": digest})
    assert "the signature does not verify" in str(check(path, forged))
    other = checkpoints.sign(parse_secret("whsec_" + "A" * 40), taken.fields())
    assert False is check(path, other).ok
    foreign = checkpoints.sign(SECRET, {**taken.fields(), "gate_id": "dock-b"})
    assert "is gate 'dock-b''s, this config is gate 'dock-a'" in str(check(path, foreign))


# --- the command ---------------------------------------------------------------------------


def gate(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    return subprocess.run(
        [sys.executable, "-m", "gate", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("attack", ["none", "truncate", "rechain"])
async def test_audit_verify_with_checkpoint_command(
    demo_config: Path, tmp_path: Path, attack: str
) -> None:
    """`gate audit verify --checkpoint FILE` exits 0 on an intact journal and 1 with one line
    naming the attack on a truncated or re-chained one."""
    path = load_config(demo_config).database
    taken = await journal_with_checkpoint(path)
    kept = tmp_path / "checkpoint.json"
    kept.write_text(json.dumps(taken.document(), indent=2))
    if attack == "truncate":
        truncate_and_update_head(path, keep=3)
    elif attack == "rechain":
        rewrite_every_later_hash(path, 1, '{"n":-1}')
    plain = gate("audit", "verify", "--config", str(demo_config))
    done = gate("audit", "verify", "--config", str(demo_config), "--checkpoint", str(kept))
    assert 0 == plain.returncode  # the chain alone sees nothing wrong
    lines = done.stdout.splitlines()
    assert (2 if attack == "none" else 1) == len(lines), done.stdout + done.stderr  # + the head
    expected = {"none": (0, "audit journal OK"), "truncate": (1, "audit journal TRUNCATED")}
    expected["rechain"] = (1, "audit journal RE-CHAINED")
    assert expected[attack] == (done.returncode, lines[0][: len(expected[attack][1])])


def test_audit_verify_refuses_a_checkpoint_file_that_is_not_one(
    demo_config: Path, tmp_path: Path
) -> None:
    """A checkpoint file without the fields of a checkpoint stops the command with one line."""
    kept = tmp_path / "checkpoint.json"
    kept.write_text('{"records": 3}')
    done = gate("audit", "verify", "--config", str(demo_config), "--checkpoint", str(kept))
    assert 1 == done.returncode
    assert [f"gate audit: checkpoint {kept}: the checkpoint has no str field 'checkpoint_id'"] == (
        done.stderr.splitlines()
    )


# --- the gate checks its own chain at start ------------------------------------------------


async def test_store_does_not_open_on_a_broken_journal(tmp_path: Path) -> None:
    """An altered record stops the store from opening (fail closed), naming the record."""
    path = tmp_path / "gate.db"
    async with await Store.open(path) as store:
        await append(store, 5)
    tamper(path, "UPDATE audit SET data = '{\"n\":7}' WHERE seq = 3")
    with pytest.raises(JournalBroken) as caught:
        await Store.open(path)
    assert "audit journal BROKEN at record 3" in str(caught.value)


async def test_naive_truncation_is_refused_at_start_by_the_recorded_checkpoint(
    tmp_path: Path,
) -> None:
    """A tail cut that leaves the database's own checkpoint record in place is caught at
    start and by a plain `audit verify` (the office's copy catches the thorough one)."""
    path = tmp_path / "gate.db"
    taken = await journal_with_checkpoint(path)
    truncate_and_update_head(path, keep=12, thorough=False)
    assert True is chain(path).ok
    with pytest.raises(JournalBroken) as caught:
        await Store.open(path)
    assert (
        f"audit journal TRUNCATED: checkpoint {taken.checkpoint_id} counted 20 records,"
        " record 20 is gone" in str(caught.value)
    )


async def test_serve_refuses_to_start_on_a_broken_journal(demo_config: Path) -> None:
    """`gate serve` on a database whose journal fails verification exits 1 with one line."""
    path = load_config(demo_config).database
    async with await Store.open(path) as store:
        await append(store, 5)
    tamper(path, "DELETE FROM audit WHERE seq = 2")
    done = gate("serve", "--config", str(demo_config))
    last = done.stderr.strip().splitlines()[-1]
    assert 1 == done.returncode, done.stderr
    assert "Traceback" not in done.stderr
    assert last.startswith(f"gate serve: database {path}: audit journal BROKEN at record 2: gap")
    assert "the gate does not start on a journal that fails verification" in last


# --- delivery to the office ----------------------------------------------------------------


class Office:
    """A real HTTP server taking checkpoints; answers each with the next status given."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        self.port = free_port()
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        status = self.answers.pop(0) if self.answers else 202
        if 300 <= status < 400:
            raise web.HTTPFound("/elsewhere")
        return web.Response(status=status, body=b"\xff\xfe not utf-8")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/journal-checkpoints", self.handle)
        app.router.add_route("*", "/elsewhere", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()


@pytest.fixture
async def office() -> AsyncIterator[Office]:
    o = Office()
    await o.start()
    yield o
    assert o.runner is not None
    await o.runner.cleanup()


def pointed(demo_config: Path, office: Office) -> Config:
    text = demo_config.read_text().replace(
        "http://127.0.0.1:9090", f"http://127.0.0.1:{office.port}"
    )
    text = text.replace(
        "[central]\n", "[central]\nretry_initial_seconds = 0.05\nretry_max_seconds = 0.2\n", 1
    )
    demo_config.write_text(text)
    return load_config(demo_config)


async def test_sender_delivers_signed_checkpoints_that_verify_the_journal(
    demo_config: Path, tmp_path: Path, office: Office
) -> None:
    """The sender POSTs each checkpoint to /journal-checkpoints signed with the gate's secret;
    a redirect is not followed but retried; what the office kept verifies the journal."""
    config = pointed(demo_config, office)
    office.answers = [302]
    async with await Store.open(config.database) as store:
        await append(store, 4)
        events = Events()
        watch = JournalWatch(store, Committer(store, LiveState(), events))
        watch.settled.set()  # the store's start checked the whole journal
        sender = CheckpointSender(config, store, events, watch.committer, watch)
        task = asyncio.create_task(sender.run())
        try:
            deadline = time.monotonic() + 15
            while sender.delivered < 1:
                assert time.monotonic() < deadline, f"not delivered: {sender.last_error}"
                await asyncio.sleep(0.02)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    assert 2 == len(office.received)  # the redirect was retried, never followed
    headers, body = office.received[-1]
    msg_id, _ = Verifier(secret=SECRET).verify(headers, body, now=time.time())
    doc = {**json.loads(body), "signature": headers["webhook-signature"]}
    assert (msg_id, 4) == (doc["checkpoint_id"], doc["records"])
    kept = tmp_path / "kept.json"
    kept.write_text(json.dumps(doc))
    done = gate("audit", "verify", "--config", str(demo_config), "--checkpoint", str(kept))
    assert 0 == done.returncode, done.stdout + done.stderr


async def test_serving_gate_sends_checkpoints_the_office_can_verify_with(
    demo_config: Path, tmp_path: Path, office: Office, serve: Callable[..., Awaitable[Served]]
) -> None:
    """`gate serve` takes a checkpoint once its journal grew and delivers it, signed, to
    /journal-checkpoints; the copy the office kept verifies the journal after the gate stops."""
    from tests.service.test_process import create

    pointed(demo_config, office)
    text = demo_config.read_text().replace(
        "journal_checkpoint_seconds = 900", "journal_checkpoint_seconds = 1", 1
    )
    demo_config.write_text(text)
    served = await serve(demo_config)
    await asyncio.to_thread(create, served.url, "S1", "D1", "DE")
    await until(lambda: bool(office.received), f"a checkpoint delivered ({served.log})", 30)
    assert 0 == await served.stop()
    headers, body = office.received[0]
    Verifier(secret=SECRET).verify(headers, body, now=time.time())
    kept = tmp_path / "kept.json"
    kept.write_text(json.dumps({**json.loads(body), "signature": headers["webhook-signature"]}))
    done = gate("audit", "verify", "--config", str(demo_config), "--checkpoint", str(kept))
    assert 0 == done.returncode, done.stdout + done.stderr
