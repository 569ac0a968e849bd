"""EPCIS at dispatch: the dispatch's change also queues its EPCIS document.

The docks' dispatch calls ``queue_dispatch`` with the change it is about to commit. With an
``[epcis]`` section, the shipment's document (``gate.core.epcis``) is built from the value
the dispatch decided, and its row written, by the change's own transaction: the
dispatch and its events commit together or not at all, so no dispatch is ever stored without
its events queued, and no events of a dispatch that did not happen are ever sent. The
change's ``epcis`` flag wakes the sender (``gate.links.epcis``) once it committed.

The serials of each line are handed to the builder as a mapping (line key -> serials), read
from their table (``gate.storage.serial_rows``, each line in its current epoch) in the write
step, from the same transaction as the dispatch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

from gate.config.settings import Config
from gate.core.epcis import build_document
from gate.core.shipment_values import Shipment
from gate.service.commit_step import Change
from gate.storage import epcis_rows, serial_rows


def line_serials(conn: sqlite3.Connection, shipment: Shipment) -> Mapping[str, Iterable[str]]:
    """The serials of each line of ``shipment`` (in its current epoch), by line key."""
    return {
        line.key: serial_rows.of_line(conn, shipment.id, line.key, line.epoch)
        for line in shipment.lines
        if line.serialised
    }


def queue_dispatch(change: Change, config: Config, shipment: Shipment) -> None:
    """Adds the EPCIS document of the dispatched ``shipment`` to ``change`` (nothing when
    the gate has no ``[epcis]`` section). A document that cannot be built (a shipment that is
    not dispatched: a bug) fails the dispatch's write rather than lose its events."""
    if config.epcis is None:
        return
    door = config.door(shipment.door)
    origin = config.epcis.origin(config.gate_id, None if door is None else door.sgln)
    at = shipment.closed_at or shipment.updated_at

    def write(conn: sqlite3.Connection) -> None:
        # Built here, on the store's writer thread: a truck of 20,000 serialised units takes
        # about half a second to build and hash, which the event loop must not wait out.
        document = build_document(shipment, line_serials(conn, shipment), origin)
        epcis_rows.queue(conn, shipment.id, document, at)

    change.sql.append(write)
    change.epcis = True
