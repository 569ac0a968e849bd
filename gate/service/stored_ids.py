"""A filter of the scan ids the database holds: which ids of a batch can be retries at all.

Once the scan path's memory of recent ids has let one go (past its count, or at once after a
restart over a large database), every batch asks the database whether its ids were stored
before (``ScanIds.recall``, gate.service.scan_ids): one indexed read of each id, about 4 µs
of the loop a scan, for ids that are new nearly every time (a portal's reads, a scanner's
next label). This filter answers "certainly not stored" for most of them from memory, so
only the ids it may hold are read: a Bloom filter (three bits an id in a fixed array of
``BITS`` bits, 16 MiB, no object for the collector to walk), about 0.4 µs an id to ask and 1
µs to add.

It never says "not stored" of an id that is: it is built from every id in the database
(``build``, in a thread of its own after the start, while the scan path asks the database for
every id as before), and every id the scan path decides is added before its write (``add``),
from before the build began. A batch rolled back leaves its ids in the filter: a later
retry of one is read from the database and found new, as without the filter. A false "may
be stored" costs one indexed read, as before; with a million stored scans about one id in
100,000 (one in a thousand at five million, one in a hundred at ten million: the array is
fixed, so a database far past that asks the database for most ids again, as before).

Python's hash of text is keyed per process: the filter is only ever built and asked in the
process that holds it, and nobody outside can choose ids that collide in it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from gate.storage.schema import connect_readonly

log = logging.getLogger("gate.service.stored_ids")

#: Bits of the filter (a power of two): 2^27, 16 MiB.
BITS = 1 << 27
_MASK = BITS - 1
#: Rows read from the database between two pauses of the build (``PAUSE`` seconds): the
#: thread holds the interpreter lock while it hashes them, and the loop must get it back.
CHUNK = 5_000
PAUSE = 0.001

Ident = tuple[str, str, str]


class StoredIds:
    """Scan ids (client, reader, scan_id) the database may hold. ``ready`` once built: until
    then ``may_hold`` says yes of every id."""

    def __init__(self, bits: int = BITS) -> None:
        if bits & (bits - 1) or bits < 64:
            raise ValueError(f"the filter's size must be a power of two, not {bits}")
        self._bits = bytearray(bits >> 3)
        self._mask = bits - 1
        self.ready = False
        #: The hashes of ids added while the build runs: the thread sets their bits, so that
        #: only one thread ever writes the array (a byte's ``|=`` is not atomic).
        self._during: list[int] | None = None
        #: Ids the build read from the database.
        self.stored = 0
        #: Set when the build's task is cancelled: its thread stops at its next chunk.
        self._stopping = False

    def add(self, ident: Ident) -> None:
        """Takes an id the scan path is about to write."""
        h = hash(ident)
        if self._during is not None:
            self._during.append(h)
            return
        self._set(h)

    def may_hold(self, ident: Ident) -> bool:
        """False only for an id the database certainly does not hold."""
        if not self.ready:
            return True
        bits, mask = self._bits, self._mask
        h = hash(ident)
        a = h & mask
        if not bits[a >> 3] >> (a & 7) & 1:
            return False
        step = (h >> 27) & mask | 1
        a = (a + step) & mask
        if not bits[a >> 3] >> (a & 7) & 1:
            return False
        a = (a + step) & mask
        return bool(bits[a >> 3] >> (a & 7) & 1)

    def _set(self, h: int) -> None:
        bits, mask = self._bits, self._mask
        a = h & mask
        bits[a >> 3] |= 1 << (a & 7)
        step = (h >> 27) & mask | 1
        a = (a + step) & mask
        bits[a >> 3] |= 1 << (a & 7)
        a = (a + step) & mask
        bits[a >> 3] |= 1 << (a & 7)

    async def build(self, database: Path) -> None:
        """Adds every id stored in ``database`` (a thread reads them on a read-only
        connection of its own), then answers from the filter. Call once, on the loop. A
        failure is logged and leaves the filter unready: every id is read from the database,
        as without it."""
        if self.ready or self._during is not None:
            return
        self._during = []
        started = time.perf_counter()
        try:
            reached = await asyncio.to_thread(self._fill, database, self._during)
        except asyncio.CancelledError:
            self._stopping = True  # the gate stops: its thread must not outlive the store
            self._during = None
            raise
        except Exception as exc:  # the database's error or the thread's: logged, harmless
            self._during = None
            log.warning("stored scan ids not filtered (each batch reads them): %s", exc)
            return
        # On the loop, with no await: no add falls between the thread's last one and these.
        during, self._during = self._during, None
        for h in during[reached:]:
            self._set(h)
        self.ready = True
        log.info(
            "stored scan ids filtered: %d in %.2f s", self.stored, time.perf_counter() - started
        )

    def _fill(self, database: Path, during: list[int]) -> int:
        """In the build's thread: every stored id, then the ids added meanwhile; how many of
        ``during`` it took (the loop takes the rest)."""
        conn = connect_readonly(database)
        try:
            rows = conn.execute("SELECT client, reader, scan_id FROM scans")
            while chunk := rows.fetchmany(CHUNK):
                if self._stopping:
                    return 0
                for ident in chunk:
                    self._set(hash(ident))
                self.stored += len(chunk)
                time.sleep(PAUSE)
        finally:
            conn.close()
        reached = 0
        while reached < len(during):
            self._set(during[reached])
            reached += 1
        return reached
