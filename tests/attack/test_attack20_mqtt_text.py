"""Attack20: a reader's own error text went raw over MQTT.

A reader's health goes out retained on ``P/{gate_id}/readers/{name}``, with its
``last_error``: for an LLRP reader, the error description the reader itself sent. The
payloads are JSON written readable (``ensure_ascii`` off), which escapes C0 controls but not
a C1 CSI (U+009B) or a right-to-left override (U+202E): ``mosquitto_sub -v -t 'gate/#'`` in
an operator's terminal, or a dashboard, got them raw, retained for every later subscriber.

Now a reader's error text is escaped where it is made (``describe``), and every payload
escapes what ``gate audit export`` escapes (``escape_refused``): it reads back as the same
JSON value.
"""

from __future__ import annotations

import json
from pathlib import Path

from gate.links.mqtt import _json, topic_level
from tests.attack.test_attack20_reader_text import HostileReader, two_readers
from tests.conftest import free_port
from tests.mqtt.broker import Broker, Subscriber
from tests.mqtt.conftest import broker, mqtt_config  # noqa: F401 (fixtures)
from tests.service.harness import Gates, until

RAW = ("\u009b", "\u202e")


async def test_a_readers_error_goes_out_escaped_and_reads_back_the_same(
    gates: Gates,
    mqtt_config: Path,  # noqa: F811 (the fixture)
    broker: Broker,  # noqa: F811 (the fixture)
) -> None:
    """A reader whose sessions fail with a description holding a CSI and an override is
    published on ``readers/{name}`` with neither raw (its ``last_error`` names them as
    ``\\uXXXX``, as the API does)."""
    hostile_port = free_port()
    reader = HostileReader(port=hostile_port, tags=[])
    reader.failing = True
    await reader.start()
    sub = await Subscriber(broker, "gate/dock-a/readers/#").start()
    try:
        await gates.start(readers=two_readers(hostile_port, free_port()))
        topic = f"gate/dock-a/readers/{topic_level('hostile')}"
        payloads = await until(
            lambda: [p for p in sub.on(topic) if "status 101" in p], "the failed session published"
        )
        assert [] == [c for c in RAW if c in payloads[0]]
        assert "\\u009b2J \\u202eevil" in json.loads(payloads[0])["last_error"]
    finally:
        await sub.stop()
        await reader.stop()


def test_every_payload_escapes_what_a_terminal_would_run() -> None:
    """A payload holding a CSI, an override and a line separator shows none of them raw and
    reads back as the same value."""
    doc = {"text": "x\u009b2J\u202e\u2028y", "name": "Müller"}
    payload = _json(doc)
    assert ([], "Müller") == ([c for c in (*RAW, "\u2028") if c in payload], doc["name"])
    assert doc == json.loads(payload)
