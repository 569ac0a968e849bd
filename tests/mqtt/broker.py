"""A real Mosquitto broker the tests start on a free port, and a real subscriber for it.

The broker keeps its state in a folder of the test (``persistence``), so a restart keeps the
subscriber's persistent session and the retained messages, as a production broker does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiomqtt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gate.service.task_ends import cancelled
from tests.service.harness import free_port, until

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def write_tls(folder: Path) -> None:
    """A test CA (``ca.pem``) and a server certificate for localhost and 127.0.0.1 signed by
    it (``server.pem``, ``server.key``)."""
    now = dt.datetime.now(dt.UTC)

    def cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, signer: Any) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
        )
        if subject == issuer:
            builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
        else:
            names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), False)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    server_key = ec.generate_private_key(ec.SECP256R1())
    ca = cert("gate test CA", ca_key, "gate test CA", ca_key)
    server = cert("localhost", server_key, "gate test CA", ca_key)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )


class Broker:
    """``mosquitto -c CONF`` on 127.0.0.1 and a free port; ``start``/``stop`` as often as the
    test likes (same port, same persistence folder)."""

    def __init__(
        self, folder: Path, *, tls: bool = False, users: dict[str, str] | None = None
    ) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.tls = tls
        folder.mkdir(parents=True, exist_ok=True)
        self.conf = folder / "mosquitto.conf"
        lines = [
            f"listener {self.port} 127.0.0.1",
            f"allow_anonymous {'false' if users else 'true'}",
            "persistence true",
            f"persistence_location {folder}/",
            f"log_dest file {folder}/mosquitto.log",
        ]
        if tls:
            self.ca = folder / "ca.pem"
            write_tls(folder)
            lines += [f"cafile {self.ca}", f"certfile {folder}/server.pem"]
            lines += [f"keyfile {folder}/server.key"]
        if users:
            passwd = folder / "passwd"
            passwd.touch()
            for user, password in users.items():
                subprocess.run([PASSWD, "-b", str(passwd), user, password], check=True)
            lines.append(f"password_file {passwd}")
        if os.geteuid() == 0:
            lines.append("user root")  # else it drops to a user that cannot write the folder
        self.conf.write_text("\n".join(lines) + "\n")

    @property
    def url(self) -> str:
        # The certificate names localhost (and 127.0.0.1): TLS checks the name.
        return f"mqtts://localhost:{self.port}" if self.tls else f"mqtt://127.0.0.1:{self.port}"

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

    def __init__(
        self,
        broker: Broker,
        topic: str = "gate/#",
        *,
        persistent: bool = False,
        login: tuple[str, str] | None = None,
    ) -> None:
        self.broker = broker
        self.login = login
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
            await cancelled([self._task])  # again if aiomqtt's wait_for swallowed it

    async def _run(self) -> None:
        while True:
            try:
                async with aiomqtt.Client(
                    "localhost" if self.broker.tls else "127.0.0.1",
                    self.broker.port,
                    identifier=self.client_id,
                    clean_session=not self.persistent,
                    username=None if self.login is None else self.login[0],
                    password=None if self.login is None else self.login[1],
                    tls_context=ssl.create_default_context(cafile=str(self.broker.ca))
                    if self.broker.tls
                    else None,
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
