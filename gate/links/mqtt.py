"""Events out over MQTT (DESIGN.md 4, "Events out"): the gate's doors, shipment state changes,
alerts and reader health, for a company's existing broker.

Topics (``P`` is ``[mqtt] topic_prefix``, ``gate`` by default; every message QoS 1):

- ``P/{gate_id}/status``: ``online`` (retained) at each connect; ``offline`` (retained) as
  the Last Will, which the broker publishes when the gate vanishes, and before a clean stop;
- ``P/{gate_id}/doors/{door}``: retained, a door's signal, shipment and state;
- ``P/{gate_id}/shipments/{id}``: every state change of a shipment, with its reasons;
- ``P/{gate_id}/alerts``: the alerts of the changes (a prohibited item scanned, ...);
- ``P/{gate_id}/readers/{name}``: retained, a reader's health when it changed;
- ``P/{gate_id}/outputs/{device}``: retained, a door output device's health (stack lights)
  when it changed;
- ``P/{gate_id}/info``: retained, what this gate runs: its id, the signed reference bundle in
  use (``bundle``: version, published, last refusal; ``null`` on local files), so the office
  sees its fleet's data versions.

**Nothing of a change is lost, and the broker never slows a scan.** The link is a *message
tap* on the committer (``gate.service.commit_step``): as each change is handed to its writer
it gives the messages that change announces, and the writer inserts them into ``mqtt_queue``
(``gate.storage.mqtt_rows``) inside the change's write transaction (the store's thread, or
the writer process for a scan batch).
A message therefore exists if and only if its change committed, survives a restart, and costs
the scan one INSERT, never a network wait. A background task sends the rows in id order
(the order of the commits) and deletes each only after the broker's PUBACK; a row sent but not
acknowledged when the connection broke is sent again (QoS 1 is at-least-once, so consumers
see a duplicate rather than a gap; only a prefix of acknowledged rows is deleted, so a resend
never overtakes a later message). Reader health is live state, not history: it is published
from memory and not queued.

**Reconnecting is this module's job.** aiomqtt (over paho-mqtt 2) does not reconnect by
itself: ``run`` connects, and when the connection fails or breaks it waits an exponential
backoff with jitter (``retry_initial_seconds`` doubling to ``retry_max_seconds``) and
connects again, for as long as the gate runs. The session is persistent (clean session off,
a fixed client id). At every connect the retained door states are re-published from the live
state before the queue is sent, so a broker that lost its retained messages gets them back,
and the queue's later rows leave each door at its newest state.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import random
import sqlite3
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiomqtt

from gate.config.mqtt import MqttConfig
from gate.core.shipment_values import Shipment
from gate.core.stack_light import held_signal
from gate.core.text import escape_refused
from gate.links.central import backoff
from gate.service.commit_step import Change
from gate.service.docks import Docks
from gate.service.event_shapes import door_event
from gate.service.task_ends import cancelled
from gate.storage import mqtt_rows
from gate.storage.store import Store

log = logging.getLogger("gate.mqtt")

#: Rows sent together (in flight at once) before their acknowledgements are awaited.
BATCH = 100
ERROR_TEXT_CHARS = 300
#: Alerts of changes remembered until the event bus delivers them (see ``_alerts``).
TAPPED_LIMIT = 1000


def topic_level(value: str) -> str:
    """``value`` as one topic level: ``/``, ``+``, ``#`` (and ``%``) percent-encoded, so an id
    can neither add levels nor act as a wildcard for subscribers."""
    for ch, code in (("%", "%25"), ("/", "%2F"), ("+", "%2B"), ("#", "%23"), ("\0", "%00")):
        value = value.replace(ch, code)
    return value


@dataclass(slots=True)
class MqttHealth:
    """The link as the page and ``/metrics`` show it."""

    url: str
    connected: bool = False
    since: dt.datetime | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    connects: int = 0
    sent: int = 0
    dropped: int = 0
    backlog: int = 0
    oldest_pending: str | None = None

    def doc(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "connected": self.connected,
            "since": None if self.since is None else self.since.isoformat(),
            "last_error": self.last_error,
            "last_error_at": None if self.last_error_at is None else self.last_error_at.isoformat(),
            "connects": self.connects,
            "sent": self.sent,
            "dropped": self.dropped,
            "backlog": self.backlog,
            "oldest_pending": self.oldest_pending,
        }


class MqttLink:
    """The tap that queues a change's messages, and the task that sends them."""

    def __init__(
        self, config: MqttConfig, gate_id: str, store: Store, docks: Docks, *, rng: random.Random
    ) -> None:
        self.config = config
        self.store = store
        self.docks = docks
        self.gate_id = gate_id
        self.base = f"{config.topic_prefix}/{topic_level(gate_id)}"
        self.status_topic = f"{self.base}/status"
        self.health = MqttHealth(config.url)
        #: Reader health documents (``GET /api/v1/readers``); the app sets it once readers exist.
        self.readers: Callable[[], list[dict[str, Any]]] = list
        #: Output device health documents (``outputs`` in ``GET /api/v1/readers``).
        self.outputs: Callable[[], list[dict[str, Any]]] = list
        #: What ``P/{gate_id}/info`` says (the app sets it: the bundle in use).
        self.info: Callable[[], dict[str, Any]] = dict
        #: A door's hold document (None: not held); the app sets it once the holds exist.
        #: Called on the loop by the tap: a dict read of frozen values.
        self.hold_of: Callable[[str], dict[str, Any] | None] = lambda door: None
        #: Each door's last state a door message was queued with (by the tap, in hand-over order).
        self._doors_queued: dict[str, tuple[dict[str, Any], Shipment | None]] = {}
        self._names = {d.id: d.name for d in docks.config.doors}
        self._rng = rng
        self._wake = asyncio.Event()
        self._attempts = 0
        self._readers_sent: dict[str, tuple[Any, ...]] = {}
        self._outputs_sent: dict[str, tuple[Any, ...]] = {}
        self._info_sent: str | None = None
        # Written by the tap, read by ``_alerts`` (both on the loop; the lock costs little).
        self._tapped: dict[int, dict[str, Any]] = {}
        self._tapped_lock = threading.Lock()

    # --- the tap: on the loop, as each change is handed to its writer -----------------------

    def tap(self, change: Change) -> list[mqtt_rows.Message]:
        """The messages of ``change`` to queue in its transaction (a ``MessageTap``): its
        door states, shipment state changes and alerts (a scan that changes none of them
        queues nothing). The sender is woken once the change committed."""
        try:
            messages = self.messages(change)
        except Exception:
            # A fault in shaping a message must not stop the dock: the change is stored
            # without its messages, and the log says so.
            log.exception("MQTT: messages of a change not queued")
            return []
        if not messages:
            return []
        at = self.docks.clock().isoformat()
        for kind, data in change.events:
            if kind == "alert":
                self._note_tapped(data)
        # After the commit: the sender reads the queue through the store's thread, which a
        # batch written by the writer process does not pass through.
        change.committed.append(self._wake.set)
        return [(topic, payload, retain, at) for topic, payload, retain in messages]

    def messages(self, change: Change) -> list[tuple[str, str, bool]]:
        """(topic, JSON payload, retain) for each message ``change`` announces."""
        at = self.docks.clock().isoformat()
        afters = {after.id: after for _, after in change.shipments}
        out = []
        for kind, data in change.events:
            if kind == "door":
                shipment = afters.get(data.get("shipment") or "")
                self._doors_queued[data["id"]] = (data, shipment)
                doc = self._door_doc(data, shipment, at, self.hold_of(data["id"]))
                out.append((f"{self.base}/doors/{topic_level(data['id'])}", _json(doc), True))
            elif kind == "door_hold":
                # Held or released: the door's signal changes with it (never green held).
                door = data["door"]
                state, shipment = self._door_now(door, afters)
                doc = self._door_doc(state, shipment, at, data["hold"])
                out.append((f"{self.base}/doors/{topic_level(door)}", _json(doc), True))
            elif kind == "shipment" and data.get("previous_state") != data.get("state"):
                doc = {**data, **_reasons(afters.get(data["id"])), "at": at}
                out.append((f"{self.base}/shipments/{topic_level(data['id'])}", _json(doc), False))
            elif kind == "alert":
                out.append((f"{self.base}/alerts", _json({**data, "at": at}), False))
        return out

    def _door_now(
        self, door: str, afters: dict[str, Shipment]
    ) -> tuple[dict[str, Any], Shipment | None]:
        """The door's state and shipment for a message about its hold: this change's, else the
        last one queued (the tap runs in commit order; the loop's committed state may not have
        caught up with a change earlier in the same group), else the committed one."""
        shipment = next((a for a in afters.values() if a.door == door), None)
        if shipment is None and door in self._doors_queued:
            return self._doors_queued[door]
        shipment = shipment or self.docks.door_shipment(door)
        signal = None if shipment is None else shipment.signal
        return door_event(door, signal, None if shipment is None else shipment.id), shipment

    def _note_tapped(self, data: dict[str, Any]) -> None:
        # Held (not only its id) so the id cannot be reused by another alert meanwhile;
        # bounded, for changes whose write failed and whose alerts are never published.
        with self._tapped_lock:
            self._tapped[id(data)] = data
            while len(self._tapped) > TAPPED_LIMIT:
                self._tapped.pop(next(iter(self._tapped)), None)

    def _was_tapped(self, data: dict[str, Any]) -> bool:
        with self._tapped_lock:
            return self._tapped.pop(id(data), None) is data

    async def _alerts(self) -> None:
        """Queues the alerts published outside any change (a list that failed to load, the
        office unreachable, a refused callback, ...): those of changes are queued by the tap,
        in their transaction, and are recognised here by identity and skipped.

        A subscription the bus ends for falling behind (an alert's write waited while a
        portal's events piled up) is taken again after the last event taken, so the alerts
        published in between are queued too: they were lost before. Replayed events carry
        their data decoded from the kept frame, not the tap's own dict, so an alert of a
        change among them is queued a second time (at least once, as MQTT's QoS 1 delivers)."""
        events = self.docks.events
        seen: int | None = None
        while not events.closed.is_set():
            async with events.subscribe(seen) as sub:
                while (event := await sub.queue.get()) is not None:
                    if seen is not None and event.seq <= seen:
                        continue
                    seen = event.seq
                    if event.kind != "alert":
                        continue
                    if self._was_tapped(event.data):
                        continue
                    payload = _json({**event.data, "at": event.at})
                    at = dt.datetime.fromisoformat(event.at)

                    def queue(
                        conn: sqlite3.Connection, p: str = payload, at: dt.datetime = at
                    ) -> None:
                        mqtt_rows.queue(conn, f"{self.base}/alerts", p, False, at)

                    try:
                        await self.store.write(queue)
                    except Exception as exc:  # the store refuses: nothing to queue it in
                        log.warning("MQTT: alert not queued: %s", exc)
                    self._wake.set()

    def _door_doc(
        self, data: dict[str, Any], shipment: Shipment | None, at: str, hold: dict[str, Any] | None
    ) -> dict[str, Any]:
        signal = data["signal"]
        if hold is not None:
            signal = held_signal(signal, held=True, prohibited_hold=bool(hold.get("prohibited")))
        return {
            **data,
            "signal": signal,
            "held": hold is not None,
            "name": self._names.get(data["id"], data["id"]),
            "state": None
            if shipment is None or data.get("shipment") is None
            else shipment.state.value,
            "at": at,
        }

    def door_messages(self) -> list[tuple[str, str]]:
        """Every door's retained state, from the live (committed) state."""
        at = self.docks.clock().isoformat()
        out = []
        for door in self.docks.config.doors:
            sid = self.docks.current.get(door.id)
            shipment = None if sid is None else self.docks.shipments.get(sid)
            signal = None if shipment is None else shipment.signal
            data = door_event(door.id, signal, sid)
            doc = self._door_doc(data, shipment, at, self.hold_of(door.id))
            out.append((f"{self.base}/doors/{topic_level(door.id)}", _json(doc)))
        return out

    # --- the sender ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Connects, sends, and reconnects with backoff, until cancelled."""
        alerts = asyncio.create_task(self._alerts(), name="mqtt-alerts")
        try:
            await self._connect_forever()
        finally:
            await cancelled([alerts])

    async def _connect_forever(self) -> None:
        while True:
            try:
                # Also while the broker is away: the page shows what waits, and max_queue
                # holds during a long outage.
                await self._refresh_backlog()
                await self._session()
            except aiomqtt.MqttError as exc:
                self._failed(f"broker: {exc}")
            except (OSError, ssl.SSLError) as exc:
                self._failed(f"connection: {exc}")
            except Exception as exc:
                log.exception("mqtt link")
                self._failed(f"{type(exc).__name__}: {exc}")
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # aiomqtt's __aexit__ raises the connection's error in place of a
                # cancellation that arrived while the broker was gone: the stop still wins.
                raise asyncio.CancelledError
            wait = backoff(
                self._attempts,
                self.config.retry_initial_seconds,
                self.config.retry_max_seconds,
                self._rng,
            )
            self._attempts += 1
            await asyncio.sleep(wait)

    def _client(self) -> aiomqtt.Client:
        tls = None
        if self.config.tls:
            ca = None if self.config.ca_file is None else str(self.config.ca_file)
            tls = ssl.create_default_context(cafile=ca)
        return aiomqtt.Client(
            self.config.host,
            self.config.port,
            username=self.config.username,
            password=self.config.password,
            identifier=self.config.client_id,
            clean_session=False,
            will=aiomqtt.Will(self.status_topic, b"offline", qos=1, retain=True),
            keepalive=self.config.keepalive_seconds,
            timeout=self.config.timeout_seconds,
            tls_context=tls,
            logger=log,
        )

    async def _session(self) -> None:
        async with self._client() as client:
            client.pending_calls_threshold = 2 * BATCH
            self._attempts = 0
            self.health.connected, self.health.since = True, self.docks.clock()
            self.health.connects += 1
            log.info("connected to the MQTT broker %s", self.config.url)
            tasks: list[asyncio.Task[None]] = []
            try:
                await client.publish(self.status_topic, b"online", qos=1, retain=True)
                for topic, payload in self.door_messages():
                    await client.publish(topic, payload.encode(), qos=1, retain=True)
                self._readers_sent.clear()
                self._outputs_sent.clear()
                self._info_sent = None
                tasks = [
                    asyncio.create_task(_watch(client), name="mqtt-watch"),
                    asyncio.create_task(self._send(client), name="mqtt-send"),
                ]
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
            except asyncio.CancelledError:
                # A clean stop: the broker does not publish the Will then, so say it here.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(1.0):
                        await client.publish(self.status_topic, b"offline", qos=1, retain=True)
                raise
            finally:
                self.health.connected = False
                await cancelled(tasks)  # again while one runs on (gate.service.task_ends)

    async def _send(self, client: aiomqtt.Client) -> None:
        readers_due = 0.0
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            if loop.time() >= readers_due:
                await self._publish_readers(client)
                await self._publish_outputs(client)
                await self._publish_info(client)
                readers_due = loop.time() + self.config.reader_health_seconds
            rows = await self.store.read(lambda conn: mqtt_rows.oldest(conn, BATCH))
            if rows:
                await self._publish_rows(client, rows)
                continue
            await self._refresh_backlog()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.01, readers_due - loop.time())):
                    await self._wake.wait()

    async def _publish_rows(self, client: aiomqtt.Client, rows: list[mqtt_rows.Queued]) -> None:
        # Created in order, so paho puts them on the wire in order; their PUBACKs are awaited
        # together (up to paho's in-flight window at a time).
        tasks = [
            asyncio.create_task(client.publish(r.topic, r.payload.encode(), qos=1, retain=r.retain))
            for r in rows
        ]
        results = await asyncio.gather(*tasks, return_exceptions=True)
        acked: list[int] = []
        error: BaseException | None = None
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                error = result
                break
            acked.append(row.id)
        if acked:
            await self.store.write(lambda conn: mqtt_rows.delete(conn, acked))
            self.health.sent += len(acked)
        if error is not None:
            raise error

    async def _publish_readers(self, client: aiomqtt.Client) -> None:
        """Each reader's health, retained, when what it says about the reader changed."""
        for doc in self.readers():
            name = str(doc.get("name"))
            seen = tuple(
                doc.get(k) for k in ("state", "connected", "last_error", "door", "clients")
            )
            if self._readers_sent.get(name) == seen:
                continue
            topic = f"{self.base}/readers/{topic_level(name)}"
            payload = {**doc, "at": self.docks.clock().isoformat()}
            await client.publish(topic, _json(payload).encode(), qos=1, retain=True)
            self._readers_sent[name] = seen

    async def _publish_outputs(self, client: aiomqtt.Client) -> None:
        """Each output device's health, retained, when its state or error changed."""
        for doc in self.outputs():
            device = str(doc.get("device"))
            seen = tuple(doc.get(k) for k in ("state", "last_error", "doors"))
            if self._outputs_sent.get(device) == seen:
                continue
            topic = f"{self.base}/outputs/{topic_level(device)}"
            payload = {**doc, "at": self.docks.clock().isoformat()}
            await client.publish(topic, _json(payload).encode(), qos=1, retain=True)
            self._outputs_sent[device] = seen

    async def _publish_info(self, client: aiomqtt.Client) -> None:
        """What this gate runs (the bundle in use), retained, when it changed."""
        text = _json({"gate_id": self.gate_id, **self.info()})
        if text != self._info_sent:
            await client.publish(f"{self.base}/info", text.encode(), qos=1, retain=True)
            self._info_sent = text

    async def _refresh_backlog(self) -> None:
        keep = self.config.max_queue
        n, oldest = await self.store.read(mqtt_rows.backlog)
        dropped = 0
        if n > keep:
            dropped = await self.store.write(lambda conn: mqtt_rows.trim(conn, keep))
            n, oldest = await self.store.read(mqtt_rows.backlog)
        self.health.backlog, self.health.oldest_pending = n, oldest
        if dropped:
            self.health.dropped += dropped
            log.warning("MQTT queue over %s messages: dropped the %s oldest", keep, dropped)
            self.docks.events.publish(
                "alert",
                {
                    "level": "warning",
                    "kind": "mqtt_dropped",
                    "text": f"The MQTT broker has been away too long: {dropped} of the oldest "
                    f"queued messages were dropped (max_queue {keep})",
                },
            )

    def _failed(self, error: str) -> None:
        error = error[:ERROR_TEXT_CHARS]
        if error != self.health.last_error:
            log.warning("MQTT broker %s: %s; retrying", self.config.url, error)
        self.health.last_error, self.health.last_error_at = error, self.docks.clock()
        self.health.connected = False


async def _watch(client: aiomqtt.Client) -> None:
    """Returns (raising MqttError) when the connection drops: aiomqtt says so only through its
    message iterator (the link subscribes to nothing, so no message ever comes)."""
    async for _ in client.messages:
        pass
    raise aiomqtt.MqttError("disconnected")


def _reasons(shipment: Shipment | None) -> dict[str, Any]:
    """A shipment's reasons: every reason code of its lines, and the lines not cleared (a
    message stays small however many clear lines the shipment holds)."""
    if shipment is None:
        return {"reasons": [], "lines": []}
    lines = [x for x in shipment.lines if not x.removed]
    held = [
        {"key": x.key, "decision": x.decision.value, "reasons": list(x.reasons)}
        for x in lines
        if x.decision != "clear"
    ]
    return {
        "reasons": sorted({r for x in lines for r in x.reasons}),
        "lines": held,
        "updated_at": shipment.updated_at.isoformat(),
    }


def _json(doc: dict[str, Any]) -> str:
    """A payload: readable JSON on one line, with what a terminal would run or a display
    reorder escaped (a reader's own error text, a C1 CSI, reached ``mosquitto_sub`` raw:
    attack20). It reads back as the same value."""
    return escape_refused(json.dumps(doc, separators=(",", ":"), default=str, ensure_ascii=False))
