"""The MQTT link end to end: a real gate (in this process, or ``gate serve``), a real
Mosquitto started by the test, and real subscribers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from gate.links.mqtt import topic_level
from gate.service import events as events_module
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.mqtt.broker import Broker, Subscriber
from tests.outputs.support import modbus_output, wire
from tests.service.harness import Gate, Gates, Served, free_port, gtin_with, until

BASE = "gate/dock-a"
BELARUS = {"destination": "BY", "consignee": {"name": "Minsk Tool Works", "country": "BY"}}
USA = {"destination": "US", "consignee": {"name": "Kinetic Parts Inc", "country": "US"}}


def queued(config: Path) -> int:
    """Rows waiting in the gate's MQTT queue."""
    conn = connect_readonly(config.parent.parent / "var" / "gate.db")
    try:
        return int(conn.execute("SELECT count(*) FROM mqtt_queue").fetchone()[0])
    finally:
        conn.close()


def docs(sub: Subscriber, topic: str) -> list[dict[str, Any]]:
    return [json.loads(p) for p in sub.on(topic)]


def states(sub: Subscriber) -> list[tuple[str, str]]:
    """(shipment, state) of every shipment message, in the order received."""
    return [
        (d["id"], d["state"])
        for r in sub.received
        if r.topic.startswith(f"{BASE}/shipments/")
        for d in [json.loads(r.payload)]
    ]


async def dispatch_flow(gate: Gate, config: Path) -> None:
    """S1 opens, clears at seal and is dispatched; S2 opens and is cancelled."""
    await gate.create(**USA)
    await gate.scan(gtin_with(config, "9.A.4"))
    assert 200 == (await gate.call("POST", "/api/v1/shipments/S1/seal"))[0]
    assert 200 == (await gate.call("POST", "/api/v1/shipments/S1/dispatch"))[0]
    await gate.create("S2")
    assert 200 == (await gate.call("POST", "/api/v1/shipments/S2/cancel"))[0]


FLOW_STATES = [
    ("S1", "open"),
    ("S1", "cleared"),
    ("S1", "dispatched"),
    ("S2", "open"),
    ("S2", "cancelled"),
]


async def test_door_state_is_retained_after_a_scan(
    gates: Gates, mqtt_config: Path, broker: Broker
) -> None:
    """A scan that turns a door red leaves that state retained on the broker (a subscriber
    that comes later gets it), and its alert goes out; a seal's state change goes out with its
    reasons."""
    live = await Subscriber(broker).start()
    gate = await gates.start()
    await until(lambda: "online" in live.on(f"{BASE}/status"), "online")
    await gate.create(**BELARUS)
    result = await gate.scan(gtin_with(mqtt_config, "9.A.4"))
    assert ("prohibited", "red") == (result["decision"], result["door"]["signal"])
    await until(
        lambda: any(d["signal"] == "red" for d in docs(live, f"{BASE}/doors/D1")), "red door"
    )
    alerts = await until(lambda: docs(live, f"{BASE}/alerts"), "an alert")
    assert ("critical", "D1", "S1") == (
        alerts[0]["level"],
        alerts[0]["door"],
        alerts[0]["shipment"],
    )

    later = await Subscriber(broker, f"{BASE}/doors/D1").start()
    retained = await until(lambda: later.received, "the retained door state")
    assert True is retained[0].retain
    door = json.loads(retained[0].payload)
    assert ("D1", "red", "S1", "open") == (
        door["id"],
        door["signal"],
        door["shipment"],
        door["state"],
    )
    await later.stop()

    assert 200 == (await gate.call("POST", "/api/v1/shipments/S1/seal"))[0]
    sealed = await until(
        lambda: [d for d in docs(live, f"{BASE}/shipments/S1") if d["state"] != "open"], "seal"
    )
    assert ("blocked", "open", ["cat2", "embargo"]) == (
        sealed[0]["state"],
        sealed[0]["previous_state"],
        sealed[0]["reasons"],
    )
    assert ["embargo", "cat2"] == sealed[0]["lines"][0]["reasons"]
    await live.stop()


async def test_messages_queued_while_the_broker_is_down_arrive_in_order(
    gates: Gates, mqtt_config: Path, broker: Broker
) -> None:
    """With the broker stopped the gate keeps working and queues its messages durably; when
    the broker is back they arrive in the order of the changes, and the queue empties."""
    sub = await Subscriber(broker, f"{BASE}/#", persistent=True).start()
    gate = await gates.start()
    link = gate.app[app_keys.MQTT]
    assert link is not None
    await until(lambda: link.health.connected, "connected")
    await broker.stop()
    await until(lambda: not link.health.connected, "the link sees the broker gone")
    await dispatch_flow(gate, mqtt_config)
    assert queued(mqtt_config) >= len(FLOW_STATES)
    assert [] == states(sub)
    status, side = await gate.call("GET", "/page/side")
    assert 200 == status and "Not connected to mqtt://127.0.0.1" in side

    await broker.start()
    await until(lambda: len(states(sub)) >= len(FLOW_STATES), "the queued shipment messages")
    assert FLOW_STATES == states(sub)
    await until(lambda: queued(mqtt_config) == 0, "the queue emptied")
    await until(lambda: link.health.backlog == 0, "the link's backlog back to 0")
    status, metrics = await gate.call("GET", "/metrics")
    assert 200 == status
    assert "gate_mqtt_connected 1.0" in metrics
    assert "gate_mqtt_backlog 0.0" in metrics
    assert ["idle"] == [d["signal"] for d in docs(sub, f"{BASE}/doors/D1")][-1:]
    await sub.stop()


async def test_a_restarted_gate_sends_what_it_queued(
    gates: Gates, mqtt_config: Path, broker: Broker
) -> None:
    """Messages queued while the broker was away survive a restart of the gate and are sent,
    in order, by the next run."""
    await broker.stop()
    gate = await gates.start()
    await dispatch_flow(gate, mqtt_config)
    await gates.stop(gate)
    assert queued(mqtt_config) >= len(FLOW_STATES)

    await broker.start()
    sub = await Subscriber(broker, f"{BASE}/#").start()
    await gates.start()
    await until(lambda: len(states(sub)) >= len(FLOW_STATES), "the queued shipment messages")
    assert FLOW_STATES == states(sub)
    await until(lambda: queued(mqtt_config) == 0, "the queue emptied")
    await sub.stop()


async def test_last_will_says_offline_when_the_gate_is_killed(
    mqtt_config: Path, broker: Broker, serve: Callable[..., Awaitable[Served]]
) -> None:
    """``gate serve`` says ``online`` (retained) when it connects; killed with SIGKILL, it
    cannot say anything, and the broker publishes its Last Will: ``offline``, retained."""
    sub = await Subscriber(broker, f"{BASE}/status").start()
    served = await serve(mqtt_config)
    await until(lambda: sub.on(f"{BASE}/status")[-1:] == ["online"], "online")
    served.kill()
    await until(lambda: sub.on(f"{BASE}/status")[-1:] == ["offline"], "the Last Will")
    await sub.stop()
    later = await Subscriber(broker, f"{BASE}/status").start()
    retained = await until(lambda: later.received, "the retained status")
    assert ("offline", True) == (retained[0].payload, retained[0].retain)
    await later.stop()


async def test_a_clean_stop_says_offline(
    mqtt_config: Path, broker: Broker, serve: Callable[..., Awaitable[Served]]
) -> None:
    """A stopped gate (SIGTERM) disconnects cleanly, so the broker sends no Last Will: the
    gate publishes ``offline`` itself before it goes."""
    sub = await Subscriber(broker, f"{BASE}/status").start()
    served = await serve(mqtt_config)
    await until(lambda: sub.on(f"{BASE}/status")[-1:] == ["online"], "online")
    assert 0 == await served.stop()
    await until(lambda: sub.on(f"{BASE}/status")[-1:] == ["offline"], "offline")
    await sub.stop()


async def test_reader_health_is_published_when_it_changes(
    gates: Gates, mqtt_config: Path, broker: Broker
) -> None:
    """A reader's health goes out retained on ``readers/{name}``: listening with no scanner,
    then connected once a scanner connects."""
    port = free_port()
    sub = await Subscriber(broker, f"{BASE}/readers/#").start()
    await gates.start(
        readers=f"""
        [[readers]]
        name = "d1-scanner"
        kind = "text-tcp"
        address = "127.0.0.1:{port}"
        door = "D1"
        """
    )
    topic = f"{BASE}/readers/d1-scanner"
    await until(lambda: [d for d in docs(sub, topic) if d["state"] == "listening"], "listening")
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        seen = await until(
            lambda: [d for d in docs(sub, topic) if d["state"] == "connected"], "connected"
        )
        assert ("D1", "text-tcp", 1) == (seen[0]["door"], seen[0]["kind"], seen[0]["clients"])
    finally:
        writer.close()
        await writer.wait_closed()
    await sub.stop()


async def test_alerts_outside_changes_go_out_once(
    gates: Gates, mqtt_config: Path, broker: Broker
) -> None:
    """An alert raised outside any change (a refused central-office callback) goes out on
    ``alerts`` too; an alert of a change (a prohibited scan) goes out exactly once."""
    sub = await Subscriber(broker, f"{BASE}/alerts").start()
    gate = await gates.start()
    status, _ = await gate.call("POST", "/api/v1/approvals", {"request_id": "x"}, token=None)
    assert 401 == status
    await until(
        lambda: [d for d in docs(sub, f"{BASE}/alerts") if d.get("kind") == "callback_refused"],
        "the refused callback's alert",
    )
    await gate.create(**BELARUS)
    await gate.scan(gtin_with(mqtt_config, "9.A.4"))
    await gate.create("S2", door="D2")  # a later message on the same link, after the alert
    sub2 = await Subscriber(broker, f"{BASE}/doors/D2").start()
    await until(lambda: [d for d in docs(sub2, f"{BASE}/doors/D2") if d["shipment"]], "S2")
    prohibited = [d for d in docs(sub, f"{BASE}/alerts") if d.get("shipment") == "S1"]
    assert 1 == len(prohibited)
    await sub.stop()
    await sub2.stop()


@pytest.mark.slow  # a broker process of its own
async def test_tls_and_credentials_from_the_environment(
    gates: Gates, demo_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over mqtts:// to a broker that wants a login, with the CA given in ``ca_file`` and the
    credentials read from the environment, the gate connects and says ``online``; with a
    wrong password it is refused, shows why, keeps retrying, and never logs the password."""
    broker = Broker(tmp_path / "tls-broker", tls=True, users={"gate": "right-pw", "sub": "sub-pw"})
    await broker.start()
    try:
        monkeypatch.setenv("T_MQTT_USER", "gate")
        monkeypatch.setenv("T_MQTT_PASSWORD", "right-pw")
        with demo_config.open("a") as f:
            f.write(
                f'\n[mqtt]\nurl = "{broker.url}"\nca_file = "{broker.ca}"\n'
                'username = "env:T_MQTT_USER"\npassword = "env:T_MQTT_PASSWORD"\n'
                "retry_initial_seconds = 0.05\nretry_max_seconds = 0.2\n"
            )
        sub = await Subscriber(broker, f"{BASE}/status", login=("sub", "sub-pw")).start()
        gate = await gates.start()
        await until(lambda: sub.on(f"{BASE}/status")[-1:] == ["online"], "online over TLS")
        await gates.stop(gate)
        await sub.stop()

        monkeypatch.setenv("T_MQTT_PASSWORD", "wrong-pw")
        gate = await gates.start()
        link = gate.app[app_keys.MQTT]
        assert link is not None
        error = await until(lambda: link.health.last_error, "the refusal")
        first = link.health.last_error_at
        await until(lambda: link.health.last_error_at != first, "a retry")
        assert "authori" in error.lower(), error
        assert (False, 0) == (link.health.connected, link.health.connects)
        assert "wrong-pw" not in error
    finally:
        broker.kill()


async def test_output_health_and_the_gates_data_version_are_published(
    gates: Gates, mqtt_config: Path, broker: Broker
) -> None:
    """A stack-light device that cannot be reached goes out retained on
    ``outputs/{device}`` as failing, and ``info`` says which reference bundle the gate runs
    (none: it runs on its config's files)."""
    wire(mqtt_config, "D1", modbus_output("D1", free_port()))
    sub = await Subscriber(broker, f"{BASE}/#").start()
    gate = await gates.start()
    (device,) = (await gate.call("GET", "/api/v1/readers"))[1]["outputs"]
    topic = f"{BASE}/outputs/{topic_level(device['device'])}"
    seen = await until(
        lambda: [d for d in docs(sub, topic) if d["state"] != "ok" and d["last_error"]],
        "the failing device published",
    )
    assert ["D1"] == seen[-1]["doors"]
    (info,) = await until(lambda: docs(sub, f"{BASE}/info"), "the gate's info")
    assert {"gate_id": "dock-a", "bundle": None} == info
    await sub.stop()


class _HeldStore:
    """The link's store with its first write held until ``go`` is set (the alert follower
    busy while a portal's events pile up); everything else passed on."""

    def __init__(self, store: Any) -> None:
        self.store, self.held, self.go = store, asyncio.Event(), asyncio.Event()

    async def write(self, fn: Callable[..., Any]) -> Any:
        if not self.held.is_set():
            self.held.set()
            await self.go.wait()
        return await self.store.write(fn)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


async def test_an_alert_published_while_the_follower_fell_behind_goes_out(
    gates: Gates, mqtt_config: Path, broker: Broker
) -> None:
    """The alert follower ended by the bus for falling behind (its write of one alert waited
    while more than a queue of events was published) takes the bus again after the last
    event it took: an alert published in between goes out. It was lost."""
    sub = await Subscriber(broker, f"{BASE}/alerts").start()
    gate = await gates.start()
    link = gate.app[app_keys.MQTT]
    assert link is not None
    events = gate.app[app_keys.EVENTS]
    held = _HeldStore(link.store)
    link.store = held  # type: ignore[assignment]
    events.publish("alert", {"kind": "first_alert", "message": "held in its write"})
    await until(held.held.is_set, "the follower writing the first alert")
    for n in range(events_module.QUEUE_LIMIT + 10):
        events.publish("link", {"n": n})
    events.publish("alert", {"kind": "gap_alert", "message": "while it was behind"})
    held.go.set()
    await until(
        lambda: [d for d in docs(sub, f"{BASE}/alerts") if d.get("kind") == "gap_alert"],
        "the alert published while the follower was behind",
    )
    assert 1 == len([d for d in docs(sub, f"{BASE}/alerts") if d.get("kind") == "first_alert"])
    await sub.stop()
