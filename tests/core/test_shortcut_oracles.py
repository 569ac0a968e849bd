"""The scan path's shortcuts against the full computations they stand for (hypothesis).

Each shortcut has an oracle: ``signal_after`` against the signal read off every line; the
kept line index against an index built from the lines; ``Shipment.context`` and the kept
facts against a context and facts built afresh; every line's verdict, cover and the state
against deciding, covering and deriving every line again from those fresh facts; ``evolve``
against ``dataclasses.replace``. The histories mix what the shell does between scans: the
parties' hits set anew, the table, policy, data dates and licences swapped, the clock moved
without a re-evaluation, the parties amended.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate.core import shipments as sh
from gate.core.classification import Classification
from gate.core.countries import CountryGroups
from gate.core.facts import ListDate
from gate.core.gs1 import check_digit
from gate.core.hits import Hit, HitAction, PartyHits
from gate.core.identifiers import Identifier
from gate.core.licences import Approval, ApprovalDecision, StandingLicence
from gate.core.parties import Party
from gate.core.rules import ControlDates, Policy, assess
from gate.core.shipment_values import Line, Shipment, evolve, signal_after
from gate.core.shipments import _covered, _decided, _derive  # the oracle: the full settle
from gate.errors import GateError
from tests import serial_books
from tests.core.test_shipments import fresh_context

UTC = dt.UTC
NOW = dt.datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
GROUPS = CountryGroups.from_mapping(
    {"embargoed": ["IR", "KP"], "partners": ["DE", "FR", "AE"], "gulf": ["AE", "SA"]}
)
POLICIES = (
    Policy(GROUPS, embargo_groups=("embargoed",), general_licences=("partners",)),
    Policy(
        GROUPS,
        embargo_groups=("embargoed",),
        general_licences=("gulf",),
        catch_all_end_uses=frozenset({"drone racing"}),
        control_max_age_days=30,
    ),
)
KEYS = [f"0401234500{n:03d}{check_digit(f'0401234500{n:03d}')}" for n in range(5)]
CONTROLS = ["9.A.3", "2.A.1.a"]
PALLETS = ["340123450000000017", "340123450000000024"]
STRAY = "340123450000000031"
SETTINGS = settings(
    max_examples=int(os.environ.get("ORACLE_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
CONSIGNEE = sh.Consignee("Gulf Avionics", "AE")
OTHERS = (
    Party("end_user", "Desert Research Institute", "AE"),
    Party("forwarder", "Hamburg Freight", "DE"),
    Party("end_user", "Pyongyang Trading", "KP"),
)


def hit(action: HitAction, n: int) -> Hit:
    return Hit("list-a", f"E-{n}", "v1", f"entry {n}", 0.9, action, f"matched entry {n}")


@st.composite
def tables(draw: st.DrawFn) -> dict[str, Classification]:
    table: dict[str, Classification] = {}
    for key in KEYS:
        kind = draw(st.sampled_from(["none", "unlisted", "cat1", "cat2", "production", "odd"]))
        if kind == "none":
            continue
        category = {"unlisted": 0, "cat1": 1, "cat2": 2, "production": 1, "odd": 7}[kind]
        control = "" if category == 0 else draw(st.sampled_from(CONTROLS))
        flags = frozenset({"production"}) if kind == "production" else frozenset()
        table[key] = Classification(key, f"goods {key[-3:]}", control, category, "", flags)
    return table


@st.composite
def licence_pools(draw: st.DrawFn) -> tuple[StandingLicence, ...]:
    pool = []
    for n in range(draw(st.integers(0, 2))):
        quantity = draw(st.integers(0, 6))
        start = NOW + dt.timedelta(hours=draw(st.integers(-48, 6)))
        pool.append(
            StandingLicence(
                f"SL-{n}",
                "Gulf Avionics LLC",
                "AE",
                "AE",
                frozenset(draw(st.lists(st.sampled_from(CONTROLS), max_size=2))),
                quantity,
                draw(st.integers(0, quantity)),
                start,
                start + dt.timedelta(hours=draw(st.integers(1, 96))),
                category_1=draw(st.booleans()),
            )
        )
    return tuple(pool)


DATES = st.sampled_from(
    [
        ControlDates(NOW - dt.timedelta(days=5)),
        ControlDates(NOW - dt.timedelta(days=29, hours=23)),  # turns stale under policy 2
        ControlDates(NOW - dt.timedelta(days=200)),
        ControlDates(
            NOW - dt.timedelta(days=5), (ListDate("list-a", NOW - dt.timedelta(hours=20), 1),)
        ),
        ControlDates(NOW - dt.timedelta(days=5), (ListDate("list-a", None, 1),)),
    ]
)


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    contents = {
        pallet: [
            (k, q, [f"P{i}{j}" for j in range(draw(st.integers(0, q)))])
            for i, (k, q) in enumerate(
                draw(
                    st.lists(
                        st.tuples(st.sampled_from(KEYS), st.integers(1, 3)),
                        min_size=1,
                        max_size=3,
                        unique_by=lambda x: x[0],
                    )
                )
            )
        ]
        for pallet in PALLETS
    }
    # Serials must be unique per GTIN across the manifest.
    for n, pallet in enumerate(PALLETS):
        contents[pallet] = [(k, q, [f"{s}-{n}" for s in sers]) for k, q, sers in contents[pallet]]
    world: dict[str, Any] = {
        "tables": (draw(tables()), draw(tables())),
        "table": 0,
        "policy": 0,
        "dates": draw(DATES),
        "licences": draw(licence_pools()),
        "now": NOW,
    }
    world["shipment"] = sh.new_shipment(
        shipment_id="S-1",
        door="D1",
        destination=draw(st.sampled_from(["AE", "DE", "IR"])),
        consignee=CONSIGNEE,
        now=NOW,
        transit=draw(st.lists(st.sampled_from(["FR", "IR", "AE"]), max_size=2)),
        end_use=draw(st.sampled_from([None, "civil aviation", "military", "drone racing"])),
        manifest=sh.Manifest.from_mapping(contents),
        parties=draw(st.lists(st.sampled_from(OTHERS), max_size=2, unique=True)),
    )
    return world


def _broken(key: str) -> Classification | None:
    raise OSError(f"table unreadable at {key}")


def controls_of(world: dict[str, Any]) -> sh.Controls:
    """The controls now; table 2 is a table whose every lookup fails."""
    lookup = _broken if world["table"] == 2 else world["tables"][world["table"]].get
    return sh.Controls(POLICIES[world["policy"]], lookup, world["dates"], world["licences"])


SCAN = st.tuples(
    st.just("scan"),
    st.sampled_from(KEYS),
    st.none() | st.sampled_from("ABC"),
    st.sampled_from([False] * 9 + [True]),
)
HITS = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(list(HitAction)), st.integers(0, 2)),
    max_size=3,
)
EVENT = st.one_of(
    SCAN,
    SCAN,
    SCAN,
    SCAN,
    st.tuples(st.just("container"), st.sampled_from([*PALLETS, STRAY])),
    st.tuples(st.just("remove"), st.sampled_from([*KEYS, STRAY])),
    st.tuples(st.just("screen"), HITS),
    st.tuples(st.just("screen"), st.just([])),
    st.tuples(st.just("table"), st.integers(0, 2)),
    st.tuples(st.just("policy"), st.integers(0, 1)),
    st.tuples(st.just("dates"), DATES),
    st.tuples(st.just("licences"), licence_pools()),
    st.tuples(st.just("clock"), st.integers(1, 60 * 24 * 3)),
    st.tuples(
        st.just("amend"),
        st.lists(st.sampled_from(OTHERS), max_size=2, unique=True),
        st.sampled_from([None, "civil aviation", "military", "missile testing", "drone racing"]),
        st.lists(st.sampled_from(["FR", "IR", "AE"]), max_size=2),
        st.lists(st.sampled_from(["civil", "military", "uav"]), max_size=2),
    ),
    st.tuples(st.just("reevaluate")),
    st.tuples(st.just("seal")),
    st.tuples(st.just("approve"), st.booleans()),
    st.tuples(st.just("dispatch")),
)


def screening_of(shipment: Shipment, spec: list[tuple[int, HitAction, int]]) -> Shipment:
    """What the shell's ``screened`` does: every party with its hits, set on the shipment."""
    parties = shipment.context.all_parties
    found: dict[int, list[Hit]] = {}
    for who, action, n in spec:
        if who < len(parties):
            found.setdefault(who, []).append(hit(action, n))
    hits = tuple(
        PartyHits(p, tuple(dict.fromkeys(found.get(i, [])))) for i, p in enumerate(parties)
    )
    return shipment if hits == shipment.screening else evolve(shipment, screening=hits)


def step(world: dict[str, Any], shipment: Shipment, event: tuple[Any, ...]) -> sh.Transition | None:
    """Plays one event; None for what only changes the world (the shell's state)."""
    kind, now = event[0], world["now"]
    controls = controls_of(world)
    if kind == "scan":
        ident = Identifier("gs1", "x", key=event[1], serial=event[2])
        if world["table"] == 2:  # the lookup failed, as the shell reports it
            return serial_books.add_scan(
                shipment, ident, None, controls, now, lookup_error="OSError: unreadable"
            )
        found = world["tables"][world["table"]].get(event[1])
        if found is not None and event[3]:  # the table answered for another key
            found = dataclasses.replace(found, key=KEYS[(KEYS.index(event[1]) + 1) % len(KEYS)])
        return serial_books.add_scan(shipment, ident, found, controls, now)
    if kind == "container":
        ident = Identifier("sscc", event[1], sscc=event[1])
        return serial_books.add_scan(shipment, ident, None, controls, now)
    if kind == "remove":
        return sh.remove_line(shipment, event[1], controls, now)
    if kind == "amend":
        return sh.amend(
            shipment,
            controls,
            now,
            parties=event[1],
            end_use=event[2],
            transit=event[3],
            end_use_codes=event[4],
        )
    if kind == "reevaluate":
        return sh.reevaluate(shipment, controls, now)
    if kind == "seal":
        return sh.seal(shipment, controls, now)
    if kind == "dispatch":
        return sh.dispatch(shipment, controls, now)
    if kind == "approve":
        if not shipment.requests:
            return None
        request = shipment.requests[-1]
        approved = event[1]
        answer = Approval(
            request.request_id,
            shipment.id,
            ApprovalDecision.APPROVED if approved else ApprovalDecision.DENIED,
            None,
            "LIC-1" if approved else None,
            now + dt.timedelta(days=2) if approved else None,
        )
        return sh.apply_approval(shipment, answer, controls, now)
    if kind in ("table", "policy"):
        world[kind] = event[1]
    elif kind == "dates":
        world["dates"] = event[1]
    elif kind == "licences":
        world["licences"] = event[1]
    elif kind == "clock":
        world["now"] = now + dt.timedelta(minutes=event[1])
    return None


def history(
    world: dict[str, Any], events: list[tuple[Any, ...]]
) -> Iterator[tuple[Shipment, tuple[Any, ...], sh.Transition]]:
    """Each shipment before an event, the event and its transition (refused events skipped;
    a ``screen`` sets the hits on the shipment as the shell does before its next event)."""
    shipment: Shipment = world["shipment"]
    for event in events:
        if event[0] == "screen":
            shipment = screening_of(shipment, event[1])
            continue
        try:
            outcome = step(world, shipment, event)
        except GateError:
            continue
        if outcome is None:
            continue
        yield shipment, event, outcome
        shipment = outcome.shipment


def check_against_full(world: dict[str, Any], before: Shipment, t: sh.Transition) -> None:
    """The transition's shipment is what deciding, covering and deriving every line afresh
    at the transition's instant gives."""
    after = t.shipment
    if after is before or after.state in sh.FINAL:
        return
    controls, now = controls_of(world), world["now"]
    # The context the facts were kept for: the one the shipment's own fields give. The hits
    # the shipment carries are what its facts were made of (the merged hits, if merged).
    assert fresh_context(after) == after.context
    assert after.facts is not None
    kept_basis = after.facts.basis
    assert kept_basis is not None
    full = assess(controls.policy, fresh_context(after), controls.dates, now)
    assert full == after.facts
    for line in after.lines:
        redone = _decided(line, full)
        assert redone.verdict == line.verdict, (line.key, line.verdict, redone.verdict)
    covered = _covered(
        [evolve(line, covered_by=None) for line in after.lines],
        after,
        after.approvals,
        controls,
        now,
    )
    assert [c.covered_by for c in covered] == [line.covered_by for line in after.lines]
    assert _derive(after.lines, sealed=after.sealed_at is not None) is after.state


@SETTINGS
@given(worlds(), st.lists(EVENT, max_size=30))
def test_every_transition_equals_the_full_computation(
    world: dict[str, Any], events: list[tuple[Any, ...]]
) -> None:
    """After any event in any history of swapped tables, policies, dates, licences, hits and
    clock moves, the door signal ``signal_after`` gives, the kept line index, the kept context
    and facts, and every line's verdict and cover are what the full computation gives."""
    for before, event, t in history(world, events):
        after = t.shipment
        # 1. signal_after, for every transition (it claims to fall back when unsure).
        assert after.signal is signal_after(before, before.signal, t), event
        # 2. the index a shipment keeps.
        assert {line.key: i for i, line in enumerate(after.lines)} == dict(after.positions())
        for line in after.lines:
            assert after.line(line.key) is line
        # 3./ the full settle.
        check_against_full(world, before, t)
        # The scan answer's line is the shipment's line.
        if event[0] == "scan" and t.lines:
            assert after.line(event[1]) == t.lines[0]
        hypothesis.event(f"{event[0]}: {before.signal} -> {after.signal}")


@SETTINGS
@given(worlds(), st.lists(EVENT, max_size=30), st.data())
def test_evolve_is_replace(
    world: dict[str, Any], events: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    """``evolve`` gives what ``dataclasses.replace`` gives, every slot (compared ones and the
    kept facts and index) the same object, for shipments and lines of any history."""
    for _, _, t in history(world, events):
        shipment = t.shipment
        names = [f.name for f in dataclasses.fields(Shipment)]
        name = data.draw(st.sampled_from(names))
        value = getattr(data.draw(st.sampled_from([shipment, world["shipment"]])), name)
        a = evolve(shipment, **{name: value})
        b = dataclasses.replace(shipment, **{name: value})
        for f in names:
            assert getattr(a, f) is getattr(b, f), f
        for line in shipment.lines:
            c = evolve(line, removed=not line.removed)
            d = dataclasses.replace(line, removed=not line.removed)
            for f in (f.name for f in dataclasses.fields(Line)):
                assert getattr(c, f) is getattr(d, f), f


# --- targeted cases: each a way another line's decision could change without the read ------


PLAIN = Classification(KEYS[0], "bearing", "", 0, "", frozenset())
GYRO = Classification(KEYS[1], "gyro", "9.A.3", 2, "", frozenset())
STAGE = Classification(KEYS[2], "stage", "2.A.1.a", 1, "", frozenset({"production"}))
TABLE = {c.key: c for c in (PLAIN, GYRO, STAGE)}


def _scan(shipment: Shipment, key: str, controls: sh.Controls, now: dt.datetime) -> Any:
    ident = Identifier("gtin", key, key=key)
    return serial_books.add_scan(shipment, ident, TABLE.get(key), controls, now)


def _open(destination: str = "AE") -> Shipment:
    manifest = sh.Manifest.from_mapping({PALLETS[0]: [(KEYS[0], 2, []), (KEYS[2], 1, [])]})
    return sh.new_shipment(
        shipment_id="S-1",
        door="D1",
        destination=destination,
        consignee=CONSIGNEE,
        now=NOW,
        manifest=manifest,
    )


def _controls(policy: int = 0, dates: ControlDates | None = None) -> sh.Controls:
    return sh.Controls(POLICIES[policy], TABLE.get, dates or ControlDates(NOW - dt.timedelta(1)))


def _prohibit_hits(shipment: Shipment) -> Shipment:
    return evolve(shipment, screening=(PartyHits(CONSIGNEE.party, (hit(HitAction.PROHIBIT, 1),)),))


def _plain_then(change: str) -> tuple[Shipment, sh.Transition]:
    """An open shipment with a plain line (amber), then ``change`` done the shell's way
    between reads, then a repeat read of the plain unit: (before the read, the read)."""
    controls = _controls()
    shipment = _scan(_open(), KEYS[0], controls, NOW).shipment
    now = NOW
    if change == "sanctioned consignee":
        shipment = _prohibit_hits(shipment)
    elif change == "embargoed route":
        shipment = sh.amend(shipment, controls, now, transit=["IR"]).shipment
    elif change == "wmd end use, no re-decision":
        shipment = evolve(shipment, end_use="ballistic missile")
    elif change == "policy swapped":
        controls = _controls(1)
    elif change == "clock past a day":
        now = NOW + dt.timedelta(days=2)
    before = shipment
    return before, _scan(before, KEYS[0], controls, now)


@pytest.mark.parametrize(
    ("change", "signal"),
    [
        ("sanctioned consignee", sh.Signal.RED),
        ("embargoed route", sh.Signal.AMBER),
        ("wmd end use, no re-decision", sh.Signal.AMBER),
        ("policy swapped", sh.Signal.AMBER),
        ("clock past a day", sh.Signal.AMBER),
    ],
)
def test_a_repeat_read_after_a_change_between_reads_shows_every_lines_signal(
    change: str, signal: sh.Signal
) -> None:
    """A repeat read of a unit already decided, after the shell changed what the facts rest
    on, answers the signal every line gives (red for a sanctioned party), not the amber it
    would carry forward."""
    before, t = _plain_then(change)
    assert signal is t.shipment.signal is signal_after(before, sh.Signal.AMBER, t)
    check_against_full({"now": t.shipment.updated_at, **_world_of(change)}, before, t)


def _world_of(change: str) -> dict[str, Any]:
    return {
        "tables": (TABLE, TABLE),
        "table": 0,
        "policy": 1 if change == "policy swapped" else 0,
        "dates": ControlDates(NOW - dt.timedelta(1)),
        "licences": (),
    }


def test_a_removed_production_line_read_again_is_red() -> None:
    """A Category I production item unloaded (the door back to amber) and read again: the
    line starts again with the same inputs, is not decided again, and the door is red."""
    controls = _controls()
    s = _scan(_scan(_open(), KEYS[0], controls, NOW).shipment, KEYS[2], controls, NOW).shipment
    assert sh.Signal.RED is s.signal
    removed = sh.remove_line(s, KEYS[2], controls, NOW)
    assert sh.Signal.AMBER is signal_after(s, sh.Signal.RED, removed) is removed.shipment.signal
    again = _scan(removed.shipment, KEYS[2], controls, NOW)
    assert sh.Signal.RED is signal_after(removed.shipment, sh.Signal.AMBER, again)


def test_a_pallet_holding_a_production_item_is_red() -> None:
    """A manifest pallet read at an amber door expands into a plain line and a production
    line: the door is red."""
    controls = _controls()
    s = _scan(_open(), KEYS[0], controls, NOW).shipment
    pallet = serial_books.add_scan(
        s, Identifier("sscc", PALLETS[0], sscc=PALLETS[0]), None, controls, NOW
    )
    assert sh.Signal.RED is signal_after(s, sh.Signal.AMBER, pallet) is pallet.shipment.signal
