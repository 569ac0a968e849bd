"""Shared fixtures: a copy of the demo configuration in a temporary folder, free ports."""

from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
WMS_TOKEN = "demo-3lVrZo-6sVXB5I5_aqEOnBdshGn_lbyQ"
SCANNER_TOKEN = "demo-YbgSG0JhwUXNJzrAqAPeViCuwi8yecPm"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def demo_config(tmp_path: Path) -> Path:
    """The demo configs/ copied under tmp_path/configs with free ports; var/ sits beside it."""
    target = tmp_path / "configs"
    shutil.copytree(CONFIGS, target)
    path = target / "gate.toml"
    text = path.read_text()
    text = re.sub(r'(\[http\]\s*listen = )"[^"]*"', rf'\1"127.0.0.1:{free_port()}"', text)
    text = re.sub(r'(\[scanner\]\s*listen = )"[^"]*"', rf'\1"127.0.0.1:{free_port()}"', text)
    path.write_text(text)
    return path
