"""The docks' live values: shipments, which shipment each door holds, standing licences.

Two layers, and one rule between them: memory never runs ahead of the database.

* **Committed**: what the database holds. Every read of the gate (the API, the page, the
  metrics) sees these, and only a commit that succeeded changes them
  (``gate.service.commit_step``).
* **Pending**: what has been decided and is being written. The next decision builds on it
  (a scan that arrives while the previous one's commit is in flight counts on top of it, a
  second shipment for a door already being claimed is refused), and it is dropped, whatever
  happens, when its write ends.

A write that failed can still have later writes queued behind it that were decided on top
of it. ``guard`` stops them as they are written: each write names the value it was decided
from, and refuses (``StaleDecision``, a 503: nothing written, the client sends it again)
unless that is the value last written for the shipment. So the database never stores a
change built on one it does not hold.

A write needs no view of its own values: whatever it stores is computed from the values
decided before it was submitted (an approval's stored answer from the shipment the approval
brought, handed to it by ``Docks.apply_approval``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from gate.core.licences import StandingLicence
from gate.core.shipment_values import FINAL, Shipment
from gate.errors import StaleDecision


class LiveState:
    """Committed and pending shipments, door assignments and licences."""

    def __init__(self) -> None:
        self._shipments: dict[str, Shipment] = {}
        #: The committed shipments, read-only.
        self.shipments: Mapping[str, Shipment] = MappingProxyType(self._shipments)
        self.current: dict[str, str] = {}  # door -> its shipment that is not final
        self.licences: dict[str, StandingLicence] = {}
        self._pending: dict[str, Shipment] = {}
        self._pending_doors: dict[str, str | None] = {}
        self._pending_licences: dict[str, StandingLicence] = {}
        # Written by whoever hands a write over or runs it: the store's writer thread, or the
        # loop for a batch handed to the writer process (never both at once: the commit step
        # has them take turns), and at load, before any write.
        self._written: dict[str, Shipment] = {}

    # --- start ------------------------------------------------------------------------------

    def loaded(self, shipments: Iterable[Shipment], licences: Iterable[StandingLicence]) -> None:
        """Takes what the database holds at start."""
        for shipment in shipments:
            self._shipments[shipment.id] = shipment
            self._written[shipment.id] = shipment
            if shipment.state not in FINAL:
                self.current[shipment.door] = shipment.id
        for licence in licences:
            self.licences[licence.number] = licence

    # --- reading for a decision -------------------------------------------------------------

    def latest(self, sid: str) -> Shipment | None:
        """The shipment as the next decision must see it (pending, else committed)."""
        found = self._pending.get(sid)
        return found if found is not None else self._shipments.get(sid)

    def door_shipment(self, door: str, *, latest: bool = True) -> Shipment | None:
        """The shipment at ``door`` that is not final: as decided (``latest``) or as
        committed."""
        if latest and door in self._pending_doors:
            sid = self._pending_doors[door]
        else:
            sid = self.current.get(door)
        if sid is None:
            return None
        return self.latest(sid) if latest else self._shipments.get(sid)

    def pending_ids(self) -> set[str]:
        """The shipments with a change being written."""
        return set(self._pending)

    def latest_licences(self) -> tuple[StandingLicence, ...]:
        merged = dict(self.licences)
        merged.update(self._pending_licences)
        return tuple(merged.values())

    # --- a write's life ---------------------------------------------------------------------

    def stage(
        self,
        shipments: Iterable[Shipment],
        doors: Mapping[str, str | None],
        licences: Iterable[StandingLicence],
    ) -> None:
        """Marks values as decided and being written."""
        for shipment in shipments:
            self._pending[shipment.id] = shipment
        self._pending_doors.update(doors)
        for licence in licences:
            self._pending_licences[licence.number] = licence

    def unstage(
        self,
        shipments: Iterable[Shipment],
        doors: Mapping[str, str | None],
        licences: Iterable[StandingLicence],
    ) -> None:
        """Drops pending values whose write ended (unless a later decision replaced them)."""
        for shipment in shipments:
            if self._pending.get(shipment.id) is shipment:
                del self._pending[shipment.id]
        for door, sid in doors.items():
            if door in self._pending_doors and self._pending_doors[door] == sid:
                del self._pending_doors[door]
        for licence in licences:
            if self._pending_licences.get(licence.number) is licence:
                del self._pending_licences[licence.number]

    def commit(
        self,
        shipments: Iterable[Shipment],
        doors: Mapping[str, str | None],
        licences: Iterable[StandingLicence],
    ) -> None:
        """Takes values the database now holds into the committed layer."""
        for shipment in shipments:
            self._shipments[shipment.id] = shipment
        for door, sid in doors.items():
            if sid is None:
                self.current.pop(door, None)
            else:
                self.current[door] = sid
        for licence in licences:
            self.licences[licence.number] = licence

    # --- as a write runs (on the writer thread, or on the loop for the writer process) --------

    def guard(self, changes: Iterable[tuple[Shipment | None, Shipment]]) -> None:
        """Refuses a write decided from a value that is not the one last written (a write it
        was decided on was refused). Raises StaleDecision: a retryable 503, not a client's
        409. Runs on the writer thread inside the write, or on the loop as a batch is handed
        to the writer process."""
        for base, after in changes:
            if self._written.get(after.id) is not base:
                raise StaleDecision(
                    f"shipment {after.id} changed while this change was being written:"
                    " nothing was stored, send it again"
                )

    def written(self, shipments: Iterable[Shipment]) -> None:
        """Notes the values a write stored (its last step, on the writer thread), or hands
        over to the writer process (on the loop, as it hands them over)."""
        for shipment in shipments:
            self._written[shipment.id] = shipment

    def unwritten(self, shipments: Iterable[Shipment]) -> None:
        """Takes back ``written`` for values the writer process refused without failing
        (another process held the database): what the database holds is the committed value,
        and the next write must be decided from it."""
        for shipment in shipments:
            committed = self._shipments.get(shipment.id)
            if committed is None:
                self._written.pop(shipment.id, None)
            else:
                self._written[shipment.id] = committed
