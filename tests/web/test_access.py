"""Who may do what is one table (gate.core.access), pinned to DESIGN.md's sentence, and the
web layer keeps one owner per idea: roles, the code length limit, the msgpack type, the
clock (issue 10.3)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gate.config.settings import ROLES
from gate.core.access import MAY, Action, Role, may, roles_for
from tests.conftest import SCANNER_TOKEN
from tests.service.harness import Gate, basic, start_gate, stop_gate

PACKAGE = Path(__file__).resolve().parents[2] / "gate"
#: gate/web's modules, the status page's (gate/web/page) included.
WEB_MODULES = sorted((PACKAGE / "web").rglob("*.py"))
#: Every module of the running gate above storage: what serves, links and is served.
RUNNING_MODULES = sorted(
    p for layer in ("service", "links", "ingest", "web") for p in (PACKAGE / layer).rglob("*.py")
)


@pytest.fixture
async def gate(demo_config: Path) -> AsyncIterator[Gate]:
    g = await start_gate(demo_config)
    yield g
    await stop_gate(g)


def test_table_reads_like_the_design() -> None:
    """`scanner` may post scans only; `wms` may create, seal, dispatch and cancel shipments
    and read everything; `operator` may read everything, seal, remove lines, dispatch and
    cancel (DESIGN.md "Who may do what"); `wms` and `operator` may screen a party (DESIGN 4,
    `POST /screen`); only an `operator` (a person at the door) acknowledges a door held for
    goods that passed without a readable tag (DESIGN 4, "The door itself")."""
    assert {
        Role.SCANNER: {Action.SCAN},
        Role.WMS: {
            Action.READ,
            Action.CREATE,
            Action.SEAL,
            Action.DISPATCH,
            Action.CANCEL,
            Action.SCREEN,
        },
        Role.OPERATOR: {
            Action.READ,
            Action.SEAL,
            Action.REMOVE_LINE,
            Action.DISPATCH,
            Action.CANCEL,
            Action.SCREEN,
            Action.ACKNOWLEDGE_DOOR,
            Action.ACKNOWLEDGE,
        },
    } == {role: set(actions) for role, actions in MAY.items()}


def test_nobody_at_the_gate_releases_a_hold() -> None:
    """No role may release a licence hold or clear a screening hit (only a signed approval or
    clearance can), and an unknown
    role may do nothing."""
    assert frozenset() == roles_for(Action.RELEASE_HOLD)
    assert frozenset() == roles_for(Action.CLEAR_HIT)
    assert [] == [a for a in Action if may("central", a) or may("", a)]


def test_web_modules_define_no_role_sets() -> None:
    """No module of gate/web (the page's included) spells out which roles may do
    something: they name actions."""
    spelled = re.compile(r"frozenset\(\{[^}]*\"(scanner|wms|operator)\"")
    assert [] == [p.name for p in WEB_MODULES if spelled.search(p.read_text())]


def test_settings_take_the_role_names_from_the_table() -> None:
    """The configuration accepts exactly the roles of gate.core.access."""
    assert {role.value for role in Role} == set(ROLES)


@pytest.mark.parametrize(
    ("pattern", "owner"),
    [
        (r"\b512\b", None),
        (r"\"application/msgpack\"", "negotiation.py"),
    ],
    ids=["code-length", "msgpack-type"],
)
def test_one_owner_per_idea_in_the_running_gate(pattern: str, owner: str | None) -> None:
    """The code length limit comes from gate.core.identifiers and the msgpack type is
    defined in gate.web.negotiation only (in the service, the links and the web face)."""
    found = [p.name for p in RUNNING_MODULES if re.search(pattern, p.read_text())]
    assert ([] if owner is None else [owner]) == found


#: A read of the time of day (monotonic timers for rates and timeouts are not).
CLOCK_READ = re.compile(r"datetime\.now\(|datetime\.utcnow\(|\btime\.time\(\)|date\.today\(")


def clock_readers(root: Path, modules: list[Path]) -> list[str]:
    """The modules (relative to ``root``) that read the time of day themselves."""
    return [str(p.relative_to(root)) for p in modules if CLOCK_READ.search(p.read_text())]


def test_only_the_clock_module_reads_the_time_of_day() -> None:
    """In gate/service, gate/links and gate/web the wall time is read by gate.service.clock
    alone; everything else is handed a clock (normally the docks')."""
    assert ["service/clock.py"] == clock_readers(PACKAGE, RUNNING_MODULES)


def test_a_module_that_reads_the_clock_is_found(tmp_path: Path) -> None:
    """The clock check can fail: a module calling datetime.now or time.time is named,
    one timing with time.monotonic is not."""
    (tmp_path / "now.py").write_text("import datetime as dt\nAT = dt.datetime.now(dt.UTC)\n")
    (tmp_path / "epoch.py").write_text("import time\nAT = time.time()\n")
    (tmp_path / "timer.py").write_text("import time\nSTART = time.monotonic()\n")
    assert ["epoch.py", "now.py"] == clock_readers(tmp_path, sorted(tmp_path.glob("*.py")))


async def test_a_role_not_in_the_table_row_is_403(gate: Gate) -> None:
    """A scanner's token may not read shipments: 403 problem naming the action and who may."""
    status, doc = await gate.call("GET", "/api/v1/shipments", token=SCANNER_TOKEN)
    assert (403, "role 'scanner' may not read (allowed: operator, wms)") == (
        status,
        doc["detail"],
    )


async def test_an_operator_may_not_amend_and_is_told_so(gate: Gate) -> None:
    """PATCH is the WMS's (the create action): an operator's 403 says create or amend
    shipments, not only create."""
    await gate.create()
    status, doc = await gate.call(
        "PATCH",
        "/api/v1/shipments/S1",
        {"end_use": "pumps"},
        auth=basic("ops", "demo-ops-password"),
    )
    assert (403, "role 'operator' may not create or amend shipments (allowed: wms)") == (
        status,
        doc["detail"],
    )


async def test_the_page_fragments_ask_the_table(gate: Gate) -> None:
    """The status page's fragments are READ in the table: the WMS's token may fetch them,
    a scanner's is 403 naming the action and who may."""
    status, _ = await gate.call("GET", "/page/doors")
    assert 200 == status
    status, doc = await gate.call("GET", "/page/doors", token=SCANNER_TOKEN)
    assert (403, "role 'scanner' may not read (allowed: operator, wms)") == (
        status,
        doc["detail"],
    )
