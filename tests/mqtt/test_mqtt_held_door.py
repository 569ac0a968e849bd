"""The retained MQTT door topic follows a door's hold: a cleared door held for goods that
passed without a readable tag goes out amber (``held`` true), and green again once an
operator acknowledges it; an idle door held for its portal down goes out amber too; a real
gate, a real Mosquitto, a real subscriber."""

from __future__ import annotations

from pathlib import Path

from gate.service.door_holds import PORTAL_DOWN
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


async def test_an_outage_at_an_idle_door_goes_out_held(
    gates: Gates, mqtt_config: Path, broker: Broker
) -> None:
    """A sensor portal of idle D1 down (door16: held with no shipment there): the door topic
    says amber and held with no shipment, the alerts topic says why; acknowledged once the
    portal is back, idle again."""
    live = await Subscriber(broker).start()
    gate = await gates.start()
    await until(lambda: "online" in live.on(f"{BASE}/status"), "online")

    def door() -> list[tuple[str, bool, object]]:
        topic = f"{BASE}/doors/D1"
        return [(d["signal"], d.get("held", False), d["shipment"]) for d in docs(live, topic)]

    await until(lambda: door()[-1:] == [("idle", False, None)], "an idle door")
    holds = gate.app[app_keys.HOLDS]
    await holds.portal_down("D1", "north")
    await until(lambda: door()[-1:] == [("amber", True, None)], "the held idle door amber")
    alerts = await until(
        lambda: [a for a in docs(live, f"{BASE}/alerts") if a.get("kind") == "door_held"],
        "the door_held alert",
    )
    assert [("D1", True)] == [(a["door"], PORTAL_DOWN in a["text"]) for a in alerts]
    holds.portal_up("D1", "north")
    status, _ = await acknowledge(gate, 1)
    assert 200 == status
    await until(lambda: door()[-1:] == [("idle", False, None)], "the acknowledged door idle")
