"""A batch decided in slices (``gate.service.scan_path.SLICE_SCANS``): a single scan at another
door is decided and stored between a portal batch's slices instead of after the whole batch,
and the batch is still answered whole, in order, once every slice is stored, on either writer;
a change to a shipment falls before or after a sliced batch, never between two of its slices
(``gate.service.slice_turns``)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from gate.errors import Unavailable
from gate.service.scan_path import SLICE_SCANS
from gate.web import app_keys
from tests.service.harness import Gate, Gates, gtin_with, until
from tests.service.test_writer_process import stored, writing_gate


@pytest.fixture(params=["process", "thread"])
def writer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GATE_WRITER", request.param)
    return str(request.param)


def portal(config: Path, n: int, tag: str, door: str = "D1") -> list[dict[str, str]]:
    """``n`` serialised reads of one unlisted GTIN at ``door``, scan ids ``tag-0``..."""
    gtin = gtin_with(config, "", 0)
    return [
        {
            "scan_id": f"{tag}-{i}",
            "reader": "portal",
            "door": door,
            "code": f"]C101{gtin}21{tag}{i}",
        }
        for i in range(n)
    ]


async def test_a_single_scan_is_stored_between_the_slices_of_a_portal_batch(
    writer: str, gates: Gates, demo_config: Path
) -> None:
    """A batch of two and a half slices at D1 and a single scan at D2 sent just after it: the
    single scan is decided after the first slice, so it is stored before the batch's later
    rows; both are answered accepted and the batch's answers are in its order."""
    g = await gates.start()
    await g.create("S1", "D1")
    await g.create("S2", "D2")
    docks = g.app[app_keys.DOCKS]
    # Each door's shipment read once, so neither request waits to load its serials.
    await docks.scans(portal(demo_config, 1, "warm"), "scanner")
    await docks.scans(portal(demo_config, 1, "warm", "D2"), "scanner")

    n = SLICE_SCANS * 2 + SLICE_SCANS // 2
    batch = portal(demo_config, n, "truck")
    answers, (alone,) = await asyncio.gather(
        docks.scans(batch, "scanner"), docks.scans(portal(demo_config, 1, "one", "D2"), "scanner")
    )
    assert [s["scan_id"] for s in batch] == [a["scan_id"] for a in answers]
    assert {"accepted"} == {a["status"] for a in answers}
    assert "accepted" == alone["status"]

    rows = stored(
        g.config.database, "SELECT scan_id FROM scans WHERE scan_id NOT LIKE 'warm%' ORDER BY rowid"
    )
    order = [row[0] for row in rows]
    assert n + 1 == len(order)
    assert SLICE_SCANS == order.index("one-0"), order
    assert [s["scan_id"] for s in batch] == [i for i in order if i != "one-0"]


async def test_a_sliced_batch_sent_again_is_answered_duplicate_from_every_slice(
    writer: str, gates: Gates, demo_config: Path
) -> None:
    """A batch of several slices sent twice: the second answers every scan ``duplicate``,
    and the shipment counts each unit once."""
    g = await gates.start()
    await g.create("S1", "D1")
    n = SLICE_SCANS * 3 + 1
    batch = portal(demo_config, n, "p")
    docks = g.app[app_keys.DOCKS]
    first = await docks.scans(batch, "scanner")
    again = await docks.scans(batch, "scanner")
    assert {"accepted"} == {a["status"] for a in first}
    assert {"duplicate"} == {a["status"] for a in again}
    assert [a["scan_id"] for a in first] == [a["scan_id"] for a in again]
    status, doc = await g.call("GET", "/api/v1/shipments/S1")
    assert (200, n) == (status, sum(line["quantity"] for line in doc["lines"]))
    assert [(n,)] == stored(g.config.database, "SELECT count(*) FROM scans")


async def test_a_batch_whose_later_slice_fails_is_refused_and_its_retry_completes_it(
    gates: Gates, demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer process killed while a batch's first slice is being written and the others
    wait: the batch is refused (503), never answered as stored; after a restart the same
    batch sent again is answered whole, each scan counted once."""
    g, writer = await writing_gate(gates, monkeypatch)
    docks = g.app[app_keys.DOCKS]
    n = SLICE_SCANS * 2 + 3
    batch = portal(demo_config, n, "k")
    writer.process.send_signal(signal.SIGSTOP)
    sent = asyncio.create_task(docks.scans(batch, "scanner"))
    await until(lambda: writer.pending >= 1, "the first slice handed over")
    writer.process.send_signal(signal.SIGKILL)
    with pytest.raises(Unavailable):
        await sent
    await gates.stop(g)

    again = await gates.start()
    answers = await again.app[app_keys.DOCKS].scans(batch, "scanner")
    assert [s["scan_id"] for s in batch] == [a["scan_id"] for a in answers]
    assert {"accepted", "duplicate"} >= {a["status"] for a in answers}
    status, doc = await again.call("GET", "/api/v1/shipments/S1")
    assert (200, n) == (status, sum(line["quantity"] for line in doc["lines"]))
    assert [(n,)] == stored(again.config.database, "SELECT count(*) FROM scans")


async def quantity(g: Gate, sid: str) -> int:
    status, doc = await g.call("GET", f"/api/v1/shipments/{sid}")
    assert 200 == status, doc
    return sum(line["quantity"] for line in doc["lines"])


async def test_a_seal_sent_while_a_batch_is_sliced_is_decided_after_the_whole_batch(
    writer: str, gates: Gates, demo_config: Path
) -> None:
    """A seal requested while a portal's batch of three slices is being decided waits for
    the whole batch (``gate.service.slice_turns``): every read is accepted into the open
    shipment, none is a read after the seal, the door is not held, and the seal's journal
    record comes after every scan's."""
    g = await gates.start()
    await g.create("S1", "D1")
    docks = g.app[app_keys.DOCKS]
    await docks.scans(portal(demo_config, 1, "warm"), "scanner")
    n = SLICE_SCANS * 3
    batch = portal(demo_config, n, "truck")
    answers, sealed = await asyncio.gather(docks.scans(batch, "scanner"), docks.seal("S1", "wms"))
    assert {"accepted"} == {a["status"] for a in answers}
    assert "cleared" == sealed.state.value  # sealed, every line clear
    assert n + 1 == await quantity(g, "S1")
    assert g.app[app_keys.HOLDS].held.get("D1") is None
    kinds = [row[0] for row in stored(g.config.database, "SELECT kind FROM audit ORDER BY seq")]
    assert "shipment.sealed" == kinds[-1], kinds[-5:]


async def test_a_batch_sent_after_a_waiting_seal_starts_after_it(
    writer: str, gates: Gates, demo_config: Path
) -> None:
    """Batch, seal, batch, sent in that order at one door: the seal waits for the first
    batch only, and the second starts after the seal (a steady portal cannot keep a seal
    waiting), so its new units are reads after the seal: refused, and the door held."""
    g = await gates.start()
    await g.create("S1", "D1")
    docks = g.app[app_keys.DOCKS]
    await docks.scans(portal(demo_config, 1, "warm"), "scanner")
    n = SLICE_SCANS * 2 + 1
    first, second = portal(demo_config, n, "a"), portal(demo_config, n, "b")
    before, _, after = await asyncio.gather(
        docks.scans(first, "scanner"), docks.seal("S1", "wms"), docks.scans(second, "scanner")
    )
    assert {"accepted"} == {a["status"] for a in before}
    assert {"rejected"} == {a["status"] for a in after}
    assert n + 1 == await quantity(g, "S1")
    assert g.app[app_keys.HOLDS].held.get("D1") is not None
    assert 0 == docks.scan_path.turns.busy()
