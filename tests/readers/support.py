"""What reader tests read back from a gate: its reader adapters, documents, the store."""

from __future__ import annotations

import json
from typing import Any

from gate.cli.simulate import sgtin96_hex
from gate.ingest.readers.base import Reader
from gate.ingest.readers.read_window import ReadWindow
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.service.harness import OPERATOR, Gate


def adapter(gate: Gate, name: str) -> Reader:
    return gate.app[app_keys.READERS][name]


async def readers_doc(gate: Gate) -> dict[str, dict[str, Any]]:
    """GET /api/v1/readers, by reader name."""
    status, body = await gate.call("GET", "/api/v1/readers")
    assert 200 == status, body
    return {r["name"]: r for r in body["readers"]}


async def lines_of(gate: Gate, shipment: str = "S1") -> dict[str, dict[str, Any]]:
    """The shipment's lines by key, via the HTTP API."""
    status, doc = await gate.call("GET", f"/api/v1/shipments/{shipment}")
    assert 200 == status, doc
    return {line["key"]: line for line in doc["lines"]}


async def north(gate: Gate, key: str) -> Any:
    """One field of the ``north`` reader's document (GET /api/v1/readers)."""
    return (await readers_doc(gate))["north"][key]


async def windows_at_least(gate: Gate, n: int) -> bool:
    """Whether the north portal has closed ``n`` read windows or more."""
    return int((await north(gate, "read_window"))["windows"]) >= n


async def outside_at_least(gate: Gate, n: int) -> bool:
    """Whether the north portal has heard ``n`` reads or more outside its windows."""
    return int((await north(gate, "read_window"))["outside_window"]) >= n


async def reads_at_least(gate: Gate, n: int) -> bool:
    """Whether the north portal has reported ``n`` reads or more."""
    return int(await north(gate, "reads")) >= n


async def counted(gate: Gate, key: str, n: int = 1) -> bool:
    """Whether line ``key`` of S1 holds exactly ``n`` units."""
    line = (await lines_of(gate)).get(key)
    return line is not None and n == line["quantity"]


async def door_hold(gate: Gate, door: str = "D1") -> dict[str, Any] | None:
    """The door's hold (GET /api/v1/doors/{door}), None when it is not held."""
    status, doc = await gate.call("GET", f"/api/v1/doors/{door}")
    assert 200 == status, doc
    return doc["hold"]  # type: ignore[no-any-return]


async def guarded_hold(gate: Gate, door: str = "D1") -> dict[str, Any] | None:
    """The door's hold once no sensor portal of it is down (None while one is, or if not
    held): a reader counts as up once it follows its sensor, a moment after it connects."""
    hold = await door_hold(gate, door)
    return hold if hold is not None and not hold["readers_down"] else None


async def acknowledge(gate: Gate, windows: int, door: str = "D1") -> tuple[int, dict[str, Any]]:
    """An operator acknowledges the door's hold, naming the windows they saw."""
    status, doc = await gate.call(
        "POST", f"/api/v1/doors/{door}/acknowledge", {"windows": windows}, auth=OPERATOR
    )
    return status, doc


async def dispatched_once_acknowledged(gate: Gate, windows: int, shipment: str = "S1") -> None:
    """The shipment's dispatch is refused while its door is held; an operator acknowledges
    the ``windows`` they saw, and then it dispatches."""
    status, problem = await gate.call("POST", f"/api/v1/shipments/{shipment}/dispatch")
    assert 409 == status and "is held" in problem["detail"], problem
    status, doc = await acknowledge(gate, windows)
    assert (200, None) == (status, doc["hold"]), doc
    status, doc = await gate.call("POST", f"/api/v1/shipments/{shipment}/dispatch")
    assert (200, "dispatched") == (status, doc["state"]), doc


async def assert_held_for_an_empty_window(gate: Gate, door: str = "D1") -> None:
    """The door is held: goods passed its portal without a readable tag."""
    hold = await door_hold(gate, door)
    assert hold is not None and "goods passed without a readable tag" == hold["reason"], hold


def pass_goods(window: ReadWindow, at: float, *tags: str) -> bool:
    """Goods pass ``window`` from ``at`` for a second with ``tags`` read; True when it settled
    empty."""
    window.open(at)
    for tag in tags:
        window.read(at + 0.2, tag=tag)
    window.close(at + 1.0)
    return window.settle(at + 1.0 + window.tail)


def stored_scans(gate: Gate, reader: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(scan_id, code, result) of every scan stored for ``reader``."""
    db = connect_readonly(gate.config.database)
    try:
        rows = db.execute(
            "SELECT scan_id, code, result FROM scans WHERE reader = ? ORDER BY rowid", (reader,)
        ).fetchall()
    finally:
        db.close()
    return [(sid, code, json.loads(result)) for sid, code, result in rows]


def journal(gate: Gate, actor: str) -> list[tuple[str, dict[str, Any]]]:
    """(kind, data) of the audit records made by ``actor``."""
    db = connect_readonly(gate.config.database)
    try:
        rows = db.execute(
            "SELECT kind, data FROM audit WHERE actor = ? ORDER BY seq", (actor,)
        ).fetchall()
    finally:
        db.close()
    return [(kind, json.loads(data)) for kind, data in rows]


def epc(gtin: str, serial: int) -> bytes:
    """The SGTIN-96 EPC of unit ``serial`` of ``gtin``, as the reader reports it."""
    return bytes.fromhex(sgtin96_hex(gtin, serial))
