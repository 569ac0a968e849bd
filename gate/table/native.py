"""The compiled control table: the one module that imports the native extension.

Everything else in gate talks to :class:`Table` and :class:`TableSlot`. The C side never
raises: every function returns a status code, and every call here checks it; each code
becomes a named :class:`~gate.errors.TableError` subclass (gate/table/errors.py names one
for every code, and a test holds it to that). Constants and the ABI version
come from ``native/table.h`` through the cdef's ``...``; the ABI and format versions are
checked at import against the ones this code was written for.

A :class:`Table` is opened one of two ways, and owns what it opened through ``ffi.gc`` (released
when the last reference to the table goes, so a reload can swap a new table in while lookups
on the old one finish, :class:`TableSlot`):

- :meth:`Table.map` maps a file shared and read-only (``gtab_map_file``): constant time at any
  size, and every process mapping the file shares its pages through the page cache. A mapping
  is only as stable as its file (truncating it kills the reader with SIGBUS, writing over it
  changes the answers), so it is only for a file gate owns and nobody rewrites in place: the
  service maps only its snapshots (gate/table/snapshots.py), and the C side refuses any file
  with a write permission bit.
- :meth:`Table.open` reads any file into private memory (``gtab_open_file``): after it returns,
  nothing done to the file reaches the table, at the cost of a read of the whole file and its
  size in private memory. For files gate does not own: ``gate lookup --table FILE``, the
  compiler's check of the table it wrote, ``is_stale``.

:class:`Probe` holds the raw calls that only the benchmarks and the oracle tests use; the
product never does (tests/native/test_boundary.py checks that).
"""

from __future__ import annotations

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
from gate.table.errors import (
    STATUS_ERRORS,
    DuplicateKey,
    TableABIMismatch,
    TableArgument,
    TableCorrupt,
    TableUnreadable,
)

#: The ABI and table format this Python code was written against (native/table.h's
#: GTAB_ABI_VERSION and GTAB_FORMAT_VERSION).
EXPECTED_ABI = 3
EXPECTED_FORMAT = 1

REBUILD_HINT = "rebuild the native module with `make native` (or `python native/build.py`)"

try:
    from gate.table._gtable import ffi, lib  # type: ignore[import-not-found,unused-ignore]
except ImportError as exc:  # pragma: no cover - exercised by a fresh checkout without a build
    raise ImportError(f"gate's native table module is not built: {REBUILD_HINT}") from exc


def check_abi(
    found: int, expected: int = EXPECTED_ABI, *, what: str = "ABI", module: str = "module"
) -> None:
    """Raises TableABIMismatch, naming the rebuild, unless ``found`` is ``expected``."""
    if found != expected:
        raise TableABIMismatch(
            f"native table {module} has {what} version {found}, gate expects {expected}: "
            f"{REBUILD_HINT}"
        )


check_abi(lib.gtab_abi_version())
check_abi(lib.GTAB_ABI_VERSION, what="ABI", module="header")
check_abi(lib.GTAB_FORMAT_VERSION, EXPECTED_FORMAT, what="table format", module="header")

#: Each status code's error, by value (after the ABI check: a stale module lacks names).
_ERRORS: dict[int, tuple[type[TableError], str]] = {
    getattr(lib, name): error for name, error in STATUS_ERRORS.items()
}

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
    """Raises the named TableError for a status other than GTAB_OK."""
    if status == lib.GTAB_OK:
        return
    kind, text = _ERRORS.get(status, (TableError, f"unknown status {status}"))
    if kind is TableUnreadable:
        errno = ffi.errno
        text = f"{text} ({os.strerror(errno)})" if errno else text
    raise kind(f"table {path}: {text}")


_MISSING = object()
#: Classifications a Table keeps in front of the C lookup.
CACHE_ENTRIES = 65536


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
    """An open, read-only control table: a private copy of a file (:meth:`open`) or a shared
    mapping of a gate-owned snapshot (:meth:`map`)."""

    __slots__ = ("__weakref__", "_cache", "_controls", "_handle", "_strings", "info")

    def __init__(self, handle: Any, path: str) -> None:
        self._handle = handle
        header = handle.header
        self._strings = ffi.buffer(handle.strings, handle.strings_size)
        self._controls = tuple(self._read_control(i, path) for i in range(handle.control_count))
        self._cache: dict[int | str, Classification | None] = {}
        try:
            built_at = datetime.fromtimestamp(header.build_time, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise TableCorrupt(
                f"table {path}: build time {header.build_time} is not a date"
            ) from exc
        self.info = TableInfo(
            path=path,
            format_version=header.format_version,
            entries=header.entry_count,
            slots=header.slot_count,
            controls=header.control_count,
            file_size=header.file_size,
            built_at=built_at,
            source_digest=bytes(ffi.buffer(header.source_digest, 32)).hex(),
        )

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, verify: bool = True) -> Table:
        """Reads the file into private memory and checks its header; with ``verify``, also
        checks the body checksum and every entry. After this returns, nothing done to the
        file (truncated, overwritten, removed) reaches the table.

        Raises a TableError subclass naming what is wrong.
        """
        name = os.fspath(path)
        out = ffi.new("struct gtab_table **")
        _raise_for(lib.gtab_open_file(os.fsencode(name), out), name)
        # The copy is the table's size in private memory: say so to the collector.
        handle = ffi.gc(out[0], lib.gtab_close, size=out[0].size)
        if verify:
            _raise_for(lib.gtab_verify(handle), name)
        return cls(handle, name)

    @classmethod
    def map(cls, path: str | os.PathLike[str], *, verify: bool = False) -> Table:
        """Maps a read-only file gate owns, shared, and checks its header (constant time);
        with ``verify``, also checks the body checksum and every entry (reads it all).

        Only for a file nobody rewrites in place (a snapshot, gate/table/snapshots.py):
        truncating a mapped file faults the next lookup that touches the lost pages. Raises
        TableWritable for a file anyone may write, another TableError subclass naming what
        is wrong.
        """
        name = os.fspath(path)
        out = ffi.new("struct gtab_table **")
        _raise_for(lib.gtab_map_file(os.fsencode(name), out), name)
        # The mapping's pages belong to the page cache, not to this process: nothing to
        # report to the collector (size=).
        handle = ffi.gc(out[0], lib.gtab_close)
        if verify:
            _raise_for(lib.gtab_verify(handle), name)
        return cls(handle, name)

    def header_bytes(self) -> bytes:
        """The table's header as stored: what names its version (gate/table/snapshots.py)."""
        return bytes(ffi.buffer(self._handle.base, HEADER_SIZE))

    def verify(self) -> None:
        """Checks the body checksum and every entry. Raises a TableError subclass."""
        _raise_for(lib.gtab_verify(self._handle), self.info.path)

    def _text(self, offset: int, length: int) -> str:
        return bytes(self._strings[offset : offset + length]).decode("utf-8", "replace")

    def _read_control(self, index: int, path: str) -> Control:
        info = ffi.new("struct gtab_control_info *")
        _raise_for(lib.gtab_control_info(self._handle, index, info), path)
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
        # A fresh out-struct per call: cffi releases the GIL for the call, so a struct shared
        # by the table could be overwritten by another thread's lookup before it is read.
        entry = ffi.new("struct gtab_entry *")
        status = lib.gtab_lookup(self._handle, value, entry)
        found = None
        if status != lib.GTAB_NOT_FOUND:
            _raise_for(status, self.info.path)
            found = self._classification(entry)
        # A table never changes, so its answers can be kept. The cache also spares the scan
        # path a C call, which releases the GIL and may wait for the storage thread to hand
        # it back. Bounded: cleared when full (a dock sees a working set, not the catalogue).
        if len(self._cache) >= CACHE_ENTRIES:
            self._cache.clear()
        self._cache[key] = found
        return found

    def classify_lines(self, text: bytes) -> tuple[array[int], array[int]]:
        """For each ``\\n``-separated line of text, the control index of the plain GTIN on
        it and its GTIN-14 value. A control index is NO_CONTROL for a catalogued item that is
        not listed, SLOT_NOT_FOUND for a GTIN not in the table, SLOT_CORRUPT for a damaged
        entry; SLOT_INVALID (and key 0) marks a line that is not a plain GTIN-8/12/13/14 with
        a valid check digit, for the caller to decode. Raises a TableError subclass."""
        slots, keys = _lookup_lines(self, text)
        return _slot_controls(self, slots), keys


def _lookup_lines(table: Table, text: bytes) -> tuple[array[int], array[int]]:
    """The slot and GTIN-14 value of each line's plain GTIN (gtab_lookup_lines): a negative
    SLOT_* value for a miss, SLOT_INVALID and key 0 for a line that is no plain GTIN."""
    lines = text.count(b"\n") + (0 if text.endswith(b"\n") or not text else 1)
    slots = array("q", bytes(8 * lines))
    keys = array("Q", bytes(8 * lines))
    count = ffi.new("size_t *")
    _raise_for(
        lib.gtab_lookup_lines(
            table._handle,
            ffi.from_buffer(text),
            len(text),
            ffi.cast("int64_t *", ffi.from_buffer(slots, require_writable=True)),
            ffi.cast("uint64_t *", ffi.from_buffer(keys, require_writable=True)),
            lines,
            count,
        ),
        table.info.path,
    )
    if count[0] != lines:
        raise TableArgument(f"table {table.info.path}: {count[0]} of {lines} lines read")
    return slots, keys


def _slot_controls(table: Table, slots: array[int]) -> array[int]:
    """For each slot of a batch, its control index (NO_CONTROL when not listed), or the
    negative miss value the batch gave. Raises a TableError subclass."""
    out = array("i", bytes(4 * len(slots)))
    _raise_for(
        lib.gtab_slot_controls(
            table._handle,
            ffi.cast("int64_t *", ffi.from_buffer(slots)),
            len(slots),
            ffi.cast("int32_t *", ffi.from_buffer(out, require_writable=True)),
        ),
        table.info.path,
    )
    return out


class TableSlot:
    """Holds the table in use and swaps a new one in.

    Readers call :meth:`current` and keep the table they got for as long as they need it;
    :meth:`swap` only replaces the reference, so the old table (copy or mapping) is released
    when its last reader lets go (CPython frees it then, and ``ffi.gc`` releases it).
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


class Probe:
    """Raw lookups over an open :class:`Table`, for ``make bench`` and the oracle tests only.

    Not part of the product: nothing in gate uses it (tests/native/test_boundary.py checks).
    It measures the table itself, apart from the product's answer cache and Classification
    objects: one key to one control index in one cffi call, and batches of packed keys.
    """

    def __init__(self, table: Table) -> None:
        self.table = table
        self._handle = table._handle
        #: control_index(key) -> the control index of one GTIN-14 value: NO_CONTROL when
        #: catalogued but not listed, SLOT_NOT_FOUND when absent, SLOT_INVALID for a value
        #: that is no GTIN-14, SLOT_CORRUPT for a damaged entry.
        self.control_index: Callable[[int], int] = _control_finder(self._handle)

    def lookup_packed(self, keys: array[int], out: array[int] | None = None) -> array[int]:
        """Batch lookup over keys packed as ``array('Q')``; returns an ``array('q')`` of
        slots (SLOT_NOT_FOUND, SLOT_INVALID or SLOT_CORRUPT for the misses)."""
        if keys.typecode != "Q":
            raise ValueError("keys must be an array('Q')")
        n = len(keys)
        if out is None or len(out) != n or out.typecode != "q":
            out = array("q", bytes(8 * n))
        _raise_for(
            lib.gtab_lookup_batch(
                self._handle,
                ffi.cast("uint64_t *", ffi.from_buffer(keys)),
                n,
                ffi.cast("int64_t *", ffi.from_buffer(out, require_writable=True)),
            ),
            self.table.info.path,
        )
        return out

    def slot_controls(self, slots: array[int]) -> array[int]:
        """For each slot of a batch, its control index, or the negative miss value."""
        if slots.typecode != "q":
            raise ValueError("slots must be an array('q')")
        return _slot_controls(self.table, slots)

    def entry(self, slot: int) -> Classification:
        """The classification at a slot returned by a batch lookup. Raises TableNoEntry for
        a free slot, TableArgument for one out of range."""
        if not 0 <= slot < self.table.info.slots:  # also keeps cffi from an OverflowError
            raise TableArgument(f"table {self.table.info.path}: no slot {slot}")
        entry = ffi.new("struct gtab_entry *")
        _raise_for(lib.gtab_slot_entry(self._handle, slot, entry), self.table.info.path)
        return self.table._classification(entry)

    def lookup_codes(self, codes: Sequence[str]) -> array[int]:
        """Slots for a list of plain GTIN strings (the Python-list batch): one C pass that
        parses, checks and looks up every line."""
        slots, _ = _lookup_lines(self.table, "\n".join(codes).encode("ascii", "replace"))
        return slots


#: Control indices kept in front of the single-key probe, direct-mapped: a key that misses
#: (random keys) costs little more than the C call; a hot key is two list reads.
INDEX_CACHE_MASK = 4095

_control_of = lib.gtab_control_of
_tagged = lib.gtab_control_of_tagged


def _control_finder(handle: Any) -> Callable[[int], int]:
    """A closure over one table: everything it needs is a local, and a direct-mapped cache
    (slot = the key's low bits, nothing allocated on a miss) answers a key seen lately
    without going into C. One integer into C otherwise: the table's tag and the key together,
    because a cffi call with one argument costs about half one with two. The key is checked
    to be a GTIN-14 value first, so it never reaches the tag's bits.

    The closure holds ``handle`` (as a default argument), so its table stays open for as
    long as the closure can use the tag: gtab_control_of_tagged's contract."""
    tag: int = lib.gtab_tag(handle)
    # None, not an int, marks an empty cache slot: any int could be asked for (-1 once
    # answered 0 from an empty slot instead of SLOT_INVALID).
    keys: list[int | None] = [None] * (INDEX_CACHE_MASK + 1)
    values = [0] * (INDEX_CACHE_MASK + 1)
    mask, top, invalid = INDEX_CACHE_MASK, MAX_KEY, SLOT_INVALID

    if not tag:  # the registry is full: the two-argument call

        def untagged(key: int, _handle: Any = handle) -> int:
            if not 0 <= key <= top:
                return invalid
            return int(_control_of(_handle, key))

        return untagged

    def control_index(key: int, _keep: Any = handle) -> int:
        slot = key & mask
        if keys[slot] == key:
            return values[slot]
        if not 0 <= key <= top:
            return invalid
        found: int = _tagged(tag | key)
        keys[slot] = key
        values[slot] = found
        return found

    return control_index


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
    two controls (its ``rows`` are the 0-based row indices), another TableError subclass
    for what the builder refuses (TableTooBig, TableArgument), ValueError for arrays of the
    wrong type or length and values out of their C range; on any error the file at ``path``
    is untouched.
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
    if not -(2**63) <= build_time < 2**63:
        raise ValueError(f"build time {build_time} does not fit in 64 bits")
    for row in control_table:
        fields, category = row[:6], row[6]
        if category not in (1, 2) or not all(
            0 <= v < limit for v, limit in zip(fields, _CONTROL_LIMITS, strict=True)
        ):
            raise ValueError(f"control row {row} is out of range")
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
        first, second = int(report.duplicate_first), int(report.duplicate_second)
        raise DuplicateKey(
            f"rows {first} and {second} hold the same key with different controls",
            (first, second),
        )
    _raise_for(status, os.fspath(path))
    _write_atomically(Path(path), out)
    return int(report.entries), int(report.skipped_duplicates), int(report.file_size)


#: The C widths of a control_table row's fields (struct gtab_control), checked before the
#: call: cffi would raise OverflowError, not a TableError, for a value that does not fit.
_CONTROL_LIMITS = (2**32, 2**16, 2**32, 2**16, 2**32, 2**16)


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
