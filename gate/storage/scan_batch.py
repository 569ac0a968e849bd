"""What a batch of scans stores, as data: its scan rows, the serials it counted and its
audit records, written in one step of the change's transaction (``write``).

The scan path describes its write as a ``ScanBatch`` instead of a closure, so the same
write runs on the store's writer thread or in the writer process
(``gate.storage.writer_process``): ``to_wire`` and ``from_wire`` carry it across as plain
lists that msgpack packs, and both sides run this module's ``write``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gate.core.shipment_values import SerialRead
from gate.storage import journal, mqtt_rows, scan_rows, serial_rows

#: One audit record of the batch: (kind, actor, subject, data).
Audit = tuple[str, str, str | None, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class ScanBatch:
    """A batch's scan rows, the serials it counted per shipment (in the order counted) and
    its audit records, all journaled at ``at``; and the MQTT messages its change announces
    (``Committer.message_taps``), queued with it."""

    rows: Sequence[scan_rows.ScanRow]
    counted: Mapping[str, Sequence[SerialRead]]
    audits: Sequence[Audit]
    at: dt.datetime
    messages: Sequence[mqtt_rows.Message] = ()

    def to_wire(self) -> list[Any]:
        """The batch as plain lists, strings, numbers and mappings (msgpack packs them)."""
        return [
            [list(r.values()) for r in self.rows],
            [
                [sid, [[x.key, x.epoch, x.serial, x.units, x.before] for x in reads]]
                for sid, reads in self.counted.items()
            ],
            [list(audit) for audit in self.audits],
            self.at.isoformat(),
            [list(message) for message in self.messages],
        ]

    @classmethod
    def from_wire(cls, wire: Sequence[Any]) -> ScanBatch:
        """The batch ``to_wire`` gave. Raises ValueError or TypeError for anything else."""
        rows, counted, audits, at, messages = wire
        when = dt.datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("a scan batch's time has no time zone")
        return cls(
            rows=[scan_rows.ScanRow(*row) for row in rows],
            counted={sid: [SerialRead(*read) for read in reads] for sid, reads in counted},
            audits=[(kind, actor, subject, data) for kind, actor, subject, data in audits],
            at=when,
            messages=[(topic, text, bool(keep), queued) for topic, text, keep, queued in messages],
        )


def write(conn: sqlite3.Connection, batch: ScanBatch) -> None:
    """Stores ``batch`` inside the caller's transaction: its scans, its serials, its audit
    records, then its messages. Raises what the inserts and ``journal.append_many`` raise."""
    scan_rows.insert_many(conn, batch.rows)
    for sid, reads in batch.counted.items():
        serial_rows.insert_many(conn, sid, reads)
    journal.append_many(conn, batch.audits, ts=batch.at)
    mqtt_rows.queue_many(conn, batch.messages)
