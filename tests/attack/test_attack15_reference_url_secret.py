"""Attack15: credentials in ``[central] reference_url`` went into the journal and the alerts.

The config takes any http(s) URL for the office's bundle repository, credentials included
(``https://gate-7:TOKEN@office.example/reference/``). When a fetch fails in some ways (a TLS
handshake that fails, a connection reset), TUF's fetcher says ``Failed to download <the URL>``;
that text became the refusal's reason, which is alerted (the page, the event stream, MQTT) and
journaled in ``reference.refused``, a record kept for years: the password with it. And a
refused connection gave a reason with no words at all (``cannot fetch the bundle: ``).

A refusal's text names the repository without its credentials, and says what failed.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gate.links.reference.fetch import Refused, fetch_bundle
from tests.conftest import free_port
from tests.reference.test_bundles import PUBLISHED, Office


@pytest.fixture
def not_tls() -> Iterator[int]:
    """A port that answers plain HTTP to whoever expects a TLS handshake."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(1000)
                conn.sendall(b"HTTP/1.1 200 OK\r\n\r\nnot tls")

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def _root(tmp_path: Path) -> bytes:
    office = Office(tmp_path)
    office.make(published=PUBLISHED)
    return (office.repo / "root.json").read_bytes()


def _refused(url: str, tmp_path: Path) -> Refused:
    with pytest.raises(Refused) as refused:
        fetch_bundle(url, _root(tmp_path), tmp_path / "metadata", tmp_path / "bundles", timeout=2)
    return refused.value


def test_a_download_refusal_does_not_carry_the_urls_password(tmp_path: Path, not_tls: int) -> None:
    refused = _refused(f"https://gate-7:s3cret-Pa55@127.0.0.1:{not_tls}/reference/", tmp_path)
    assert "download" == refused.check
    assert "s3cret-Pa55" not in str(refused)
    assert "127.0.0.1" in refused.text  # still says where it could not reach


def test_a_refused_connection_is_said_in_words(tmp_path: Path) -> None:
    refused = _refused(f"http://127.0.0.1:{free_port()}/reference/", tmp_path)
    assert "download" == refused.check
    assert "Connection refused" in refused.text or "connect" in refused.text.lower(), refused
