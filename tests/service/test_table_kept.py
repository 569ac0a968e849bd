"""A bad catalogue row at start while a good table exists: the gate starts on the good
table with an alert, instead of taking the dock down; with no good table it refuses to start
(a real gate on a real socket, its table compiled from the demo sources)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gate.config.settings import load_config
from gate.errors import CompileError
from tests.service.harness import Gates, gtin_with


def spoil_catalogue(config: Path) -> Path:
    """Appends a row with an unknown control code, dated after the table."""
    catalogue = config.parent / "catalogue.csv"
    with catalogue.open("a") as f:
        f.write("09506000134352,Bolt with a typo,9.a.4\n")
    later = time.time() + 60
    os.utime(catalogue, (later, later))
    return catalogue


async def test_a_bad_row_keeps_the_good_table_with_an_alert(
    gates: Gates, demo_config: Path
) -> None:
    first = await gates.start()
    await first.create("S1")
    gyro = gtin_with(demo_config, "9.A.4")
    assert "9.A.4" == (await first.scan(gyro))["classification"]["control"]
    await gates.stop(first)
    table = load_config(demo_config).table.path
    kept = table.read_bytes()
    spoil_catalogue(demo_config)

    g = await gates.start()
    answer = await g.scan(gyro, scan_id="after-restart")
    assert ("accepted", "9.A.4") == (answer["status"], answer["classification"]["control"])
    status, doc = await g.call("GET", "/api/v1/status")
    assert 200 == status
    (alert,) = [a for a in doc["alerts"] if a["kind"] == "table_refused"]
    assert "critical" == alert["level"]
    assert "unknown control code '9.a.4'; did you mean 9.A.4?" in alert["text"]
    assert kept == table.read_bytes()
    status, ready = await g.call("GET", "/readyz", token=None)
    assert 200 == status, ready


async def test_a_bad_row_without_a_good_table_refuses_to_start(
    gates: Gates, demo_config: Path
) -> None:
    spoil_catalogue(demo_config)
    assert not load_config(demo_config).table.path.exists()
    with pytest.raises(CompileError, match=r"did you mean 9\.A\.4"):
        await gates.start()
