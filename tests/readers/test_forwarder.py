"""Background forwarding of reads into the real scan path: group commits, and retries that
re-send the same scan ids so the gate stores each read once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gate.errors import Unavailable
from gate.ingest.readers.base import Forwarder, Result, Scan, ScanSink
from gate.ingest.readers.dedupe import PortalDedupe
from gate.ingest.readers.health import Backoff, ReaderHealth
from gate.service.docks import Docks
from gate.web import app_keys
from tests.readers.support import epc, lines_of, stored_scans
from tests.service.harness import Gates, gtin_with, until


class FlakySink(ScanSink):
    """Refuses the first batch outright; stores the second but loses the answer."""

    def __init__(self, docks: Docks) -> None:
        super().__init__(docks)
        self.calls: list[list[str]] = []

    async def submit(self, scans: Sequence[Scan], actor: str) -> list[Result]:
        self.calls.append([s["scan_id"] for s in scans])
        if len(self.calls) == 1:
            raise Unavailable("storage is busy")
        results = await super().submit(scans, actor)
        if len(self.calls) == 2:
            raise ConnectionError("the answer was lost after the commit")
        return results


async def test_refused_and_lost_batches_are_resent_and_stored_once(
    demo_config: Path, gates: Gates
) -> None:
    """A batch the gate refused, then one it stored without the answer coming back, are sent
    again under the same ids: each read is stored once and counted once."""
    plain = gtin_with(demo_config, "")
    gate = await gates.start()
    await gate.create("S1", "D1")
    sink = FlakySink(gate.app[app_keys.DOCKS])
    health = ReaderHealth("portal-9", "llrp", "D1", "test")
    settled: list[str] = []
    forwarder = Forwarder(
        sink,
        "reader:portal-9",
        health,
        max_pending=100,
        backoff=Backoff(0.01, 0.02),
        on_results=lambda batch, results: settled.extend(r["status"] for r in results),
        on_dropped=lambda tag: None,
    )
    dedupe = PortalDedupe(2.0)
    for serial in (1, 2, 3):
        tag = epc(plain, serial).hex().upper()
        sid = dedupe.admit(tag, 0.0, 1_700_000_000.0)
        assert sid is not None
        forwarder.put(tag, {"scan_id": sid, "reader": "portal-9", "door": "D1", "code": tag})
    forwarder.start()
    await until(lambda: settled, "a stored batch")
    await forwarder.close()

    assert 3 == len(sink.calls)
    assert sink.calls[0] == sink.calls[1] == sink.calls[2]
    assert ["duplicate"] * 3 == settled
    assert 3 == len(stored_scans(gate, "portal-9"))
    assert 3 == (await lines_of(gate))[plain]["quantity"]
    assert "the answer was lost" in (health.last_error or "")


async def test_pending_reads_are_bounded(gates: Gates) -> None:
    """While nothing is sent, at most max_pending reads wait; the oldest are given up and
    their tags forgotten, so a later read of them starts over."""
    gate = await gates.start()
    dropped: list[str] = []
    health = ReaderHealth("portal-9", "llrp", "D1", "test")
    forwarder = Forwarder(
        ScanSink(gate.app[app_keys.DOCKS]),
        "reader:portal-9",
        health,
        max_pending=2,
        backoff=Backoff(0.01, 0.02),
        on_results=lambda batch, results: None,
        on_dropped=dropped.append,
    )
    for i in range(5):
        forwarder.put(f"T{i}", {"scan_id": f"s{i}", "reader": "portal-9", "door": "D1"})
    assert (["T0", "T1", "T2"], 3, 2) == (dropped, health.dropped, len(forwarder.pending))
