"""Attack15: the read-only display read licences, scans and requests off the event stream.

The dock's wall display (``[page] display_token``, a cookie kept ten years in whatever browser
the screen runs) "shows the doors, the alerts and the health: it reads nothing else (no
shipment documents, licences, clearances or reports)": ``GET /api/v1/licences`` and a
shipment's document answer it 403. But it may open ``/api/v1/events`` (its page refreshes
when told something changed), and that stream carried every event whole: a pushed standing
licence's number, consignee, controls and quantities; every scan's item, serial and
classification; each licence request. Whoever held the display's cookie read what its own
rule refuses it.

The display's stream now says what changed (the event's kind and id), not its contents: the
page needs no more to know when to fetch its fragments again.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp

from tests.central.test_central_link import callback, licence_body, office_key
from tests.fake_office import Office
from tests.service.harness import Gates, gtin_with

DISPLAY_TOKEN = "display-token-for-the-dock-wall-0123"


async def _events(stream: aiohttp.ClientResponse, want: set[str]) -> dict[str, list[Any]]:
    """Reads SSE frames until an event of each kind in ``want`` came; kind -> data seen."""
    seen: dict[str, list[Any]] = {}
    kind = ""
    async with asyncio.timeout(15):
        while not want <= set(seen):
            line = (await stream.content.readline()).decode().rstrip("\r\n")
            if line.startswith("event: "):
                kind = line[len("event: ") :]
            elif line.startswith("data: "):
                seen.setdefault(kind, []).append(json.loads(line[len("data: ") :]))
    return seen


async def test_the_display_stream_says_what_changed_not_what_it_holds(
    demo_config: Path, office: Office, gates: Gates
) -> None:
    with demo_config.open("a") as f:
        f.write(f'\n[page]\ndisplay_token = "{DISPLAY_TOKEN}"\n')
    gate = await gates.start()
    jar = {"gate_display": DISPLAY_TOKEN}
    async with (
        aiohttp.ClientSession(cookies=jar) as display,
        display.get(gate.url + "/api/v1/events") as stream,
    ):
        assert 200 == stream.status
        await _events(stream, {"hello"})
        status, _ = await callback(
            gate, "/api/v1/licences", licence_body(7, "SL-SECRET-77"), key=office_key(demo_config)
        )
        assert 200 == status
        await gate.create("S1", "D1")
        gyro = gtin_with(demo_config, "9.A.4")
        await gate.scan(gyro)
        seen = await _events(stream, {"licence", "scan", "shipment"})
    text = json.dumps(seen)
    for secret in ("SL-SECRET-77", "Acme Precision", gyro, "9.A.4"):
        assert secret not in text, (secret, seen)
    # The same stream with a reading token still carries everything.
    async with gate.session.get(
        gate.url + "/api/v1/events", headers={"Authorization": "Bearer " + _wms()}
    ) as full:
        await _events(full, {"hello"})
        await gate.scan(gyro)
        whole = await _events(full, {"scan"})
    assert gyro in json.dumps(whole)


def _wms() -> str:
    from tests.service.harness import WMS_TOKEN

    return WMS_TOKEN
