"""The retained MQTT door topic follows a door's hold: a cleared door held for goods that
passed without a readable tag goes out amber (``held`` true), and green again once an
operator acknowledges it; a real gate, a real Mosquitto, a real subscriber."""

from __future__ import annotations

from pathlib import Path

from gate.web import app_keys
from tests.attack.test_attack_findings import sealed_and_cleared
from tests.mqtt.broker import Broker, Subscriber
from tests.mqtt.test_mqtt_link import BASE, docs
from tests.service.harness import Gates, until
from tests.service.test_late_prohibited import acknowledge


async def test_the_door_topic_says_amber_while_held_and_green_once_acknowledged(
    gates: Gates, mqtt_config: Path, broker: Broker
) -> None:
    """Cleared D1 goes out green; held, amber with held true (also to a later subscriber:
    retained); acknowledged, green again."""
    live = await Subscriber(broker).start()
    gate = await gates.start()
    await until(lambda: "online" in live.on(f"{BASE}/status"), "online")
    await sealed_and_cleared(gate, mqtt_config)

    def door() -> list[tuple[str, bool]]:
        return [(d["signal"], d.get("held", False)) for d in docs(live, f"{BASE}/doors/D1")]

    await until(lambda: door()[-1:] == [("green", False)], "a green door")
    await gate.app[app_keys.HOLDS].hold("D1", "north")
    await until(lambda: door()[-1:] == [("amber", True)], "the held door amber")
    later = await Subscriber(broker, f"{BASE}/doors/D1").start()
    retained = await until(lambda: docs(later, f"{BASE}/doors/D1"), "the retained door")
    assert ("amber", True) == (retained[0]["signal"], retained[0]["held"])
    await later.stop()
    status, _ = await acknowledge(gate, 1)
    assert 200 == status
    await until(lambda: door()[-1:] == [("green", False)], "the acknowledged door green")
