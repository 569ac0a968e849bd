"""A lean HTTP/1.1 client for the load generator's closed-loop rows (``batches``, ``single``).

The load generator shares the box's two cores with the gate it measures. aiohttp's client
spent about 200 µs of CPU a single-scan request (a quarter of a core at 1,200 requests/s),
CPU the gate's loop and writer then competed for. This client writes each request as bytes on
a kept-alive connection and reads the answer by its ``Content-Length``: about 60 µs a request,
the way ``wrk`` or ``h2load`` would load a server. It is still a real client on a real socket:
every answer's status is checked and its results are read and counted. ``--client aiohttp``
keeps the old client, to compare.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import orjson


class RawConnection:
    """One kept-alive connection posting JSON bodies to one path, with a bearer token."""

    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.head = (
            f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            "Content-Length: "
        ).encode()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, body: Any) -> tuple[int, Any]:
        """Posts ``body`` as JSON; (status, the decoded answer). Reconnects when the server
        closed the connection; raises ConnectionError when it answers nothing."""
        data = orjson.dumps(body)
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        writer.write(self.head + str(len(data)).encode() + b"\r\n\r\n" + data)
        status_line = await reader.readline()
        if not status_line:
            self.close()
            raise ConnectionError("the server closed the connection")
        length = 0
        keep = True
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                keep = False
        payload = await reader.readexactly(length)
        if not keep:
            self.close()
        return int(status_line.split()[1]), orjson.loads(payload) if payload else None

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def closed_loop(
    url: str,
    token: str,
    next_body: Callable[[], Any],
    until: float,
    answered: Callable[[int, Any], None],
) -> None:
    """Posts ``next_body()`` on one connection, each after the last answer, until
    ``time.monotonic()`` passes ``until``; ``answered(status, answer)`` for each."""
    connection = RawConnection(url, token)
    try:
        while time.monotonic() < until:
            status, answer = await connection.post(next_body())
            answered(status, answer)
    finally:
        connection.close()
