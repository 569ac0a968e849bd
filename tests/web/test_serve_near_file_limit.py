"""``gate serve`` near its file limit (issue 11.10): a slowloris flood of more connections
than the process may open files neither starves /readyz nor floods the log."""

from __future__ import annotations

import contextlib
import re
import resource
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest

from gate.config.settings import load_config
from tests.conftest import ROOT
from tests.service.harness import SCANNER_TOKEN, child_env, gate_command, until

pytestmark = pytest.mark.slow

SOFT_LIMIT = 512
FLOOD = 600  # more than the gate's whole file limit
SCANNERS = 200


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=10) as r:
            return 200 == r.status
    except OSError:
        return False


@contextlib.contextmanager
def serving_with_file_limit(
    demo_config: Path, soft: int, **env: str
) -> Iterator[subprocess.Popen[bytes]]:
    """``gate serve`` on ``demo_config`` with its soft file limit at ``soft``, its output in
    serve.log beside the config's folder; stopped at the end."""
    log = demo_config.parent.parent / "serve.log"

    def low_limit() -> None:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    with open(log, "wb") as out:
        proc = subprocess.Popen(
            gate_command("serve", "--config", str(demo_config)),
            cwd=ROOT,
            env=child_env(**env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=low_limit,
        )
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def test_slowloris_flood_past_the_file_limit(demo_config: Path) -> None:
    """With its soft file limit at 512, a gate under 600 connections that never finish a
    request head still answers /readyz 200 during the flood, and its log has no traceback
    and at most a few resource-limit lines."""
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < FLOOD + 100:
        pytest.skip("the test process itself may not open enough sockets")
    loaded = load_config(demo_config)
    url = f"http://{loaded.http}"
    log = demo_config.parent.parent / "serve.log"
    flood: list[socket.socket] = []
    with serving_with_file_limit(demo_config, SOFT_LIMIT):
        try:
            await until(lambda: ready(url), "the gate to start", 60)
            for _ in range(FLOOD):
                s = socket.create_connection((loaded.http.host, loaded.http.port), timeout=10)
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                flood.append(s)
            assert ready(url)
        finally:
            for s in flood:
                s.close()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]
    assert len([x for x in text.splitlines() if "resource limit" in x]) <= 4, text[-3000:]


async def test_out_of_files_on_uvloop_is_said_in_the_log(demo_config: Path) -> None:
    """uvloop turns connections away without a word once the process is out of files
    (``gate serve`` runs on it); the listener watch says so: a gate with its soft file limit
    at 160 and ``[scanner] max_connections = 500`` (a cap above its files), sent 200 scanner
    connections, logs the ``files`` warning once, and its clearing once they are closed."""
    text = demo_config.read_text()
    demo_config.write_text(re.sub(r"(\[scanner\][^\[]*max_connections = )\d+", r"\g<1>500", text))
    loaded = load_config(demo_config)
    assert 500 == loaded.scanner_connections
    log = demo_config.parent.parent / "serve.log"

    def said(line: str) -> bool:
        return line in log.read_text(errors="replace")

    held: list[socket.socket] = []
    with serving_with_file_limit(demo_config, 160, GATE_LOOP="uvloop"):
        try:
            await until(lambda: ready(f"http://{loaded.http}"), "the gate to start", 60)
            for _ in range(SCANNERS):  # signed in: a peer may hold few without a token
                address = (loaded.scanner.host, loaded.scanner.port)
                s = socket.create_connection(address, timeout=10)
                held.append(s)
                s.sendall(msgpack.packb({"auth": SCANNER_TOKEN}))
                s.settimeout(2)
                with contextlib.suppress(OSError):  # past the limit: closed, no answer
                    s.recv(4096)
            await until(lambda: said("files this process may open are open"), "the warning", 15)
            for s in held:
                s.close()
            held.clear()
            await until(lambda: said("resource limit cleared: files"), "the clearing", 15)
        finally:
            for s in held:
                s.close()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]
    assert 1 == text.count("files this process may open are open"), text[-3000:]
