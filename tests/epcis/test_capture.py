"""EPCIS at dispatch end to end: a real gate on a real socket and SQLite file, dispatching
through its API, and a real fake EPCIS repository (an aiohttp server in the test) that the
gate's sender delivers to. What arrives is checked against GS1's schema and the design's
event mapping; a 503, a 413, a stated capture limit, a refusal and a restart are survived."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gate.config.settings import load_config
from gate.core.epcis_hash import event_hash
from gate.core.gs1 import check_digit
from gate.errors import ConfigError
from gate.web import app_keys
from tests.epcis.fake_repository import Repository
from tests.epcis.schema import errors
from tests.service.harness import Gate, Gates, free_port, gtin_with, until

SITE = "urn:epc:id:sgln:4012345.00777.0"
DOOR = "urn:epc:id:sgln:4012345.00777.D1"


def sscc(serial: int) -> str:
    body = f"34012345{serial:09d}"
    return body + str(check_digit(body))


@pytest.fixture
async def repository() -> AsyncIterator[Repository]:
    r = Repository(free_port())
    await r.start()
    yield r
    await r.stop()


@pytest.fixture
def gyro(demo_config: Path) -> str:
    """A Category II item that clears to the US under the general licence."""
    return gtin_with(demo_config, "9.A.4")


@pytest.fixture
def epcis_config(demo_config: Path, repository: Repository, gyro: str) -> Path:
    """demo_config with an [epcis] section pointing at the repository, door D1's SGLN, the
    gyro's company prefix known, and short retry times."""
    text = demo_config.read_text()
    text, count = re.subn(r'(id = "D1"[^\n]*\n)', rf'\1sgln = "{DOOR}"\n', text, count=1)
    assert 1 == count
    text += (
        f'\n[epcis]\ncapture_url = "{repository.url}"\nsite_sgln = "{SITE}"\n'
        f'company_prefixes = ["{gyro[1:8]}"]\n'
        "retry_initial_seconds = 0.05\nretry_max_seconds = 0.2\nunreachable_alert_seconds = 1\n"
    )
    demo_config.write_text(text)
    return demo_config


async def dispatch(g: Gate, gyro: str, *, pallet: bool = False, sid: str = "S1") -> None:
    """A shipment to the US of two serialised gyros and one without a serial (and, with
    ``pallet``, a manifest pallet of three more gyros, two with serials), dispatched."""
    extra: dict[str, Any] = {}
    if pallet:
        contents = [{"gtin": gyro, "quantity": 3, "serials": ["PAL-1", "PAL-2"]}]
        extra["manifest"] = [{"sscc": sscc(1), "contents": contents}]
    consignee = {"name": "Kinetic Parts Inc", "country": "US"}
    await g.create(sid, destination="US", consignee=consignee, **extra)
    for code in (f"(01){gyro}(21)SN-1", f"(01){gyro}(21)SN-2", gyro):
        assert "clear" == (await g.scan(code))["decision"]
    if pallet:
        await g.scan(sscc(1))
    status, doc = await g.call("POST", f"/api/v1/shipments/{sid}/seal")
    assert (200, "cleared") == (status, doc["state"]), doc
    status, doc = await g.call("POST", f"/api/v1/shipments/{sid}/dispatch")
    assert (200, "dispatched") == (status, doc["state"]), doc


def rows(g: Gate) -> list[sqlite3.Row]:
    conn = sqlite3.connect(g.config.database)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM epcis_outbox ORDER BY id").fetchall()
    finally:
        conn.close()


def ids(events: list[dict[str, Any]]) -> list[str]:
    return [e["eventID"] for e in events]


async def test_a_dispatch_arrives_as_a_valid_document_with_the_designed_events(
    gates: Gates, epcis_config: Path, repository: Repository, gyro: str
) -> None:
    g = await gates.start()
    await dispatch(g, gyro, pallet=True)
    await until(lambda: repository.captured, "the document at the repository")
    headers, doc = repository.received[0]
    assert headers["Content-Type"].startswith("application/ld+json")
    assert "2.0.0" == headers["GS1-EPCIS-Version"]
    assert [] == errors(doc)
    shipping, pallet = doc["epcisBody"]["eventList"]
    cp, item = gyro[1:8], gyro[0] + gyro[8:13]
    assert "ObjectEvent" == shipping["type"]
    assert ("shipping", "in_transit") == (shipping["bizStep"], shipping["disposition"])
    assert [
        f"urn:epc:id:sgtin:{cp}.{item}.PAL-1",
        f"urn:epc:id:sgtin:{cp}.{item}.PAL-2",
        f"urn:epc:id:sgtin:{cp}.{item}.SN-1",
        f"urn:epc:id:sgtin:{cp}.{item}.SN-2",
    ] == shipping["epcList"]
    # One scanned without serial, one of the pallet's without: two units as a quantity.
    assert [{"epcClass": f"urn:epc:idpat:sgtin:{cp}.{item}.*", "quantity": 2}] == shipping[
        "quantityList"
    ]
    assert ({"id": DOOR}, {"id": SITE}) == (shipping["readPoint"], shipping["bizLocation"])
    assert shipping["bizTransactionList"][0]["bizTransaction"].endswith(":S1")
    assert "owning_party" == shipping["destinationList"][0]["type"]
    (line,) = shipping["gate:exportControl"]["gate:line"]
    assert ("clear", ["general_licence"], 6) == (
        line["gate:decision"],
        line["gate:reason"],
        line["gate:quantity"],
    )
    assert "AggregationEvent" == pallet["type"]
    assert "urn:epc:id:sscc:4012345.3000000001" == pallet["parentID"]
    # The ids are the events' own CBV 2.0 hashes, worked out again here.
    prefixes = {"gate": doc["@context"][1]["gate"]}
    assert ids([shipping, pallet]) == [event_hash(e, prefixes) for e in (shipping, pallet)]
    await until(lambda: rows(g)[0]["delivered_at"], "the delivery recorded")
    (row,) = rows(g)
    assert (repository.url + "/1", None) == (row["capture_job"], row["next_attempt_at"])
    assert json.loads(row["body"]) == doc
    assert [repository.url + "/1"] == g.app[app_keys.EPCIS].jobs
    status, text = await g.call("GET", "/metrics")
    assert 200 == status
    assert "gate_epcis_delivered 1.0" in text and "gate_epcis_backlog 0.0" in text


async def test_a_503_is_retried_with_the_same_document(
    gates: Gates, epcis_config: Path, repository: Repository, gyro: str
) -> None:
    repository.answers = [503, 503]
    g = await gates.start()
    await dispatch(g, gyro)
    await until(lambda: repository.captured, "the document captured after two 503s")
    assert 3 == len(repository.received)
    sent = [doc for _, doc in repository.received]
    assert sent[0] == sent[1] == sent[2]
    await until(lambda: rows(g)[0]["delivered_at"], "the delivery recorded")
    assert 3 == rows(g)[0]["attempts"]


async def test_a_413_splits_the_document_and_nothing_is_lost(
    gates: Gates, epcis_config: Path, repository: Repository, gyro: str
) -> None:
    repository.event_limit = 1  # answers 413 to a document of two events
    g = await gates.start()
    await dispatch(g, gyro, pallet=True)
    await until(lambda: len(repository.captured) == 2, "both halves captured")
    first = repository.received[0][1]
    assert 2 == len(first["epcisBody"]["eventList"])
    assert ids(first["epcisBody"]["eventList"]) == ids(repository.events)
    assert all([] == errors(doc) for doc in repository.captured)
    await until(lambda: all(r["next_attempt_at"] is None for r in rows(g)), "rows settled")
    whole, *parts = rows(g)
    assert (2, None) == (whole["split_into"], whole["delivered_at"])
    assert [1, 1] == [r["events"] for r in parts]
    assert all(r["delivered_at"] for r in parts)
    assert 1 == g.app[app_keys.EPCIS].event_limit  # learnt from the 413's header


async def test_a_stated_capture_limit_is_respected_before_any_413(
    gates: Gates, epcis_config: Path, repository: Repository, gyro: str
) -> None:
    repository.stated_limit = repository.event_limit = 1
    g = await gates.start()
    await until(lambda: g.app[app_keys.EPCIS].event_limit == 1, "the limit discovered")
    await dispatch(g, gyro, pallet=True)
    await until(lambda: len(repository.captured) == 2, "both parts captured")
    assert all(1 == len(doc["epcisBody"]["eventList"]) for _, doc in repository.received)


async def test_a_refusal_is_final_and_alerted(
    gates: Gates, epcis_config: Path, repository: Repository, gyro: str
) -> None:
    repository.answers = [400]
    g = await gates.start()
    alerts: list[dict[str, Any]] = []
    events = g.app[app_keys.EVENTS]
    publish = events.publish

    def spy(kind: str, data: dict[str, Any]) -> Any:
        if kind == "alert":
            alerts.append(data)
        return publish(kind, data)

    events.publish = spy  # type: ignore[method-assign]
    await dispatch(g, gyro)
    await until(lambda: rows(g)[0]["next_attempt_at"] is None, "the refusal recorded")
    assert "refused" in rows(g)[0]["last_error"]
    assert any(a["kind"] == "epcis_refused" for a in alerts)
    await dispatch(g, gyro, sid="S2")  # the next is sent, and the refused one is not again
    await until(lambda: repository.captured, "the next document")
    assert 2 == len(repository.received)


async def test_a_single_event_too_large_is_refused_not_split_forever(
    gates: Gates, epcis_config: Path, repository: Repository, gyro: str
) -> None:
    repository.event_limit = 0  # 413 to everything, stating no usable limit
    g = await gates.start()
    await dispatch(g, gyro, pallet=True)  # two events: split, then each part refused
    await until(
        lambda: len(rows(g)) == 3 and all(r["next_attempt_at"] is None for r in rows(g)),
        "the document split and both parts refused",
    )
    whole, *parts = rows(g)
    assert 2 == whole["split_into"]
    assert all("one event is larger" in r["last_error"] for r in parts)
    assert 3 == len(repository.received) and [] == repository.captured
    status, history = await g.call("GET", "/api/v1/shipments/S1/history")
    assert 200 == status, history
    summaries = [r["summary"] for r in history["records"] if r["kind"].startswith("epcis.")]
    assert summaries[0].startswith("EPCIS document split in 2")
    assert ["EPCIS events refused by the repository"] * 2 == [
        x.split(":")[0] for x in summaries[1:]
    ]


async def test_nothing_is_lost_across_a_restart_while_the_repository_is_down(
    gates: Gates, epcis_config: Path, repository: Repository, gyro: str
) -> None:
    await repository.stop()
    g = await gates.start()
    await dispatch(g, gyro, pallet=True)
    await until(lambda: rows(g)[0]["attempts"] >= 2, "tries while the repository is down")
    await gates.stop(g)
    (row,) = rows(g)
    assert row["next_attempt_at"] is not None and row["delivered_at"] is None
    queued = json.loads(row["body"])
    await repository.start()
    g = await gates.start()
    await until(lambda: repository.captured, "the document after the restart")
    assert [queued] == repository.captured
    await until(lambda: rows(g)[0]["delivered_at"], "the delivery recorded")


async def test_without_an_epcis_section_nothing_is_queued(gate: Gate, gyro: str) -> None:
    await dispatch(gate, gyro)
    assert [] == rows(gate)
    assert app_keys.EPCIS not in gate.app


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("site_sgln", '"urn:epc:id:sgln:4012345.0077.0"'), "12 digits"),
        (("site_sgln", '"4012345007770"'), "not an SGLN"),
        (("company_prefixes", '["12345"]'), "company_prefixes"),
        (("capture_url", '"ftp://epcis.example/capture"'), "capture_url"),
        (("namespace", '"gate"'), "namespace"),
        (("captureurl", '"http://x/capture"'), "unknown key epcis.captureurl"),
    ],
)
def test_bad_epcis_config_is_refused_by_name(
    epcis_config: Path, change: tuple[str, str], message: str
) -> None:
    key, value = change
    text = epcis_config.read_text()
    if re.search(rf"^{key} = .*$", text, flags=re.M):
        text = re.sub(rf"^{key} = .*$", f"{key} = {value}", text, flags=re.M)
    else:
        text += f"{key} = {value}\n"
    epcis_config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(epcis_config)


def test_a_bad_door_sgln_is_refused(epcis_config: Path) -> None:
    epcis_config.write_text(epcis_config.read_text().replace(DOOR, "urn:epc:id:sgln:1.2.3"))
    with pytest.raises(ConfigError, match=r"doors\[0\]\.sgln"):
        load_config(epcis_config)


def test_the_demo_configs_commented_example_loads(demo_config: Path) -> None:
    text = demo_config.read_text()
    text = re.sub(
        r"^# (sgln = |\[epcis\]|capture_url|site_sgln|company_prefixes|namespace)",
        r"\1",
        text,
        flags=re.M,
    )
    demo_config.write_text(text)
    config = load_config(demo_config)
    assert config.epcis is not None
    assert "urn:epc:id:sgln:0614141.00777.0" == config.epcis.site_sgln
    assert "urn:epc:id:sgln:0614141.00777.D1" == config.doors[0].sgln
