"""EPCIS at dispatch: the dispatch's change also queues its EPCIS document.

The docks' dispatch calls ``queue_dispatch`` with the change it is about to commit. With an
``[epcis]`` section, the shipment's document (``gate.core.epcis``) is built now, from the
value the dispatch decided, and its row is written by the change's own transaction: the
dispatch and its events commit together or not at all, so no dispatch is ever stored without
its events queued, and no events of a dispatch that did not happen are ever sent. The
change's ``epcis`` flag wakes the sender (``gate.links.epcis``) once it committed.

The serials of each line are handed to the builder as a mapping (line key -> serials); they
come from the lines today. Where serials are kept elsewhere, this is the one place to read
them (in the write step, from the same transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

from gate.config.settings import Config
from gate.core.epcis import build_document
from gate.core.shipment_values import Shipment
from gate.service.commit_step import Change
from gate.storage import epcis_rows


def line_serials(shipment: Shipment) -> Mapping[str, Iterable[str]]:
    """The serials of each line of ``shipment``, by line key."""
    return {line.key: line.serials for line in shipment.lines if line.serials}


def queue_dispatch(change: Change, config: Config, shipment: Shipment) -> None:
    """Adds the EPCIS document of the dispatched ``shipment`` to ``change`` (nothing when
    the gate has no ``[epcis]`` section). Raises ``ValueError`` for a shipment that is not
    dispatched: a bug, which refuses the dispatch rather than lose its events."""
    if config.epcis is None:
        return
    door = config.door(shipment.door)
    origin = config.epcis.origin(config.gate_id, None if door is None else door.sgln)
    document = build_document(shipment, line_serials(shipment), origin)
    at = shipment.closed_at or shipment.updated_at

    def write(conn: sqlite3.Connection) -> None:
        epcis_rows.queue(conn, shipment.id, document, at)

    change.sql.append(write)
    change.epcis = True
