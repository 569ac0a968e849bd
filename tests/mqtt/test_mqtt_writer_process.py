"""The MQTT link with the scan batches written by the writer process (``GATE_WRITER=process``):
a scan's messages are queued in the process's transaction and sent once it committed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.web import app_keys
from tests.mqtt.broker import Broker, Subscriber
from tests.mqtt.test_mqtt_link import BASE, BELARUS, docs
from tests.service.harness import Gates, gtin_with, until


async def test_a_scan_the_writer_process_stores_sends_its_door_and_alert(
    gates: Gates, mqtt_config: Path, broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With MQTT on, a scan that turns a door red is still written by the writer process
    (the link's messages go with its batch), and its door state and alert reach the
    broker."""
    monkeypatch.setenv("GATE_WRITER", "process")
    live = await Subscriber(broker).start()
    gate = await gates.start()
    await until(lambda: "online" in live.on(f"{BASE}/status"), "online")
    await gate.create(**BELARUS)
    writer = gate.app[app_keys.DOCKS].committer.writer
    assert writer is not None
    result = await gate.scan(gtin_with(mqtt_config, "9.A.4"))
    assert ("prohibited", "red") == (result["decision"], result["door"]["signal"])
    assert 1 == writer.writes
    await until(
        lambda: any(d["signal"] == "red" for d in docs(live, f"{BASE}/doors/D1")), "red door"
    )
    alerts = await until(lambda: docs(live, f"{BASE}/alerts"), "an alert")
    assert [("critical", "D1", "S1")] == [(a["level"], a["door"], a["shipment"]) for a in alerts]
    retained = json.loads(live.on(f"{BASE}/doors/D1")[-1])
    assert ("red", "S1") == (retained["signal"], retained["shipment"])
    await live.stop()
