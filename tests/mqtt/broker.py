"""A real Mosquitto broker the tests start on a free port, and a real subscriber for it.

The broker keeps its state in a folder of the test (``persistence``), so a restart keeps the
subscriber's persistent session and the retained messages, as a production broker does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import aiomqtt

from tests.service.harness import free_port, until

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Broker:
    """``mosquitto -c CONF`` on 127.0.0.1 and a free port; ``start``/``stop`` as often as the
    test likes (same port, same persistence folder)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self.conf = folder / "mosquitto.conf"
        lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {folder}/",
            f"log_dest file {folder}/mosquitto.log",
        ]
        if os.geteuid() == 0:
            lines.append("user root")  # else it drops to a user that cannot write the folder
        self.conf.write_text("\n".join(lines) + "\n")

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def _accepting(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.log()
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def log(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else "(no log)"

    async def start(self) -> None:
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await until(self._accepting, f"mosquitto listening on {self.port}")

    async def stop(self) -> None:
        """A clean stop (SIGTERM): the broker saves its sessions and retained messages."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            await asyncio.to_thread(self.proc.wait, 10)
        self.proc = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    payload: str
    retain: bool


class Subscriber:
    """A real MQTT client subscribed (QoS 1) to ``topic``, collecting what arrives; it
    reconnects when the broker goes away. ``persistent`` keeps its session on the broker, so
    what is published while it is away is kept for it."""

    def __init__(self, broker: Broker, topic: str = "gate/#", *, persistent: bool = False) -> None:
        self.broker = broker
        self.topic = topic
        self.persistent = persistent
        self.client_id = f"test-sub-{free_port()}"
        self.received: list[Received] = []
        self.subscribed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> Subscriber:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.subscribed.wait(), 10)
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                async with aiomqtt.Client(
                    "127.0.0.1",
                    self.broker.port,
                    identifier=self.client_id,
                    clean_session=not self.persistent,
                ) as client:
                    await client.subscribe(self.topic, qos=1)
                    self.subscribed.set()
                    async for message in client.messages:
                        payload = message.payload
                        assert isinstance(payload, bytes)
                        self.received.append(
                            Received(message.topic.value, payload.decode(), message.retain)
                        )
            except aiomqtt.MqttError:
                self.subscribed.clear()
            await asyncio.sleep(0.05)  # the broker is away: try again (a retry interval)

    def on(self, topic: str) -> list[str]:
        """The payloads received on ``topic``, in order."""
        return [r.payload for r in self.received if r.topic == topic]
