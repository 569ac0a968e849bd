"""The named failures of the compiled table: one TableError subclass per status code of the
C side (native/table.h's ``GTAB_NOT_FOUND`` and ``GTAB_E_*``), under gate's one root.

``STATUS_ERRORS`` names, for each status by its C name, the error raised and what it says;
gate/table/native.py turns the names into the module's values, and a test checks that every
status the built module has is named here.
"""

from __future__ import annotations

from gate.errors import TableError


class TableEmpty(TableError):
    """The table file is empty."""


class TableTruncated(TableError):
    """The table file is shorter than its header says (or shrank while it was read)."""


class TableBadMagic(TableError):
    """The file does not start with the gtab magic: not a gate table."""


class TableVersionMismatch(TableError):
    """The file's format version is not the one this gate reads."""


class TableHeaderChecksum(TableError):
    """The header's checksum does not match: the header is damaged."""


class TableChecksum(TableError):
    """The body checksum does not match: the file is damaged."""


class TableBounds(TableError):
    """A count or offset in the header points outside the file."""


class TableCorrupt(TableError):
    """An entry or control of the table is inconsistent."""


class TableOversize(TableError):
    """The file is longer than its header says."""


class TableUnreadable(TableError):
    """The file could not be opened or read."""


class TableNoMemory(TableError):
    """There was no memory for the table's private copy."""


class TableArgument(TableError):
    """The C code refused an argument: a slot, index or buffer that gate should never pass."""


class TableTooBig(TableError):
    """The rows, controls or strings exceed what the table format can hold."""


class TableNoEntry(TableError):
    """An entry was asked for at a slot that holds none."""


class DuplicateKey(TableError):
    """The same key appears in two rows with different controls.

    ``rows`` are the two 0-based row indices, when the builder reported them.
    """

    def __init__(self, message: str, rows: tuple[int, int] | None = None) -> None:
        super().__init__(message)
        self.rows = rows


class TableWritable(TableError):
    """A file asked to be mapped is writable: only a read-only, gate-owned snapshot is."""


class TableABIMismatch(TableError):
    """The built native module is not the version this Python code expects."""


STATUS_ERRORS: dict[str, tuple[type[TableError], str]] = {
    "GTAB_NOT_FOUND": (TableNoEntry, "no entry there"),
    "GTAB_E_EMPTY": (TableEmpty, "the file is empty"),
    "GTAB_E_TRUNCATED": (TableTruncated, "the file is truncated"),
    "GTAB_E_MAGIC": (TableBadMagic, "wrong magic: not a gate table file"),
    "GTAB_E_VERSION": (TableVersionMismatch, "unsupported table format version"),
    "GTAB_E_HEADER_CHECKSUM": (TableHeaderChecksum, "header checksum mismatch"),
    "GTAB_E_CHECKSUM": (TableChecksum, "body checksum mismatch"),
    "GTAB_E_BOUNDS": (TableBounds, "a count or offset points outside the file"),
    "GTAB_E_CORRUPT": (TableCorrupt, "an entry or control is corrupt"),
    "GTAB_E_IO": (TableUnreadable, "cannot open or read the file"),
    "GTAB_E_NOMEM": (TableNoMemory, "out of memory for the table"),
    "GTAB_E_ARGUMENT": (TableArgument, "argument refused by the table code"),
    "GTAB_E_DUPLICATE": (DuplicateKey, "one key with two controls"),
    "GTAB_E_TOO_BIG": (TableTooBig, "too large for the table format"),
    "GTAB_E_SIZE": (TableOversize, "the file is longer than its header says"),
    "GTAB_E_WRITABLE": (TableWritable, "the file is writable: only a read-only snapshot is mapped"),
}
