"""Shared setup of two attack13 tests: S1, ordinary goods for Acme, sealed and cleared; then
the notices list on disk names Acme (not yet reloaded)."""

from __future__ import annotations

from pathlib import Path

from gate.web import app_keys
from tests.service.harness import Gate, gtin_with

PARTY = "Acme Precision GmbH"


async def cleared_then_noticed(gate: Gate, demo_config: Path) -> None:
    """S1 created, scanned and sealed (cleared); Acme added to the notices list file."""
    await gate.create()
    await gate.scan(gtin_with(demo_config, ""))
    status, doc = await gate.call("POST", "/api/v1/shipments/S1/seal")
    assert (200, "cleared") == (status, doc["state"])
    notices = demo_config.parent / "lists" / "notices.csv"
    notices.write_text(notices.read_text() + f"{PARTY},,DE,DEMO-DN-2026-999,2026-11-01\n")


async def swapped_in_undecided(gate: Gate) -> None:
    """The new lists reloaded and swapped in, the re-decision of every live shipment left to
    the test."""
    screening = gate.app[app_keys.SCREENING]
    on_change, screening.on_change = screening.on_change, None
    assert await screening.reload("test")
    screening.on_change = on_change
