"""The exception hierarchy of gate.

``GateError`` is the one root: it is never raised directly, only its subclasses are.
Catch ``GateError`` to handle anything gate raises on purpose.
"""

from __future__ import annotations

from typing import Any


class GateError(Exception):
    """Root of every error gate raises on purpose. Never raised directly."""


class ConfigError(GateError):
    """The configuration file or a file it names is missing or malformed."""


class BundleError(GateError):
    """A signed reference-data bundle was refused: a failed TUF check (signature, rollback,
    expiry, a file's hash), a manifest that is malformed, or contents that do not load."""


class InvalidCode(GateError):
    """A scanned code could not be decoded.

    ``field`` names the part that is wrong (``gtin``, ``sscc``, ``epc_header``, ...) and
    ``reason`` (also ``str()``) says what is wrong and what was expected.
    """

    def __init__(self, reason: str, *, field: str = "code") -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class TableError(GateError):
    """The compiled control table could not be opened, verified or queried."""


class CompileError(GateError):
    """A source of the control table (control list or catalogue) is wrong.

    Carries the file, the 1-based line and the problem, so the message can point at it
    (line 0: the whole file, named without a line).
    """

    def __init__(self, path: str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem


class PolicyError(GateError):
    """The policy (country groups, exempt groups, denial list, limits) is inconsistent.

    Raised when a policy value is built, so a wrong configuration stops the service at start
    instead of silently weakening a rule (a misspelt ``embargoed`` group would disable rule 2).
    """


class InvalidCountry(GateError):
    """A country code is not an officially assigned ISO 3166-1 alpha-2 code.

    ``code`` is the offending value as given; ``where`` names what held it (a country group,
    a denial-list entry, a shipment field) or is ``None`` for bare user input. An unknown code
    is always this error, never a silent "not embargoed".
    """

    def __init__(self, code: str, *, where: str | None = None, field: str = "country") -> None:
        place = f" in {where}" if where else ""
        super().__init__(
            f"{code!r}{place} is not an officially assigned ISO 3166-1 alpha-2 country code "
            "(two uppercase letters, such as 'DE')"
        )
        self.code = code
        self.where = where
        #: The body field that held it, as a problem document names it (``consignee.country``).
        self.field = field


class InvalidShipment(GateError):
    """A shipment's data (manifest, quantities, identifiers) is malformed.

    ``field``, when known, names the body's field that is wrong (``consignee.name``,
    ``parties[1].name``, ``manifest``, ...): the API lists it in the problem's ``errors``.
    """

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.field = field


class InvalidApproval(GateError):
    """An approval from the central office is malformed or answers no request of the shipment."""


class LicenceError(GateError):
    """A standing licence is malformed, or using it would break its terms. ``field`` names the
    part of a pushed licence that is wrong (``valid_until``, ``consignee.ids``), when one is."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        super().__init__(reason)
        self.field = field


class Overdraw(LicenceError):
    """A drawdown would take a standing licence below zero; nothing was drawn.

    Carries the licence ``number``, its ``remaining`` quantity and the ``requested`` quantity.
    """

    def __init__(self, number: str, remaining: int, requested: int) -> None:
        super().__init__(
            f"standing licence {number} has {remaining} left; drawing {requested} would overdraw it"
        )
        self.number = number
        self.remaining = remaining
        self.requested = requested


class StateError(GateError):
    """A transition is not allowed in the shipment's current state. Never raised directly.

    ``shipment_id`` and ``state`` say where it happened; the subclass says what was refused.
    """

    def __init__(self, message: str, *, shipment_id: str, state: str) -> None:
        super().__init__(message)
        self.shipment_id = shipment_id
        self.state = state


class NotOpen(StateError):
    """Scanning or sealing a shipment that is already sealed."""


class ShipmentFinal(StateError):
    """Changing a shipment that was dispatched or cancelled."""


class UnknownLine(StateError):
    """Naming a line (item key or SSCC) the shipment does not have."""


class DispatchRefused(StateError):
    """Dispatching a shipment that is not cleared at the moment of dispatch.

    ``blocking`` lists ``(key, decision, reasons)`` for every active line that stops it.
    Nothing changed: re-evaluate the shipment to record why it is no longer cleared.
    """

    def __init__(
        self,
        message: str,
        *,
        shipment_id: str,
        state: str,
        blocking: tuple[tuple[str, str, tuple[str, ...]], ...],
    ) -> None:
        super().__init__(message, shipment_id=shipment_id, state=state)
        self.blocking = blocking


class UnknownState(StateError):
    """The shipment's state is not one gate knows (a corrupt or newer record): nothing is
    allowed, and the door shows red."""


class StoreError(GateError):
    """The database could not be opened, migrated, read or written; the cause is chained.

    A write request that fails with this error was not committed (its group's COMMIT failed or
    SQLite ended the transaction): nothing it did is stored, and it may be retried.
    """


class SchemaTooNew(StoreError):
    """The database was written by a newer gate: its schema version is above this code's.

    Refused rather than guessed at, so an old gate never writes into a schema it does not know.
    ``found`` is the database's version, ``known`` the newest this code knows.
    """

    def __init__(self, path: str, found: int, known: int) -> None:
        super().__init__(
            f"database {path} has schema version {found}, newer than this gate knows ({known}):"
            " run a newer gate"
        )
        self.found = found
        self.known = known


class JournalBroken(StoreError):
    """The audit journal fails verification (a record missing, altered or out of the chain):
    the store does not open on it. ``reason`` is the verifier's one line naming the record."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(
            f"database {path}: {reason}; the gate does not start on a journal that fails"
            " verification (restore the database from a backup or move it aside)"
        )
        self.reason = reason


class JournalError(GateError):
    """An audit record could not be written or read as given: a naive timestamp, data that is
    not JSON, a ``|`` in a field of the hash preimage, or an append outside a transaction."""


class Unavailable(GateError):
    """The gate cannot take changes now (storage failed, or no table): answer 503.

    ``retry_after`` is the seconds a client should wait before it sends the same again (a
    ``Retry-After`` header), for a condition that passes by itself; None when it does not
    (a latched gate waits for a restart)."""

    retry_after: int | None = None


class StorageBusy(Unavailable):
    """Another process holds the database's write lock (an operator's sqlite3 shell, a backup
    tool): nothing of this write was stored; answer 503. Deliberately not a StoreError: storage
    has not failed, and the store takes writes again by itself once the lock is released."""

    retry_after = 1


class StaleDecision(Unavailable):
    """A change was decided on a value whose own write was refused (another process held the
    database): nothing of it was stored, and the same request sent again is decided afresh;
    answer 503. Not a client's conflict (409): a scanner that takes 4xx as final would drop
    scans that only had to be sent again."""

    retry_after = 1


class WriteStalled(Unavailable):
    """A change's write did not end within the gate's bound (its writer stalled: a stopped
    process, a disk that does not answer): the request stops waiting, the write does not. It
    may still be stored later, in its order, so sending it again is safe where a retry is
    recognised (a scan's retry under the same id answers ``duplicate``); answer 503."""

    retry_after = 5


class NotFound(GateError):
    """A shipment, door or line that does not exist."""


class UnknownRequest(NotFound, InvalidApproval):
    """An approval answers a licence request the shipment does not have (404: the request,
    like an unknown shipment, is a thing that is not there)."""


class Conflict(GateError):
    """The request conflicts with the current state (a second shipment at a door, ...)."""

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.extra = extra or {}
