"""Every configured reader: built from the config, started and stopped together, reported.

Built by the app once the docks are loaded (``app._docks``), started in the background and
stopped before the store closes. A reader whose hardware is absent does not stop the
others nor the gate: it retries and shows ``disconnected``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

from gate.config.readers import LlrpOptions, ReaderConfig
from gate.ingest.readers.base import Reader, ScanSink
from gate.ingest.readers.crossread import CrossReads
from gate.ingest.readers.text import TextSerialReader, TextTcpReader


def _llrp(config: ReaderConfig, sink: ScanSink, cross: CrossReads | None = None) -> Reader:
    # llrpkit is imported only by a gate that has an LLRP reader: importing it costs every
    # start about a third of a second (python -X importtime).
    from gate.ingest.readers.llrp import LlrpReader

    return LlrpReader(config, sink, cross)


#: kind -> adapter
ADAPTERS: Final[Mapping[str, Callable[[ReaderConfig, ScanSink], Reader]]] = {
    "llrp": _llrp,
    "text-tcp": TextTcpReader,
    "text-serial": TextSerialReader,
}


class Readers:
    """The configured readers, in config order."""

    def __init__(self, readers: Sequence[Reader] = ()) -> None:
        self._readers = {r.name: r for r in readers}

    @classmethod
    def from_config(cls, configs: Sequence[ReaderConfig], sink: ScanSink) -> Readers:
        """The adapters; LLRP readers of more than one door share one cross-read arbiter."""
        portals = [c for c in configs if isinstance(c.options, LlrpOptions)]
        cross = None
        if len({c.door for c in portals}) > 1:
            cross = CrossReads(max(c.options.dedupe_window for c in portals))
        return cls(
            [
                _llrp(c, sink, cross) if c.kind == "llrp" else ADAPTERS[c.kind](c, sink)
                for c in configs
            ]
        )

    def __iter__(self) -> Iterator[Reader]:
        return iter(self._readers.values())

    def __len__(self) -> int:
        return len(self._readers)

    def __getitem__(self, name: str) -> Reader:
        return self._readers[name]

    async def start(self) -> None:
        """Starts every reader in the background; returns at once."""
        for reader in self:
            await reader.start()

    async def stop(self) -> None:
        """Stops every reader (together: each is bounded by its own stop timeout)."""
        await asyncio.gather(*(reader.stop() for reader in self))

    def docs(self) -> list[dict[str, Any]]:
        """``GET /api/v1/readers``: one entry per reader."""
        mono = time.monotonic()
        return [reader.doc(mono) for reader in self]
