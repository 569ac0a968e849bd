"""Helpers for reader tests: a gate whose config has ``[[readers]]``, waiting, the store."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from gate.cli.simulate import sgtin96_hex
from gate.ingest.readers.base import Reader
from gate.storage.store import connect_readonly
from gate.web import app_keys
from tests.service.harness import Gate, start_gate

TIMEOUT = 15.0  # generous: only a hung reader or gate ever reaches it


def add_readers(config_path: Path, toml: str) -> None:
    """Appends ``[[readers]]`` tables to the config file."""
    with config_path.open("a") as f:
        f.write("\n" + toml.strip() + "\n")


async def start_with_readers(config_path: Path, toml: str) -> Gate:
    add_readers(config_path, toml)
    return await start_gate(config_path)


def adapter(gate: Gate, name: str) -> Reader:
    return gate.app[app_keys.READERS][name]


async def until(
    check: Callable[[], Any] | Callable[[], Awaitable[Any]],
    what: str,
    timeout: float = TIMEOUT,
) -> Any:
    """Polls ``check`` (sync or async) until it returns something truthy; returns that."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: Any = None
    while loop.time() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


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
