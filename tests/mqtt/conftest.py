"""Fixtures of the MQTT tests: a real Mosquitto on a free port, and the demo config pointed
at it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.mqtt.broker import MOSQUITTO, Broker


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[Broker]:
    """A started Mosquitto; stopped at the end."""
    if not os.access(MOSQUITTO, os.X_OK):
        pytest.fail(
            "mosquitto is not installed: run `make test-packages` (or apt-get install mosquitto)"
        )
    b = Broker(tmp_path / "broker")
    await b.start()
    try:
        yield b
    finally:
        b.kill()


@pytest.fixture
def mqtt_config(demo_config: Path, broker: Broker) -> Path:
    """demo_config with an ``[mqtt]`` table for ``broker`` (quick retries)."""
    with demo_config.open("a") as f:
        f.write(
            "\n[mqtt]\n"
            f'url = "{broker.url}"\n'
            "retry_initial_seconds = 0.05\n"
            "retry_max_seconds = 0.5\n"
            "reader_health_seconds = 0.2\n"
        )
    return demo_config
