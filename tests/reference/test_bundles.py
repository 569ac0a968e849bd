"""Signed reference data from the office (DESIGN 4): a bundle made with ``gate bundle make`` and
served over real HTTP is verified, loaded and swapped in by a running gate; a tampered file, an
older version (rollback), an expired one, one signed by another key, and one whose contents do
not load are each refused with an alert and a journal record, and change nothing. Nothing in
a bundle is younger than its ``published`` time, and data with an older date of its own is as
old as that (2.3)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from gate.cli.main import main
from gate.config.settings import load_config
from gate.links.reference.repository import Sources, load_signer, make_bundle, new_key
from gate.service.events import Event
from gate.web import app_keys
from gate.web.page.render.side import render_side
from tests.conftest import free_port
from tests.service.harness import CONFIGS, Gate, Gates, catalogue_rows, gtin_with, until

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
PUBLISHED = NOW - dt.timedelta(days=2)


class Office:
    """The office: its own copy of the data, its key, its repository folder, and a real HTTP
    server serving ``served`` (what gates see: a copy of the repository, or of an old one)."""

    def __init__(self, root: Path) -> None:
        self.data = root / "office-data"
        shutil.copytree(CONFIGS, self.data)
        self.key = root / "office.pem"
        new_key(self.key)
        self.repo = root / "repo"
        self.served = root / "served"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.runner: web.AppRunner | None = None

    def make(self, **kw: Any) -> int:
        """The next bundle of the office's data, published (served)."""
        sources = Sources.from_config(load_config(self.data / "gate.toml"))
        key = load_signer(kw.pop("key", self.key))
        made = make_bundle(sources, kw.pop("repo", self.repo), key, **kw)
        return made.version

    def publish(self, repo: Path | None = None) -> None:
        shutil.rmtree(self.served, ignore_errors=True)
        shutil.copytree(repo or self.repo, self.served)

    def set_control(self, gtin: str, control: str) -> None:
        """Changes one catalogue row's control code in the office's data."""
        path = self.data / "catalogue.csv"
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.startswith(gtin + ","):
                head = line.rsplit(",", 1)[0]
                lines[i] = f"{head},{control}"
        path.write_text("\n".join(lines) + "\n")

    async def start(self) -> None:
        self.served.mkdir(exist_ok=True)
        app = web.Application()
        app.router.add_static("/", self.served)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def point_gate(config: Path, office: Office, poll_seconds: float = 3600) -> None:
    """The gate's config: ``[central] reference_url`` and the office's root it trusts."""
    shutil.copy(office.repo / "root.json", config.parent / "office-root.json")
    text = config.read_text().replace(
        "[central]\n", f'[central]\nreference_url = "{office.url}"\n', 1
    )
    text += f'\n[reference]\nroot = "office-root.json"\npoll_seconds = {poll_seconds}\n'
    config.write_text(text)


async def gate_at_v1(gates: Gates, demo_config: Path, office: Office) -> Gate:
    """A gate that pulled and applied the office's first bundle."""
    office.make(published=PUBLISHED)
    office.publish()
    point_gate(demo_config, office)
    gate = await gates.start()
    swap = gate.app[app_keys.REFERENCE]
    await until(lambda: swap.applied is not None and swap.applied.version == 1, "bundle v1")
    return gate


def alerts(gate: Gate, kind: str) -> list[dict[str, Any]]:
    recent: list[Event] = list(gate.app[app_keys.EVENTS].kept())
    return [e.data for e in recent if e.kind == "alert" and e.data.get("kind") == kind]


def journaled(gate: Gate, kind: str) -> list[str]:
    with sqlite3.connect(gate.config.database) as db:
        return [r[0] for r in db.execute("SELECT data FROM audit WHERE kind = ?", (kind,))]


async def control_of(gate: Gate, gtin: str) -> str | None:
    status, body = await gate.call("GET", f"/api/v1/items/{gtin}")
    assert 200 == status, body
    return None if body["classification"] is None else str(body["classification"]["control"])


async def test_bundle_made_by_the_cli_is_verified_and_swapped_in(
    gates: Gates, demo_config: Path, office_repo: Office
) -> None:
    """A bundle from ``gate bundle make``, served over HTTP, replaces the table, re-decides
    the open shipment, dates each source no later than its ``published`` and is reported
    everywhere."""
    office = office_repo
    unlisted = gtin_with(demo_config, "")
    controlled = gtin_with(demo_config, "2.A")
    code = next(c for g, _, c in _rows(demo_config) if g == controlled)
    office.set_control(unlisted, code)
    published = PUBLISHED.isoformat()
    assert 0 == main(
        [
            "bundle",
            "make",
            "--config",
            str(office.data / "gate.toml"),
            "--key",
            str(office.key),
            "-o",
            str(office.repo),
            "--published",
            published,
        ]
    )
    office.publish()
    # In a thread: the office's server runs on this loop.
    verify = ["bundle", "verify", "--root", str(office.repo / "root.json"), office.url]
    assert 0 == await asyncio.to_thread(main, verify)
    point_gate(demo_config, office, poll_seconds=1)
    gate = await gates.start()
    swap = gate.app[app_keys.REFERENCE]
    await until(lambda: swap.applied is not None, "the bundle applied")

    assert code == await control_of(gate, unlisted)
    status, lists = await gate.call("GET", "/api/v1/lists")
    assert 200 == status
    assert {"version": 1, "published": published, "refused": None} == lists["bundle"]
    # Each source is as old as the older of its own date and the bundle's (audit14): the
    # control list by its Annex date, the UN list by its dateGenerated, the undated lists by
    # the bundle.
    assert "2024-10-01T00:00:00+00:00" == lists["control_list"]["published"]
    dated = {item["name"]: item["published"] for item in lists["lists"]}
    assert "2026-02-27T00:00:00+00:00" == dated.pop("un")
    assert {published} == set(dated.values())
    # 48 hours when the module was imported (NOW), plus however long the suite has run since.
    (age,) = {item["age_hours"] for item in lists["lists"] if item["name"] != "un"}
    since = (dt.datetime.now(dt.UTC) - NOW).total_seconds() / 3600
    assert 48.0 <= age <= 48.0 + since + 0.1, (age, since)
    status, metrics = await gate.call("GET", "/metrics")
    assert "gate_reference_bundle_version 1.0" in metrics
    status, page = await gate.call("GET", "/api/v1/status")
    assert 200 == status
    assert f"v1 ({published[:10]})" in render_side(page)
    assert 1 == len(journaled(gate, "reference.applied"))

    # The open shipment is decided again with the next bundle, found by the timer.
    await gate.create("S1")
    await gate.scan(unlisted)
    office.set_control(unlisted, "")
    assert 2 == office.make(published=NOW)
    office.publish()
    await until(lambda: swap.applied is not None and swap.applied.version == 2, "bundle v2")
    assert await control_of(gate, unlisted) is None

    async def line_controls() -> list[str | None]:
        _, shipment = await gate.call("GET", "/api/v1/shipments/S1")
        return [line["control"] for line in shipment["lines"]]

    # Re-decided in the swap's step, which ends after the bundle is in use.
    await until(lambda: _is([None], line_controls()), "the line decided again")


async def _is(expected: Any, found: Any) -> bool:
    return bool(expected == await found)


def _rows(config: Path) -> list[tuple[str, str, str]]:
    return catalogue_rows(config)


async def assert_refused(gate: Gate, check: str, control: str | None, gtin: str) -> None:
    """One poll refuses the served bundle on ``check``; v1 and its data stay in use."""
    poller = gate.app[app_keys.REFERENCE_POLLER]
    swap = gate.app[app_keys.REFERENCE]
    assert not await poller.poll()
    assert swap.applied is not None
    assert 1 == swap.applied.version
    assert [check] == [a["check"] for a in alerts(gate, "reference_refused")]
    assert [check] == [r for r in _checks(journaled(gate, "reference.refused"))]
    assert control == await control_of(gate, gtin)
    _, lists = await gate.call("GET", "/api/v1/lists")
    assert (1, check) == (lists["bundle"]["version"], lists["bundle"]["refused"]["check"])


def _checks(records: list[str]) -> list[str]:
    return [json.loads(r)["check"] for r in records]


@pytest.fixture
async def at_v1(gates: Gates, demo_config: Path, office_repo: Office) -> tuple[Gate, str, str]:
    """A gate at bundle v1, an unlisted GTIN the office will control in v2, and its code."""
    gate = await gate_at_v1(gates, demo_config, office_repo)
    gtin = gtin_with(demo_config, "")
    office_repo.set_control(gtin, next(c for _, _, c in _rows(demo_config) if c))
    return gate, gtin, ""


async def test_a_tampered_file_is_refused(
    at_v1: tuple[Gate, str, str], office_repo: Office
) -> None:
    """A served file that differs from the signed one (its hash) refuses the whole bundle."""
    gate, gtin, _ = at_v1
    office_repo.make(published=NOW)
    office_repo.publish()
    for path in (office_repo.served / "targets").glob("*.countries.toml"):
        path.write_text(path.read_text().replace('"DE"', '"FR"'))
    for path in (office_repo.served / "targets" / "catalogues").glob("*"):
        path.write_bytes(path.read_bytes() + b"\n")
    await assert_refused(gate, "hash", None, gtin)


async def test_an_older_bundle_is_refused(
    at_v1: tuple[Gate, str, str], office_repo: Office, tmp_path: Path
) -> None:
    """Rollback: after v2 the office's v1, served again, is refused; v2 stays."""
    gate, gtin, _ = at_v1
    old = tmp_path / "repo-v1"
    shutil.copytree(office_repo.repo, old)
    office_repo.make(published=NOW)
    office_repo.publish()
    poller = gate.app[app_keys.REFERENCE_POLLER]
    assert await poller.poll()
    swap = gate.app[app_keys.REFERENCE]
    assert swap.applied is not None
    assert 2 == swap.applied.version
    control = await control_of(gate, gtin)
    assert control is not None
    office_repo.publish(old)
    assert not await poller.poll()
    assert 2 == swap.applied.version
    assert ["rollback"] == [a["check"] for a in alerts(gate, "reference_refused")]
    assert ["rollback"] == _checks(journaled(gate, "reference.refused"))
    assert control == await control_of(gate, gtin)


async def test_an_expired_bundle_is_refused(
    at_v1: tuple[Gate, str, str], office_repo: Office
) -> None:
    """Freeze: a bundle whose signatures ran out is refused."""
    gate, gtin, _ = at_v1
    office_repo.make(published=NOW - dt.timedelta(days=9), expires=NOW - dt.timedelta(days=1))
    office_repo.publish()
    await assert_refused(gate, "expired", None, gtin)


async def test_a_bundle_signed_by_another_key_is_refused(
    at_v1: tuple[Gate, str, str], office_repo: Office, tmp_path: Path
) -> None:
    """A repository signed by a key the gate's root does not name is refused."""
    gate, gtin, _ = at_v1
    other = tmp_path / "other.pem"
    new_key(other)
    forged = tmp_path / "forged"
    for _ in range(3):
        office_repo.make(key=other, repo=forged, published=NOW)
    office_repo.publish(forged)
    await assert_refused(gate, "signature", None, gtin)


async def test_a_bundle_whose_contents_do_not_load_is_refused(
    at_v1: tuple[Gate, str, str], office_repo: Office
) -> None:
    """Signed and intact, but its country groups do not parse: refused whole, table too."""
    gate, gtin, _ = at_v1
    (office_repo.data / "countries.toml").write_text("[un_arms_embargo]\nmembers = [\n")
    office_repo.make(published=NOW)
    office_repo.publish()
    await assert_refused(gate, "load", None, gtin)
    assert 1 == gate.app[app_keys.DOCKS].config.bundle.version  # type: ignore[union-attr]


async def test_a_restart_keeps_the_bundle_while_the_office_is_away(
    gates: Gates, demo_config: Path, office_repo: Office, caplog: pytest.LogCaptureFixture
) -> None:
    """The bundle in use is loaded from the gate's own folder at start, not the config's
    older files, when the office cannot be reached, and after a newer one was refused. The
    office out of reach is a warning in the log as on the page (nothing was refused)."""
    gtin = gtin_with(demo_config, "")
    code = next(c for _, _, c in _rows(demo_config) if c)
    office_repo.set_control(gtin, code)
    gate = await gate_at_v1(gates, demo_config, office_repo)
    assert code == await control_of(gate, gtin)
    (office_repo.data / "countries.toml").write_text("not toml [")
    office_repo.set_control(gtin, "")
    office_repo.make(published=NOW)
    office_repo.publish()
    assert not await gate.app[app_keys.REFERENCE_POLLER].poll()
    await gates.stop(gate)
    await office_repo.stop()
    gate = await gates.start()
    swap = gate.app[app_keys.REFERENCE]
    assert swap.applied is not None
    assert 1 == swap.applied.version
    assert code == await control_of(gate, gtin)
    await until(lambda: alerts(gate, "reference_refused"), "the unreachable office alerted")
    assert ["download"] == [a["check"] for a in alerts(gate, "reference_refused")]
    logged = [r for r in caplog.records if "Reference bundle refused (download)" in r.message]
    assert logged and {"WARNING"} == {r.levelname for r in logged}


async def test_clearances_in_a_bundle_are_stored_journaled_and_applied(
    at_v1: tuple[Gate, str, str], office_repo: Office, tmp_path: Path
) -> None:
    """The office's clearances travel in the bundle: each is stored and journaled once and
    stops that entry for that party, like one sent by callback."""
    gate, _, _ = at_v1
    orbital = "DEMO-DN-2024-021"  # the notices' "Orbital Tradewinds LLC"
    party = {"name": "Orbital Tradewinds Holding LLC", "country": "US"}
    status, found = await gate.call("POST", "/api/v1/screen", party)
    version = next(h["version"] for h in found["hits"] if h["entry"] == orbital)
    clearances = tmp_path / "clearances.json"
    clearance = {"party": party, "list": "notices", "entry": orbital, "version": version}
    clearances.write_text(json.dumps([clearance]))
    sources = Sources.from_config(load_config(office_repo.data / "gate.toml"), clearances)
    make_bundle(sources, office_repo.repo, load_signer(office_repo.key), published=NOW)
    office_repo.publish()
    assert await gate.app[app_keys.REFERENCE_POLLER].poll()
    status, found = await gate.call("POST", "/api/v1/screen", party)
    assert 200 == status
    assert orbital not in {h["entry"] for h in found["hits"]}
    _, listed = await gate.call("GET", "/api/v1/clearances")
    assert [(orbital, True)] == [(c["entry"], c["active"]) for c in listed["clearances"]]
    assert 1 == len(journaled(gate, "clearance.added"))
    # The same clearance in the next bundle is not stored twice.
    make_bundle(sources, office_repo.repo, load_signer(office_repo.key), published=NOW)
    office_repo.publish()
    assert await gate.app[app_keys.REFERENCE_POLLER].poll()
    assert 1 == len(journaled(gate, "clearance.added"))
    assert 3 == len(journaled(gate, "reference.applied"))


async def test_a_bundle_changed_on_the_gates_disk_is_not_started_on(
    gates: Gates, demo_config: Path, office_repo: Office
) -> None:
    """At start the bundle in use is checked again: a file changed on disk since makes the
    gate start on its config's files (and fetch the bundle again), never on the changed one."""
    gtin = gtin_with(demo_config, "")
    office_repo.set_control(gtin, next(c for _, _, c in _rows(demo_config) if c))
    gate = await gate_at_v1(gates, demo_config, office_repo)
    await gates.stop(gate)
    reference = gate.config.reference
    assert reference is not None
    catalogue = next((reference.bundles_dir / "v1" / "catalogues").glob("*.csv"))
    catalogue.write_bytes(catalogue.read_bytes() + b"\n")
    await office_repo.stop()
    gate = await gates.start()
    assert gate.app[app_keys.REFERENCE].applied is None
    assert await control_of(gate, gtin) is None


async def test_an_old_published_time_makes_the_data_stale_and_holds(
    at_v1: tuple[Gate, str, str], office_repo: Office
) -> None:
    """The bundle's ``published`` is the data's age: re-signed today, data published long ago
    is stale, and every line holds (row 12), though the files are the same."""
    gate, _, _ = at_v1
    await gate.create("S1")
    result = await gate.scan(gtin_with(gate.config.path, ""))
    assert "stale_data" not in result["reasons"]
    office_repo.make(published=NOW - dt.timedelta(days=1500), expires=NOW + dt.timedelta(days=1))
    office_repo.publish()
    assert await gate.app[app_keys.REFERENCE_POLLER].poll()
    _, lists = await gate.call("GET", "/api/v1/lists")
    assert {False} == {item["fresh"] for item in lists["lists"]}
    assert (1500, False) == (lists["control_list"]["age_days"], lists["control_list"]["fresh"])
    _, shipment = await gate.call("GET", "/api/v1/shipments/S1")
    assert ["stale_data"] == [r for r in shipment["lines"][0]["reasons"] if r == "stale_data"]
