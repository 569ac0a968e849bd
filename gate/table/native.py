"""The compiled control table: the one module that imports the native extension.

Everything else in gate talks to :class:`Table` and :class:`TableSlot`. The C side never
raises; each status code it returns becomes a named :class:`~gate.errors.TableError` here.
A :class:`Table` owns its mapping through ``ffi.gc``: the mapping is released when the last
reference to the table goes, so a reload can swap a new table in while lookups on the old
one finish (:class:`TableSlot`).
"""

from __future__ import annotations

import functools
import os
import threading
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gate.core.classification import Classification
from gate.errors import TableError

#: The ABI this Python code was written against; native/table.h says GTAB_ABI_VERSION.
EXPECTED_ABI = 1

REBUILD_HINT = "rebuild the native module with `make native` (or `python native/build.py`)"

try:
    from gate.table._gtable import ffi, lib  # type: ignore[import-not-found,unused-ignore]
except ImportError as exc:  # pragma: no cover - exercised by a fresh checkout without a build
    raise ImportError(f"gate's native table module is not built: {REBUILD_HINT}") from exc


class TableEmpty(TableError):
    """The table file is empty."""


class TableTruncated(TableError):
    """The table file is shorter than its header says."""


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
    """The file could not be opened or mapped."""


class TableABIMismatch(TableError):
    """The built native module is not the version this Python code expects."""


_ERRORS: dict[int, tuple[type[TableError], str]] = {
    lib.GTAB_E_EMPTY: (TableEmpty, "the file is empty"),
    lib.GTAB_E_TRUNCATED: (TableTruncated, "the file is truncated"),
    lib.GTAB_E_MAGIC: (TableBadMagic, "wrong magic: not a gate table file"),
    lib.GTAB_E_VERSION: (TableVersionMismatch, "unsupported table format version"),
    lib.GTAB_E_HEADER_CHECKSUM: (TableHeaderChecksum, "header checksum mismatch"),
    lib.GTAB_E_CHECKSUM: (TableChecksum, "body checksum mismatch"),
    lib.GTAB_E_BOUNDS: (TableBounds, "a count or offset points outside the file"),
    lib.GTAB_E_CORRUPT: (TableCorrupt, "an entry or control is corrupt"),
    lib.GTAB_E_SIZE: (TableOversize, "the file is longer than its header says"),
    lib.GTAB_E_IO: (TableUnreadable, "cannot open or map the file"),
}


def check_abi(found: int, expected: int = EXPECTED_ABI) -> None:
    """Raises TableABIMismatch unless the native module's ABI is the expected one."""
    if found != expected:
        raise TableABIMismatch(
            f"native table module has ABI version {found}, gate expects {expected}: {REBUILD_HINT}"
        )


check_abi(lib.gtab_abi_version())
check_abi(lib.GTAB_ABI_VERSION)

FORMAT_VERSION: int = lib.GTAB_FORMAT_VERSION
HEADER_SIZE: int = lib.GTAB_HEADER_SIZE
MAX_KEY: int = lib.GTAB_MAX_KEY
NO_CONTROL: int = lib.GTAB_NO_CONTROL
MAX_CONTROLS: int = lib.GTAB_MAX_CONTROLS
MAX_STRING: int = lib.GTAB_MAX_STRING
SLOT_NOT_FOUND: int = lib.GTAB_SLOT_NOT_FOUND
SLOT_INVALID: int = lib.GTAB_SLOT_INVALID
SLOT_CORRUPT: int = lib.GTAB_SLOT_CORRUPT


def _raise_for(status: int, path: str) -> None:
    if status == lib.GTAB_OK:
        return
    kind, text = _ERRORS.get(status, (TableError, f"status {status}"))
    if kind is TableUnreadable:
        errno = ffi.errno
        text = f"{text} ({os.strerror(errno)})" if errno else text
    raise kind(f"table {path}: {text}")


_MISSING = object()
#: Classifications a Table keeps in front of the C lookup.
CACHE_ENTRIES = 65536
#: Control indices kept in front of the single-key lookup, direct-mapped: a key that misses
#: (random keys) costs little more than the C call; a hot key is two list reads.
INDEX_CACHE_MASK = 4095

_control_of = lib.gtab_control_of
_tagged = lib.gtab_control_of_tagged


def _control_finder(handle: Any, tag: int) -> Callable[[int], int]:
    """A closure over one table: everything it needs is a local, and a direct-mapped cache
    (slot = the key's low bits, nothing allocated on a miss) answers a key seen lately
    (portals repeat reads) without going into C. One integer into C otherwise: the table's
    tag and the key together, because a cffi call with one argument costs about half one
    with two."""
    keys = [-1] * (INDEX_CACHE_MASK + 1)
    values = [0] * (INDEX_CACHE_MASK + 1)
    mask, top, invalid = INDEX_CACHE_MASK, MAX_KEY, SLOT_INVALID
    call = _tagged if tag else functools.partial(_control_of, handle)
    tagged = tag

    def control_index(key: int) -> int:
        slot = key & mask
        if keys[slot] == key:
            return values[slot]
        if not 0 <= key <= top:
            return invalid
        found: int = call(tagged | key)
        keys[slot] = key
        values[slot] = found
        return found

    return control_index


def checksum(data: bytes) -> int:
    """The table format's checksum of ``data`` (what the header stores)."""
    return int(lib.gtab_checksum(ffi.from_buffer(data), len(data)))


@dataclass(frozen=True, slots=True)
class TableInfo:
    """What a table file says about itself."""

    path: str
    format_version: int
    entries: int
    slots: int
    controls: int
    file_size: int
    built_at: datetime
    source_digest: str

    @property
    def version(self) -> str:
        """A short name for this table: its build time and the start of its source digest."""
        return f"{self.built_at.strftime('%Y%m%dT%H%M%SZ')}-{self.source_digest[:12]}"


@dataclass(frozen=True, slots=True)
class Control:
    """One code of the control list as stored in the table."""

    code: str
    category: int
    title: str
    flags: frozenset[str]


class Table:
    """An open, read-only control table (a mapping of one file)."""

    __slots__ = (
        "__weakref__",
        "_cache",
        "_controls",
        "_entry",
        "_handle",
        "_strings",
        "_tag",
        "control_index",
        "info",
    )

    def __init__(self, handle: Any, path: str) -> None:
        self._handle = handle
        header = handle.header
        self._strings = ffi.buffer(handle.strings, handle.strings_size)
        self._entry = ffi.new("struct gtab_entry *")
        self._controls = tuple(self._read_control(i) for i in range(handle.control_count))
        self._tag: int = lib.gtab_tag(handle)
        self._cache: dict[int | str, Classification | None] = {}
        #: control_index(key) -> the control index of one GTIN-14 value: NO_CONTROL when
        #: catalogued but not listed, SLOT_NOT_FOUND when absent, SLOT_INVALID for a value
        #: that is no GTIN-14, SLOT_CORRUPT for a damaged entry. The cheapest single lookup.
        self.control_index: Callable[[int], int] = _control_finder(handle, self._tag)
        self.info = TableInfo(
            path=path,
            format_version=header.format_version,
            entries=header.entry_count,
            slots=header.slot_count,
            controls=header.control_count,
            file_size=header.file_size,
            built_at=datetime.fromtimestamp(header.build_time, UTC),
            source_digest=bytes(ffi.buffer(header.source_digest, 32)).hex(),
        )

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, verify: bool = True) -> Table:
        """Maps the file and checks its header (constant time); with ``verify``, also reads
        the whole file to check its body checksum and every entry.

        Raises a TableError subclass naming what is wrong.
        """
        name = os.fspath(path)
        out = ffi.new("struct gtab_table **")
        _raise_for(lib.gtab_open_file(name.encode(), out), name)
        handle = ffi.gc(out[0], lib.gtab_close)
        if verify:
            _raise_for(lib.gtab_verify(handle), name)
        return cls(handle, name)

    def verify(self) -> None:
        """Reads the whole file: body checksum and every entry. Raises a TableError."""
        _raise_for(lib.gtab_verify(self._handle), self.info.path)

    def _text(self, offset: int, length: int) -> str:
        return bytes(self._strings[offset : offset + length]).decode("utf-8", "replace")

    def _read_control(self, index: int) -> Control:
        info = ffi.new("struct gtab_control_info *")
        _raise_for(lib.gtab_control_info(self._handle, index, info), "")
        flags = self._text(info.flags_offset, info.flags_length)
        return Control(
            code=self._text(info.code_offset, info.code_length),
            category=info.category,
            title=self._text(info.title_offset, info.title_length),
            flags=frozenset(f for f in flags.split(";") if f),
        )

    @property
    def controls(self) -> tuple[Control, ...]:
        return self._controls

    def control(self, index: int) -> Control | None:
        """The control at an index from a lookup, or None for NO_CONTROL (not listed)."""
        return None if index == NO_CONTROL else self._controls[index]

    def _classification(self, entry: Any) -> Classification:
        key = f"{entry.key:014d}"
        description = self._text(entry.desc_offset, entry.desc_length)
        control = self.control(entry.control)
        if control is None:
            return Classification(key, description, "", 0, "", frozenset())
        return Classification(
            key, description, control.code, control.category, control.title, control.flags
        )

    def lookup(self, key: int | str) -> Classification | None:
        """Classifies one GTIN-14 (as an int or 14 digits); None when not in the table.

        Raises TableCorrupt when the entry found is damaged, ValueError for a key that is
        not a GTIN-14 value.
        """
        cached = self._cache.get(key, _MISSING)
        if cached is not _MISSING:
            return cached  # type: ignore[return-value]
        value = int(key) if isinstance(key, str) else key
        if not 0 <= value <= MAX_KEY:
            raise ValueError(f"not a GTIN-14 value: {key!r}")
        status = lib.gtab_lookup(self._handle, value, self._entry)
        found = None
        if status != lib.GTAB_NOT_FOUND:
            _raise_for(status, self.info.path)
            found = self._classification(self._entry)
        # A table never changes, so its answers can be kept. The cache also spares the scan
        # path a C call, which releases the GIL and may wait for the storage thread to hand
        # it back. Bounded: cleared when full (a dock sees a working set, not the catalogue).
        if len(self._cache) >= CACHE_ENTRIES:
            self._cache.clear()
        self._cache[key] = found
        return found

    def entry(self, slot: int) -> Classification:
        """The classification at a slot returned by a batch lookup."""
        entry = ffi.new("struct gtab_entry *")
        _raise_for(lib.gtab_slot_entry(self._handle, slot, entry), self.info.path)
        return self._classification(entry)

    def lookup_packed(self, keys: array[int], out: array[int] | None = None) -> array[int]:
        """Batch lookup over keys already packed as ``array('Q')``; returns an ``array('q')``
        of slots (SLOT_NOT_FOUND, SLOT_INVALID or SLOT_CORRUPT for the misses)."""
        if keys.typecode != "Q":
            raise ValueError("keys must be an array('Q')")
        n = len(keys)
        if out is None or len(out) != n:
            out = array("q", bytes(8 * n))
        lib.gtab_lookup_batch(
            self._handle,
            ffi.cast("uint64_t *", ffi.from_buffer(keys)),
            n,
            ffi.cast("int64_t *", ffi.from_buffer(out, require_writable=True)),
        )
        return out

    def lookup_text(self, text: bytes) -> tuple[array[int], array[int]]:
        """Looks up every ``\\n``-separated line of text that is a plain GTIN-8/12/13/14 with
        a valid check digit. Returns (slots, keys); other lines get SLOT_INVALID and key 0."""
        lines = text.count(b"\n") + (0 if text.endswith(b"\n") or not text else 1)
        slots = array("q", bytes(8 * lines))
        keys = array("Q", bytes(8 * lines))
        count = ffi.new("size_t *")
        lib.gtab_lookup_lines(
            self._handle,
            ffi.from_buffer(text),
            len(text),
            ffi.cast("int64_t *", ffi.from_buffer(slots, require_writable=True)),
            ffi.cast("uint64_t *", ffi.from_buffer(keys, require_writable=True)),
            lines,
            count,
        )
        return slots, keys

    def slot_controls(self, slots: array[int]) -> array[int]:
        """For each slot of a batch, its control index (NO_CONTROL when not listed), or the
        negative miss value the batch gave."""
        out = array("i", bytes(4 * len(slots)))
        lib.gtab_slot_controls(
            self._handle,
            ffi.cast("int64_t *", ffi.from_buffer(slots)),
            len(slots),
            ffi.cast("int32_t *", ffi.from_buffer(out, require_writable=True)),
        )
        return out

    def lookup_codes(self, codes: Sequence[str]) -> array[int]:
        """Batch lookup from a list of plain GTIN strings: one slot per code."""
        slots, _ = self.lookup_text("\n".join(codes).encode("ascii", "replace"))
        return slots


class TableSlot:
    """Holds the table in use and swaps a new one in.

    Readers call :meth:`current` and keep the table they got for as long as they need it;
    :meth:`swap` only replaces the reference, so the old mapping is released when its last
    reader lets go (CPython frees it then, and ``ffi.gc`` unmaps it).
    """

    def __init__(self, table: Table | None = None) -> None:
        self._table = table
        self._lock = threading.Lock()

    def current(self) -> Table:
        table = self._table
        if table is None:
            raise TableError("no control table is loaded")
        return table

    @property
    def loaded(self) -> bool:
        return self._table is not None

    def swap(self, table: Table) -> Table | None:
        """Puts a new table in use; returns the one it replaced."""
        with self._lock:
            old, self._table = self._table, table
        return old


def write_table(
    path: str | os.PathLike[str],
    *,
    keys: array[int],
    desc_offsets: array[int],
    desc_lengths: array[int],
    controls: array[int],
    control_table: Sequence[tuple[int, int, int, int, int, int, int]],
    strings: bytes,
    build_time: int,
    source_digest: bytes,
) -> tuple[int, int, int]:
    """Builds a table with the C builder and writes it atomically (temporary file, fsync,
    rename). ``control_table`` rows are (code_offset, code_length, title_offset,
    title_length, flags_offset, flags_length, category).

    Returns (entries, skipped duplicates, file size). Raises DuplicateKey when one key has
    two controls (its ``rows`` are the 0-based row indices), TableError otherwise; on any
    error the file at ``path`` is untouched.
    """
    n = len(keys)
    if not (len(desc_offsets) == len(desc_lengths) == len(controls) == n):
        raise ValueError("row arrays differ in length")
    if (keys.typecode, desc_offsets.typecode, desc_lengths.typecode, controls.typecode) != (
        "Q",
        "I",
        "H",
        "H",
    ):
        raise ValueError("row arrays must be array('Q'), array('I'), array('H'), array('H')")
    if len(source_digest) != 32:
        raise ValueError("source digest must be 32 bytes")
    ctab = ffi.new("struct gtab_control[]", max(1, len(control_table)))
    for i, (co, cl, to, tl, fo, fl, cat) in enumerate(control_table):
        c = ctab[i]
        c.code_offset, c.code_length, c.title_offset, c.title_length = co, cl, to, tl
        c.flags_offset, c.flags_length, c.category = fo, fl, cat
    size = lib.gtab_build_size(n, len(control_table), len(strings))
    out = bytearray(size)
    spec = ffi.new("struct gtab_build_input *")
    # Keep every buffer referenced until the call returns.
    refs = [
        ffi.from_buffer(keys),
        ffi.from_buffer(desc_offsets),
        ffi.from_buffer(desc_lengths),
        ffi.from_buffer(controls),
        ffi.from_buffer(strings),
        ffi.from_buffer(source_digest),
    ]
    spec.n_rows = n
    spec.keys = ffi.cast("uint64_t *", refs[0])
    spec.desc_offsets = ffi.cast("uint32_t *", refs[1])
    spec.desc_lengths = ffi.cast("uint16_t *", refs[2])
    spec.controls = ffi.cast("uint16_t *", refs[3])
    spec.n_controls = len(control_table)
    spec.control_table = ctab
    spec.strings = ffi.cast("uint8_t *", refs[4])
    spec.strings_size = len(strings)
    spec.build_time = build_time
    spec.source_digest = ffi.cast("uint8_t *", refs[5])
    report = ffi.new("struct gtab_build_report *")
    status = lib.gtab_build(spec, ffi.from_buffer(out, require_writable=True), size, report)
    if status == lib.GTAB_E_DUPLICATE:
        raise DuplicateKey(report.duplicate_first, report.duplicate_second)
    if status != lib.GTAB_OK:
        raise TableError(f"table builder failed with status {status}")
    _write_atomically(Path(path), out)
    return int(report.entries), int(report.skipped_duplicates), int(report.file_size)


class DuplicateKey(TableError):
    """The same key appears in two rows with different controls."""

    def __init__(self, first: int, second: int) -> None:
        super().__init__(f"rows {first} and {second} hold the same key with different controls")
        self.rows = (first, second)


def _write_atomically(path: Path, data: bytes | bytearray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
