"""Restart against DESIGN.md section 5: ready in under 3 s with 10^6 stored scans and 1,000
live shipments, with no full replay of scans at start.

The database is made directly through the storage functions (not over HTTP: a million scans
over the API would take minutes), from a seed that went through the real path: a few scans of
catalogue goods decided by the real docks give the template scan rows (their stored outcome),
journal records and a shipment document. From those, ``SHIPMENTS`` live shipments (one per
door: the config gets that many doors) and ``SCANS`` scans, each with its ``scan`` journal
record in one hash chain, are written in bulk.

Then it times what a start does, piece by piece, in this process: opening the store (the
journal check), the docks' ``load`` (shipment documents, licences, the scan ids memory takes,
re-evaluating every live shipment), and the lookup a first batch of 100 pays when the memory
holds none of its ids; the background full check of the journal, which runs after the start;
and a real ``python -m gate serve`` from its launch to ``/healthz`` (the start finished) and to
``/readyz`` = 200 (the screening lists loaded too, which the lists' own row times).

``GATE_BENCH_QUICK=1``: 10^5 scans and 100 shipments. ``GATE_BENCH_RESTART_KEEP=DIR`` keeps
the generated folder there (and reuses it when it is already there).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gate.cli.simulate import GS
from gate.config.settings import Config, load_config
from gate.service import journal_watch
from gate.service.docks import Docks
from gate.service.events import Events
from gate.service.policy_files import load_policy
from gate.service.scan_ids import RECENT_SCANS
from gate.service.scan_path import ScanPath
from gate.service.screening import ScreeningState
from gate.storage import journal, journal_checks, scan_rows, schema, shipment_rows
from gate.storage.shipment_codec import ShipmentEncoder, decode
from gate.storage.store import Store
from gate.table.native import TableSlot
from gate.web.app import load_table
from tests.service.harness import free_port

Emit = Callable[[str, str, str], None]

ROOT = Path(__file__).resolve().parents[2]
TARGET = 3.0
CHUNK = 20_000
#: The scanner client the generated scans belong to (it may scan at every door).
CLIENT = "scanner-bench"


def prepare(folder: Path, doors: int) -> Path:
    """configs/ copied into ``folder`` with free ports, ``doors`` doors and a scanner client
    for every door."""
    target = folder / "configs"
    shutil.copytree(ROOT / "configs", target)
    path = target / "gate.toml"
    text = path.read_text()
    text = re.sub(r'(\[http\]\s*listen = )"[^"]*"', rf'\1"127.0.0.1:{free_port()}"', text)
    text = re.sub(r'(\[scanner\]\s*listen = )"[^"]*"', rf'\1"127.0.0.1:{free_port()}"', text)
    extra = [f'\n[[doors]]\nid = "D{n}"\nname = "Door {n}"\n' for n in range(4, doors + 1)]
    extra.append(
        f'\n[[clients]]\nname = "{CLIENT}"\nrole = "scanner"\n'
        'token = "bench-scanner-token-0123456789abcdef"\n'
    )
    path.write_text(text + "".join(extra))
    return path


def _codes(config_path: Path) -> list[str]:
    rows = (config_path.parent / "catalogue.csv").read_text().splitlines()[1:]
    gtins = [line.split(",", 1)[0] for line in rows]
    return [f"]C101{gtin}21S{n:05d}{GS}10L1" for n, gtin in enumerate(gtins[:12] * 3)]


async def _seed(config_path: Path) -> tuple[str, list[scan_rows.ScanRow], list[dict[str, Any]]]:
    """Runs a few scans through the real docks on a scratch database: the template shipment
    document, scan rows and ``scan`` journal data."""
    config = load_config(config_path)
    table = TableSlot(await asyncio.to_thread(load_table, config))
    scratch = config_path.parent / "seed.db"
    async with await Store.open(scratch) as store:
        docks = Docks(config, store, table, load_policy(config), Events())
        await docks.load()
        body = {
            "id": "SEED",
            "door": "D1",
            "destination": "DE",
            "consignee": {"name": "Hansa Lagertechnik GmbH", "country": "DE"},
        }
        await docks.create(body, "wms")
        raws = [
            {"scan_id": f"seed-{n}", "reader": "r1", "door": "D1", "code": code}
            for n, code in enumerate(_codes(config_path))
        ]
        await docks.scans(raws, CLIENT)

        def read(conn: Any) -> tuple[str, list[scan_rows.ScanRow], list[dict[str, Any]]]:
            (doc,) = conn.execute("SELECT doc FROM shipments WHERE id = 'SEED'").fetchone()
            rows = scan_rows.recent(conn, 1000)
            audits = [
                json.loads(d) for (d,) in conn.execute("SELECT data FROM audit WHERE kind='scan'")
            ]
            return doc, rows, audits

        result = await store.read(read)
    scratch.unlink()
    return result


def generate(config_path: Path, scans: int, shipments: int) -> Path:
    """Makes the configured database with ``shipments`` live shipments and ``scans`` scans
    (each with its journal record); returns its path."""
    doc, rows, audits = asyncio.run(_seed(config_path))
    database = load_config(config_path).database
    conn = schema.connect_writer(database)
    try:
        encoder = ShipmentEncoder()
        template = decode(json.loads(doc))
        conn.execute("BEGIN IMMEDIATE")
        for n in range(1, shipments + 1):
            shipment = dataclasses.replace(template, id=f"LIVE-{n:05d}", door=f"D{n}")
            shipment_rows.save(conn, shipment, encoder.text(shipment))
        conn.execute("COMMIT")
        start = datetime.now(UTC) - timedelta(days=1)
        for first in range(0, scans, CHUNK):
            batch = []
            records = []
            for n in range(first, min(scans, first + CHUNK)):
                row = rows[n % len(rows)]
                sid = f"b{n:08d}"
                batch.append(dataclasses.replace(row, client=CLIENT, reader="r1", scan_id=sid))
                data = {**audits[n % len(audits)], "scan_id": sid}
                records.append(("scan", CLIENT, f"LIVE-{n % shipments + 1:05d}", data))
            conn.execute("BEGIN IMMEDIATE")
            scan_rows.insert_many(conn, batch)
            journal.append_many(conn, records, ts=start + timedelta(seconds=first // 100))
            conn.execute("COMMIT")
    finally:
        conn.close()
    return database


# --- timing a start in this process --------------------------------------------------------


def set_mark(database: Path, behind: int) -> int:
    """Puts the journal's verified mark ``behind`` records before its head (a start after a
    kill -9 reads those); returns the head's seq."""
    conn = sqlite3.connect(database, isolation_level=None)
    try:
        (head,) = conn.execute("SELECT max(seq) FROM audit").fetchone()
        seq = max(1, head - behind)
        (digest,) = conn.execute("SELECT hash FROM audit WHERE seq = ?", (seq,)).fetchone()
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (journal_checks.MARK_KEY, f"{seq} {digest}"),
        )
        return int(head)
    finally:
        conn.close()


async def _docks(config: Config, store: Store, table: TableSlot) -> Docks:
    """The docks as ``gate serve`` wires them: screening opened (its lists load later)."""
    events = Events()
    docks = Docks(config, store, table, load_policy(config), events)
    screening = ScreeningState(config.lists, store, events, lambda: docks.clock())
    await screening.open()
    docks.screening = screening
    screening.on_change = docks.reevaluate_all
    screening.commit = docks.committer.begin
    return docks


async def _previous_run(config_path: Path) -> None:
    """A gate that ran with its lists loaded: every live shipment decided with them, as a
    restart finds it (the start then re-decides them all, held until the lists load)."""
    config = load_config(config_path)
    table = TableSlot(await asyncio.to_thread(load_table, config))
    async with await Store.open(config.database, verify_journal=False) as store:
        docks = await _docks(config, store, table)
        await docks.load()
        assert docks.screening is not None
        await docks.screening.first_load()


async def _start(config_path: Path, behind: int, emit: Emit) -> None:
    """Times a start's pieces in this process."""
    config = load_config(config_path)
    table = TableSlot(await asyncio.to_thread(load_table, config))
    set_mark(config.database, behind)
    cpu = time.process_time()
    began = time.perf_counter()
    store = await Store.open(config.database)
    opened = time.perf_counter()
    emit(
        f"open the store: journal check of the {behind:,} records after the mark",
        f"{opened - began:.2f} s",
        "",
    )
    try:
        docks = await _docks(config, store, table)
        await docks.load()
        loaded = time.perf_counter()
        emit(
            "docks load (shipments, licences, scan ids, every shipment re-decided)",
            _s(loaded - opened),
            "",
        )
        used = time.process_time() - cpu
        emit(
            "store open to loaded, in this process: wall (CPU)",
            f"{_s(loaded - began)} ({_s(used)})",
            f"< {TARGET:g} s",
        )
        await _parts(store, docks, emit)
        await _recall(store, emit)
    finally:
        await store.close()


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s"


async def _parts(store: Store, docks: Docks, emit: Emit) -> None:
    """What ``load`` spends its time on, each part again on its own, and what the start
    used to spend on scan ids."""
    since = docks.clock() - timedelta(days=2)
    t0 = time.perf_counter()
    docs = await store.read(lambda conn: shipment_rows.live_docs(conn, since))
    t1 = time.perf_counter()
    [decode(json.loads(d)) for d in docs]
    t2 = time.perf_counter()
    emit(f"  read / decode {len(docs):,} shipment documents", f"{t1 - t0:.2f} / {_s(t2 - t1)}", "")
    t0 = time.perf_counter()
    await docks.reevaluate_all("bench")
    emit(
        "  re-decide every live shipment again (nothing changed)", _s(time.perf_counter() - t0), ""
    )
    for count in (docks.scan_path.ids.at_start, RECENT_SCANS):
        t0 = time.perf_counter()
        rows = await store.read(lambda conn, n=count: scan_rows.recent(conn, n))  # type: ignore[misc]
        t1 = time.perf_counter()
        ScanPath.loaded(docks.scan_path, rows)
        t2 = time.perf_counter()
        what = "now" if count == docks.scan_path.ids.at_start else "before: the start replayed"
        emit(
            f"  scan ids into memory ({what}): read / keep {len(rows):,}",
            f"{t1 - t0:.2f} / {_s(t2 - t1)}",
            "",
        )


async def _recall(store: Store, emit: Emit) -> None:
    """The lookup a batch of 100 pays when memory holds none of its ids."""
    stored = [(CLIENT, "r1", f"b{n:08d}") for n in range(0, 100 * 997, 997)]
    new = [(CLIENT, "r1", f"new-{n}") for n in range(100)]
    for name, idents in (("100 stored ids (retries)", stored), ("100 new ids", new)):
        rounds = 50
        t0 = time.perf_counter()
        for _ in range(rounds):
            await store.read(lambda conn, i=idents: scan_rows.first_uses(conn, i))  # type: ignore[misc]
        per = (time.perf_counter() - t0) / rounds
        emit(f"  a batch's ids looked up in the database: {name}", f"{per * 1e3:.2f} ms", "")


def _background_check(database: Path, emit: Emit) -> None:
    t0 = time.perf_counter()
    checked = journal_checks.check_file(database, full=True)
    emit(
        "full journal check (the start's, before; now after it, own process)",
        _s(time.perf_counter() - t0),
        "ok" if checked.ok else str(checked.problem),
    )


# --- a real `gate serve` ------------------------------------------------------------------


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code
    except OSError:
        return 0


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _serve(config_path: Path, emit: Emit) -> None:
    config = load_config(config_path)
    base = f"http://{config.http.host}:{config.http.port}"
    log = config_path.parent / "serve.log"
    with open(log, "wb") as out:
        began = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "gate", "serve", "--config", str(config_path)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        healthy = ready = None
        healthy_cpu = float("nan")
        deadline = began + 120
        while time.perf_counter() < deadline and ready is None:
            if proc.poll() is not None:
                emit("gate serve", "exited", log.read_text()[-300:])
                return
            if healthy is None and _status(base + "/healthz") == 200:
                healthy = time.perf_counter() - began
                healthy_cpu = _cpu(proc.pid)
            if healthy is not None and _status(base + "/readyz") == 200:
                ready = time.perf_counter() - began
            time.sleep(0.02)
        emit(
            "gate serve: launch to /healthz (the start done): wall (CPU)",
            "timeout" if healthy is None else f"{healthy:.2f} s ({healthy_cpu:.2f} s)",
            f"< {TARGET:g} s",
        )
        emit(
            "gate serve: launch to /readyz = 200 (lists loaded too)",
            "timeout" if ready is None else f"{ready:.2f} s",
            "",
        )
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(emit: Emit) -> None:
    quick = bool(os.environ.get("GATE_BENCH_QUICK"))
    scans, shipments = (100_000, 100) if quick else (1_000_000, 1_000)
    keep = os.environ.get("GATE_BENCH_RESTART_KEEP")
    with tempfile.TemporaryDirectory(prefix="gate-bench-restart-") as tmp:
        folder = Path(keep) if keep else Path(tmp)
        config_path = folder / "configs" / "gate.toml"
        if not config_path.exists():
            config_path = prepare(folder, shipments)
            t0 = time.perf_counter()
            database = generate(config_path, scans, shipments)
            emit(
                f"generate {scans:,} scans + journal, {shipments:,} shipments",
                f"{time.perf_counter() - t0:.1f} s",
                "(setup, not measured)",
            )
        database = load_config(config_path).database
        size = database.stat().st_size / 1e6
        emit("database size", f"{size:,.0f} MB", "")
        # A kill -9 at full ingest (10,000 scans/s, a journal record each) just before the
        # mark's next move: ADVANCE_SECONDS of records, and one more for the check itself.
        behind = int((journal_watch.ADVANCE_SECONDS + 1) * 10_000) // (10 if quick else 1)
        emit(f"journal records after the verified mark: {behind:,}", "", "(kill -9 at peak)")
        asyncio.run(_previous_run(config_path))
        asyncio.run(_start(config_path, behind, emit))
        _background_check(database, emit)
        asyncio.run(_previous_run(config_path))
        set_mark(database, behind)
        _serve(config_path, emit)
