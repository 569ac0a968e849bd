"""The load generator of ``bench_service``: runs in its own process, beside the gate's.

``python -m tests.bench.loadgen --config PATH MODE [--seconds S] [--warmup S] ...`` drives a
running gate over its real interfaces and prints one JSON object (the measurement) on
standard output. Modes:

``batches``  ``POST /api/v1/scans`` with ``{"scans": [100 scans]}`` from several connections.
``single``   one scan per ``POST /api/v1/scans`` from several connections.
``socket``   the msgpack scanner socket, one connection per door, pipelined (a window of scans
             in flight per connection).
``latency``  single-scan requests paced at ``--rate`` scans/s in total (open loop: a scan is
             sent at its scheduled time whether or not earlier answers are back), latency
             measured from the scheduled time to the answer; each scan takes a free one of
             ``--connections`` kept-alive connections (or waits for one, counted), of the
             lean client (``--client raw``, ``tests.bench.raw_http``) or aiohttp's.
``socket-latency``  the same pacing over the scanner socket. ``--timeline FILE`` writes each
             scan's due time (seconds into the window) and latency, to see when the slow
             ones came.
``watch``    only ``--streams`` event streams and the page (``--page``), read until the window
             ends: the watchers of the loaded latency row, in a process of their own so that
             their reading does not delay the measuring client's answers (in a dock they are
             other machines).

Scans are what a dock sends: GS1-128 element strings and SGTIN-96 tags of catalogue goods
(mostly unlisted, about one in ten controlled), every one a new unit (a fresh serial), so
each door's shipment grows line quantities the way a real loading does; distinct scan ids
throughout. A door's shipment holds ``--skus`` distinct items (30 by default: a truck load of
a few product lines; 0 = the whole catalogue, for shipments of several hundred lines). Load
is spread over the doors whose shipments the caller opened.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import itertools
import json
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import msgpack

from gate.cli.simulate import GS, sgtin96_hex
from gate.config.settings import Config, load_config
from tests.bench.raw_http import RawConnection, closed_loop

BATCH = 100


class Scans:
    """An endless supply of distinct, realistic scans for one door."""

    CONTROLLED_SHARE = 0.1

    def __init__(
        self, door: str, reader: str, ordinary: list[str], controlled: list[str], seed: int
    ) -> None:
        self.door = door
        self.reader = reader
        self.rng = random.Random(seed)
        self.ordinary = ordinary
        self.controlled = controlled
        self.serial = 10**8 + seed * 10**7
        self.n = 0

    def next(self) -> dict[str, str]:
        rng = self.rng
        controlled = not self.ordinary or rng.random() < self.CONTROLLED_SHARE
        pool = self.controlled if controlled else self.ordinary
        gtin = rng.choice(pool)
        self.serial += 1
        self.n += 1
        if self.n % 2:
            code = f"]C101{gtin}21{self.serial}{GS}10L2406"
            scan = {"scan_id": f"{self.reader}-{self.n}", "reader": self.reader, "code": code}
        else:
            code = sgtin96_hex(gtin, self.serial)
            scan = {"scan_id": f"{self.reader}-{self.n}", "reader": self.reader, "code": code}
            scan["kind"] = "epc"
        scan["door"] = self.door
        return scan

    def batch(self, n: int) -> list[dict[str, str]]:
        return [self.next() for _ in range(n)]


def catalogue(config: Config) -> tuple[list[str], list[str]]:
    """GTINs of unlisted goods and of controlled, non-prohibited goods."""
    production = set()
    with open(config.table.control_list, newline="") as f:
        for row in csv.DictReader(f):
            if "production" in (row["flags"] or ""):
                production.add(row["code"])
    ordinary, controlled = [], []
    for path in config.table.catalogues:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                if not row["control"]:
                    ordinary.append(row["gtin"])
                elif row["control"] not in production:
                    controlled.append(row["gtin"])
    return ordinary, controlled


@dataclass
class Tally:
    """Answers counted inside the measuring window [start, end]."""

    start: float
    end: float
    scans: int = 0
    requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    #: (seconds into the window the scan was due, its latency), for ``--timeline``.
    timeline: list[tuple[float, float]] = field(default_factory=list)
    per_second: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def latency(self, due: float, done: float) -> None:
        """One paced scan's latency, if it was due inside the window."""
        if self.start <= due <= self.end:
            self.latencies.append(done - due)
            self.timeline.append((due - self.start, done - due))

    def count(self, at: float, results: list[dict[str, Any]]) -> None:
        if self.start <= at <= self.end:
            self.scans += len(results)
            self.requests += 1
            self.per_second[int(at - self.start)] += len(results)
            self.statuses.update(str(r.get("status")) for r in results)


class Bench:
    def __init__(self, config: Config, args: argparse.Namespace) -> None:
        self.args = args
        self.url = f"http://{config.http.host}:{config.http.port}/api/v1/scans"
        self.scanner = (config.scanner.host, config.scanner.port)
        self.tokens = [c.token for c in config.clients if c.role == "scanner"]
        #: The token of a scanner client bound to each door (or of one bound to none).
        self.door_tokens = {
            door: c.token
            for c in config.clients
            if c.role == "scanner"
            for door in (c.doors or [d.id for d in config.doors])
        }
        self.wms = next(c.token for c in config.clients if c.role == "wms")
        self.operator = config.operators[0] if config.operators else None
        self.base = f"http://{config.http.host}:{config.http.port}"
        self.doors = args.doors.split(",")
        self.ordinary, self.controlled = catalogue(config)
        self.sources = 0
        self._window: tuple[float, float] | None = None

    def scans(self, door: str) -> Scans:
        """A scan source for one reader at ``door``. Every reader at a door loads the same
        goods: ``--skus`` catalogue items per door (about one in ten controlled), or the whole
        catalogue with ``--skus 0``."""
        self.sources += 1
        reader = f"{self.args.tag}-{door.lower()}-{self.sources}"
        ordinary, controlled = self.ordinary, self.controlled
        if self.args.skus:
            pick = random.Random(f"{self.args.tag}-{door}")
            n_controlled = max(1, self.args.skus // 10)
            ordinary = pick.sample(ordinary, min(len(ordinary), self.args.skus - n_controlled))
            controlled = pick.sample(controlled, min(len(controlled), n_controlled))
        return Scans(door, reader, ordinary, controlled, self.sources)

    def token(self, i: int) -> str:
        return self.tokens[i % len(self.tokens)]

    def window(self) -> Tally:
        """A tally over the measuring window, the same window every time it is asked."""
        if self._window is None:
            start = time.monotonic() + self.args.warmup
            self._window = (start, start + self.args.seconds)
        return Tally(*self._window)

    # --- HTTP ---------------------------------------------------------------------------

    async def http(self, size: int) -> Tally:
        tally = self.window()
        connections = self.args.connections
        if self.args.client == "raw":

            def answered(status: int, answer: Any) -> None:
                if status != 200:
                    tally.errors[f"HTTP {status}"] += 1
                else:
                    tally.count(time.monotonic(), answer["results"])

            def raw(i: int) -> Any:
                scans = self.scans(self.doors[i % len(self.doors)])
                body = scans.next if size == 1 else lambda: {"scans": scans.batch(size)}
                return closed_loop(self.url, self.token(i), body, tally.end, answered)

            await asyncio.gather(*(raw(i) for i in range(connections)))
            return tally
        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def worker(i: int) -> None:
                scans = self.scans(self.doors[i % len(self.doors)])
                headers = {
                    "Authorization": f"Bearer {self.token(i)}",
                    "Content-Type": "application/json",
                }
                while time.monotonic() < tally.end:
                    body = scans.next() if size == 1 else {"scans": scans.batch(size)}
                    data = json.dumps(body).encode()
                    async with session.post(self.url, data=data, headers=headers) as response:
                        payload = await response.read()
                    if response.status != 200:
                        tally.errors[f"HTTP {response.status}"] += 1
                        continue
                    tally.count(time.monotonic(), json.loads(payload)["results"])

            await asyncio.gather(*(worker(i) for i in range(connections)))
        return tally

    async def grow(self) -> dict[str, Any]:
        """One line growing: batches of one serialised item into the first door's shipment
        until ``--units`` are accepted; the rate of each tenth of them, and the CPU used."""
        units = self.args.units
        block = max(1, units // 10)
        scans = self.scans(self.doors[0])
        started = time.monotonic()
        paced = self.args.paced
        sent = [0]
        marks: list[float] = []
        accepted = 0
        cpu0 = server_cpu(self.args.server_pid) if self.args.server_pid else (0.0, 0.0, {})
        own0 = own_cpu()
        connector = aiohttp.TCPConnector(limit=self.args.connections)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def worker(i: int) -> None:
                nonlocal accepted
                headers = {
                    "Authorization": f"Bearer {self.door_tokens[scans.door]}",
                    "Content-Type": "application/json",
                }
                while accepted < units:
                    if paced:
                        # --rate paces the truck: batches of 100 at rate/100 a second in all.
                        due = started + sent[0] * BATCH / self.args.rate
                        sent[0] += 1
                        await asyncio.sleep(max(0.0, due - time.monotonic()))
                    data = json.dumps({"scans": scans.batch(BATCH)}).encode()
                    async with session.post(self.url, data=data, headers=headers) as response:
                        payload = await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"HTTP {response.status}: {payload[:300]!r}")
                    results = json.loads(payload)["results"]
                    accepted += sum(r.get("status") == "accepted" for r in results)
                    while len(marks) < min(10, accepted // block):
                        marks.append(time.monotonic())

            await asyncio.gather(*(worker(i) for i in range(self.args.connections)))
        elapsed = time.monotonic() - started
        cpu1 = server_cpu(self.args.server_pid) if self.args.server_pid else (0.0, 0.0, {})
        edges = [started, *marks]
        return {
            "mode": "grow",
            "units": accepted,
            "block": block,
            "blocks_per_s": [block / (b - a) for a, b in itertools.pairwise(edges)],
            "cores": {
                "gate_loop": (cpu1[0] - cpu0[0]) / elapsed,
                "gate_other": (cpu1[1] - cpu0[1]) / elapsed,
                "gate_writer": children_cpu(cpu0[2], cpu1[2]) / elapsed,
                "loadgen": (own_cpu() - own0) / elapsed,
            },
        }

    async def http_paced(self) -> Tally:
        tally = self.window()
        sources = [self.scans(door) for door in self.doors]
        if self.args.client == "raw":
            await self._raw_paced(tally, sources)
            return tally
        connector = aiohttp.TCPConnector(limit=self.args.connections)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(i: int, due: float) -> None:
                source = sources[i % len(sources)]
                headers = {"Authorization": f"Bearer {self.door_tokens[source.door]}"}
                scan = source.next()
                async with session.post(self.url, json=scan, headers=headers) as response:
                    payload = await response.read()
                done = time.monotonic()
                if response.status != 200:
                    tally.errors[f"HTTP {response.status}"] += 1
                    return
                tally.count(done, json.loads(payload)["results"])
                tally.latency(due, done)

            await self._paced(tally, session, one)
        return tally

    async def _raw_paced(self, tally: Tally, sources: list[Scans]) -> None:
        """``http_paced`` from the lean client: ``--connections`` kept-alive connections, a
        due scan taking the first free one (or waiting for one, the wait counted in its
        latency, as aiohttp's connector pool makes it wait)."""
        free: asyncio.Queue[tuple[int, RawConnection]] = asyncio.Queue()
        for i in range(self.args.connections):
            door = sources[i % len(sources)].door
            free.put_nowait((i, RawConnection(self.url, self.door_tokens[door])))

        async def one(_: int, due: float) -> None:
            i, connection = await free.get()
            try:
                status, answer = await connection.post(sources[i % len(sources)].next())
            finally:
                free.put_nowait((i, connection))
            done = time.monotonic()
            if status != 200:
                tally.errors[f"HTTP {status}"] += 1
                return
            tally.count(done, answer["results"])
            tally.latency(due, done)

        try:
            async with aiohttp.ClientSession() as session:  # the watchers'
                await self._paced(tally, session, one)
        finally:
            while not free.empty():
                free.get_nowait()[1].close()

    async def _paced(
        self,
        tally: Tally,
        session: aiohttp.ClientSession,
        one: Callable[[int, float], Awaitable[None]],
    ) -> None:
        """``one(i, due)`` for each scan due at ``--rate`` a second until the window ends, with
        ``--streams`` event streams (and the page, ``--page``) read from ``session`` meanwhile."""
        watchers = [
            asyncio.create_task(self._stream(session, tally.end)) for _ in range(self.args.streams)
        ]
        if self.args.page:
            watchers.append(asyncio.create_task(self._page(session, tally.end)))
        tasks = []
        for i, due in enumerate(_schedule(time.monotonic(), self.args.rate, tally.end)):
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
        for watcher in watchers:
            watcher.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)

    async def watch(self) -> dict[str, Any]:
        """Event streams and the page, held open over the window; what the streams read."""
        tally = self.window()
        read = [0]
        async with aiohttp.ClientSession() as session:
            watchers = [self._stream(session, tally.end, read) for _ in range(self.args.streams)]
            if self.args.page:
                watchers.append(self._page(session, tally.end))
            await asyncio.gather(*watchers)
        return {"mode": "watch", "stream_bytes": read[0]}

    async def _stream(
        self, session: aiohttp.ClientSession, end: float, read: list[int] | None = None
    ) -> None:
        """One client holding ``GET /api/v1/events`` open and reading it to ``end``."""
        headers = {"Authorization": f"Bearer {self.wms}"}
        async with session.get(self.base + "/api/v1/events", headers=headers) as response:
            while time.monotonic() < end and (chunk := await response.content.readany()):
                if read is not None:
                    read[0] += len(chunk)

    async def _page(self, session: aiohttp.ClientSession, end: float) -> None:
        """The status page open: its fragments fetched every second, as its script does on
        events (an operator's HTTP Basic login)."""
        if self.operator is None:
            return
        auth = aiohttp.BasicAuth(self.operator.name, self.operator.password)
        while time.monotonic() < end:
            for path in ("/page/doors", "/page/side"):
                async with session.get(self.base + path, auth=auth) as response:
                    await response.read()
            await asyncio.sleep(1.0)

    # --- the scanner socket -------------------------------------------------------------

    async def _connect(self, i: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, Any]:
        reader, writer = await asyncio.open_connection(*self.scanner)
        writer.write(msgpack.packb({"auth": self.token(i)}))
        unpacker = msgpack.Unpacker(raw=False)
        while True:
            unpacker.feed(await reader.read(65536))
            answers = list(unpacker)
            if answers:
                if not answers[0].get("ok"):
                    raise RuntimeError(f"scanner socket refused the token: {answers[0]}")
                return reader, writer, unpacker

    async def socket(self) -> Tally:
        tally = self.window()
        window = self.args.window

        async def connection(i: int) -> None:
            reader, writer, unpacker = await self._connect(i)
            scans = self.scans(self.doors[i % len(self.doors)])
            line = _Line()
            room = asyncio.Event()
            room.set()

            def answered(now: float, answers: list[Any]) -> None:
                tally.count(now, answers)
                if line.sent - line.answered < window // 2:
                    room.set()

            receiver = asyncio.create_task(_receive(reader, unpacker, line, answered))
            while time.monotonic() < tally.end:
                await room.wait()
                chunk = scans.batch(BATCH)
                writer.write(b"".join(msgpack.packb(s) for s in chunk))
                line.sent += len(chunk)
                if line.sent - line.answered >= window:
                    room.clear()
                await writer.drain()
            await _settle(line, receiver)
            writer.close()

        await asyncio.gather(*(connection(i) for i in range(len(self.doors))))
        return tally

    async def socket_paced(self) -> Tally:
        tally = self.window()
        per_door = self.args.rate / len(self.doors)

        async def connection(i: int) -> None:
            reader, writer, unpacker = await self._connect(i)
            scans = self.scans(self.doors[i])
            due_times: list[float] = []  # answers come back in order
            line = _Line()

            def answered(now: float, answers: list[Any]) -> None:
                tally.count(now, answers)
                for k in range(line.answered - len(answers), line.answered):
                    tally.latency(due_times[k], now)

            receiver = asyncio.create_task(_receive(reader, unpacker, line, answered))
            offset = i / self.args.rate  # doors interleave rather than send together
            for due in _schedule(time.monotonic() + offset, per_door, tally.end):
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                due_times.append(due)
                line.sent += 1
                writer.write(msgpack.packb(scans.next()))
            await _settle(line, receiver)
            writer.close()

        await asyncio.gather(*(connection(i) for i in range(len(self.doors))))
        return tally


@dataclass
class _Line:
    """Scans sent and answered on one scanner connection."""

    sent: int = 0
    answered: int = 0


async def _receive(
    reader: asyncio.StreamReader,
    unpacker: Any,
    line: _Line,
    answered: Callable[[float, list[Any]], None],
) -> None:
    while True:
        data = await reader.read(1 << 16)
        if not data:
            raise RuntimeError("the gate closed the scanner socket")
        unpacker.feed(data)
        answers = list(unpacker)
        line.answered += len(answers)
        answered(time.monotonic(), answers)


async def _settle(line: _Line, receiver: asyncio.Task[None], timeout: float = 60.0) -> None:
    """Waits until every scan sent is answered, then stops the receiver."""
    deadline = time.monotonic() + timeout
    while line.answered < line.sent and not receiver.done() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    if receiver.done():
        receiver.result()  # raises what stopped it
    receiver.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await receiver


def _schedule(start: float, rate: float, end: float) -> Iterator[float]:
    i = 0
    while (due := start + i / rate) <= end:
        yield due
        i += 1


def result(mode: str, tally: Tally) -> dict[str, Any]:
    seconds = tally.end - tally.start
    out: dict[str, Any] = {
        "mode": mode,
        "seconds": seconds,
        "scans": tally.scans,
        "requests": tally.requests,
        "scans_per_s": tally.scans / seconds,
        "requests_per_s": tally.requests / seconds,
        "statuses": dict(tally.statuses),
        "errors": dict(tally.errors),
        "per_second": [tally.per_second.get(i, 0) for i in range(int(seconds))],
    }
    if tally.latencies:
        ordered = sorted(tally.latencies)
        out["latency_ms"] = {
            "n": len(ordered),
            "p50": statistics.median(ordered) * 1e3,
            "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3,
            "max": ordered[-1] * 1e3,
        }
    return out


def server_cpu(pid: int) -> tuple[float, float, dict[int, float]]:
    """CPU seconds of a process's main (event-loop) thread, of its other threads, and of each
    of its child processes that runs now (the writer process, ``GATE_WRITER=process``)."""
    main = other = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        seconds = _stat_cpu(task / "stat")
        if int(task.name) == pid:
            main += seconds
        else:
            other += seconds
    children = {
        int(entry.name): _stat_cpu(entry / "stat")
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _stat_field(entry / "stat", 1) == pid
    }
    return main, other, children


def children_cpu(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the child processes running at the end used since ``before`` (all of it
    for one started in between; one that ended is not counted)."""
    return sum(seconds - before.get(child, 0.0) for child, seconds in after.items())


def _stat_field(path: Path, index: int) -> int:
    """Field ``index`` after the command of a /proc stat file (0: the state), -1 if gone."""
    try:
        fields = path.read_text().rpartition(")")[2].split()
        return int(fields[index])
    except (OSError, ValueError, IndexError):
        return -1


def _stat_cpu(path: Path) -> float:
    """User and system CPU seconds of a /proc stat file (0 if it is gone)."""
    user, system = _stat_field(path, 11), _stat_field(path, 12)
    return max(0, user + system) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def cpu_probe(tally: Tally, pid: int | None, out: dict[str, float]) -> None:
    """CPU used inside the measuring window: the gate's threads and this process."""
    await asyncio.sleep(max(0.0, tally.start - time.monotonic()))
    main0, other0, writer0 = server_cpu(pid) if pid else (0.0, 0.0, {})
    own0 = own_cpu()
    await asyncio.sleep(max(0.0, tally.end - time.monotonic()))
    main1, other1, writer1 = server_cpu(pid) if pid else (0.0, 0.0, {})
    seconds = tally.end - tally.start
    out["gate_loop"] = (main1 - main0) / seconds
    out["gate_other"] = (other1 - other0) / seconds
    out["gate_writer"] = children_cpu(writer0, writer1) / seconds
    out["loadgen"] = (own_cpu() - own0) / seconds


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    bench = Bench(load_config(args.config), args)
    if args.mode == "grow":
        return await bench.grow()
    if args.mode == "watch":
        return await bench.watch()
    runs = {
        "batches": lambda: bench.http(BATCH),
        "single": lambda: bench.http(1),
        "socket": bench.socket,
        "latency": bench.http_paced,
        "socket-latency": bench.socket_paced,
    }
    cores: dict[str, float] = {}
    load = asyncio.ensure_future(runs[args.mode]())
    probe = asyncio.ensure_future(cpu_probe(bench.window(), args.server_pid, cores))
    tally = await load
    await probe
    if args.timeline is not None:
        rows = (f"{at:.4f} {latency * 1e3:.2f}\n" for at, latency in sorted(tally.timeline))
        args.timeline.write_text("seconds_into_window latency_ms\n" + "".join(rows))
    return {**result(args.mode, tally), "cores": cores}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.loadgen")
    parser.add_argument(
        "mode",
        choices=["batches", "single", "socket", "latency", "socket-latency", "grow", "watch"],
    )
    parser.add_argument("--units", type=int, default=100_000, help="grow: units to load")
    parser.add_argument("--streams", type=int, default=0, help="latency, watch: event streams open")
    parser.add_argument("--page", action="store_true", help="latency, watch: the status page open")
    parser.add_argument(
        "--paced", action="store_true", help="grow: at --rate scans/s, not as fast as taken"
    )
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--doors", default="D1,D2,D3")
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring window")
    parser.add_argument("--warmup", type=float, default=1.0, help="load before the window")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--client",
        choices=["raw", "aiohttp"],
        default="raw",
        help="batches, single, latency: the client",
    )
    parser.add_argument("--window", type=int, default=1000, help="socket: scans in flight")
    parser.add_argument("--rate", type=float, default=500.0, help="paced modes: scans/s")
    parser.add_argument(
        "--skus", type=int, default=30, help="distinct items per door's shipment (0: all)"
    )
    parser.add_argument("--tag", default="bench", help="reader name prefix (scan ids unique)")
    parser.add_argument("--server-pid", type=int, help="the gate's pid, to report its CPU")
    parser.add_argument(
        "--timeline",
        type=Path,
        help="paced modes: write each scan's due time and latency to this file",
    )
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
