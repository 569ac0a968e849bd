"""Talking to the gate as a dock's clients do: the WMS over the HTTP API, the readers over
``POST /api/v1/scans`` or the msgpack scanner socket, paced to a rate of reads."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import aiohttp
import msgpack

from gate.cli.simulate.errors import SimulationFailed
from gate.cli.simulate.reads import Read

API = "/api/v1"


def api_error(method: str, path: str, status: int, doc: Any) -> SimulationFailed:
    """The failure for an answer no dock client could work with, in one line."""
    if isinstance(doc, Mapping):
        detail = doc.get("detail") or doc.get("title") or ""
    else:
        detail = str(doc)[:200]
    text = " ".join(str(detail).split())
    return SimulationFailed(f"{method} {path} answered {status}: {text}")


class GateApi:
    """The gate's HTTP API as the WMS and the scanners use it."""

    RETRIES_WHEN_LIMITED = 5

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def call(
        self, method: str, path: str, token: str | None, body: Any = None
    ) -> tuple[int, Any]:
        """Sends one request; returns status and parsed body. A 429 is waited out and sent
        again. Raises SimulationFailed when the gate cannot be reached."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for _ in range(self.RETRIES_WHEN_LIMITED):
            try:
                async with self.session.request(
                    method, self.url + path, json=body, headers=headers
                ) as response:
                    if response.status == 429:
                        wait = float(response.headers.get("Retry-After", "1"))
                        await asyncio.sleep(min(wait, 5.0))
                        continue
                    if response.content_type.endswith("json"):
                        return response.status, await response.json(content_type=None)
                    return response.status, await response.text()
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise SimulationFailed(
                    f"cannot reach the gate at {self.url}: {_reason(exc)}"
                ) from exc
        raise SimulationFailed(f"{method} {path}: still rate-limited after retrying")

    async def expect(
        self, method: str, path: str, token: str | None, body: Any = None, ok: int = 200
    ) -> Any:
        """Like ``call``, raising SimulationFailed for any status but ``ok``."""
        status, doc = await self.call(method, path, token, body)
        if status != ok:
            raise api_error(method, path, status, doc)
        return doc


def _reason(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        exc = exc.os_error
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno).lower()
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "timed out"
    return " ".join(str(exc).split()) or type(exc).__name__


class Scanner(Protocol):
    """A door's readers, sending scans to the gate over some transport."""

    async def send(self, reads: Sequence[Read]) -> list[dict[str, Any]]:
        """The gate's results for ``reads``, one each, in order."""
        ...

    async def close(self) -> None: ...


class HttpScanner:
    """Scans over ``POST /api/v1/scans``: a single read alone, a portal burst as a batch."""

    def __init__(self, api: GateApi, token: str) -> None:
        self.api = api
        self.token = token

    async def send(self, reads: Sequence[Read]) -> list[dict[str, Any]]:
        body: Any = reads[0].body() if len(reads) == 1 else {"scans": [r.body() for r in reads]}
        doc = await self.api.expect("POST", f"{API}/scans", self.token, body)
        results: list[dict[str, Any]] = doc["results"]
        return results

    async def close(self) -> None:
        return None


class SocketScanner:
    """Scans over the msgpack scanner socket: one connection, answers in order."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.unpacker = msgpack.Unpacker(raw=False)

    @classmethod
    async def connect(cls, host: str, port: int, token: str) -> SocketScanner:
        """Opens and authenticates a connection. Raises SimulationFailed."""
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 10)
        except (OSError, TimeoutError) as exc:
            raise SimulationFailed(
                f"cannot reach the gate's scanner socket at {host}:{port}: {_reason(exc)}"
            ) from exc
        scanner = cls(reader, writer)
        writer.write(msgpack.packb({"auth": token}))
        (answer,) = await scanner._answers(1)
        if not isinstance(answer, dict) or not answer.get("ok"):
            await scanner.close()
            raise SimulationFailed(f"the scanner socket refused the token: {answer}")
        return scanner

    async def _answers(self, count: int) -> list[Any]:
        answers: list[Any] = []
        while len(answers) < count:
            answers.extend(self.unpacker)
            if len(answers) >= count:
                break
            try:
                data = await asyncio.wait_for(self.reader.read(65536), 30)
            except (OSError, TimeoutError) as exc:
                raise SimulationFailed(f"scanner socket failed: {_reason(exc)}") from exc
            if not data:
                raise SimulationFailed("the gate closed the scanner socket")
            self.unpacker.feed(data)
        return answers

    async def send(self, reads: Sequence[Read]) -> list[dict[str, Any]]:
        self.writer.write(b"".join(msgpack.packb(r.body()) for r in reads))
        answers = await self._answers(len(reads))
        for answer in answers:
            if answer.get("status") == "closed":
                raise SimulationFailed(f"the gate closed the scanner socket: {answer['error']}")
        return answers

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


class Pacer:
    """Spaces reads to ``rate`` per second; a burst of n reads takes n slots."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = time.monotonic()

    async def wait(self, reads: int) -> None:
        now = time.monotonic()
        if self.next > now:
            await asyncio.sleep(self.next - now)
        self.next = max(self.next, now) + reads * self.interval
