"""Snapshots: the only table files the service maps.

The service opens its control table by mmap (DESIGN.md: constant-time open at any size, pages
shared between processes through the page cache). A mapping is only as stable as its file:
truncating a mapped file kills the reader with SIGBUS on the next lookup that touches a lost
page, and writing over it in place changes the answers under running lookups (issue 11.6).
The configured table path is written by others (``gate compile``, an operator's ``cp``), so
the service never maps it. It maps a snapshot instead.

The invariant: **a mapped table file is gate-owned and never rewritten in place.** A snapshot
is a copy of the configured table in ``<database folder>/tables/``, a folder only gate writes,
named after the table version (the SHA-256 of the table's header, which holds the build time,
the source digest, the sizes and the body checksum under the header's own checksum). It is
written to a temporary name, fsync'd, made read-only (0444), mapped and verified in full
(body checksum, every entry), and only then renamed into place, so every file under a
snapshot name was verified once, completely. Nothing ever writes a snapshot again: a new
table version is a new file, and old ones are unlinked (:func:`prune`), which a mapping
survives (it holds the inode). The C side refuses to map a file with any write permission bit.

Opening a version that already has a snapshot reads the configured file's header, compares it
with the snapshot's and maps the snapshot: constant time (the snapshot was verified when it
was made; it is not read again). The copy and its verification are paid once per table
version, by the load that first sees it.

What remains, stated rather than hidden:

- The gate's own user or root can still make a snapshot writable and truncate it; that kills
  the gate with SIGBUS, as it would any program whose code they can change. No one else can
  (0444 file in a folder only the gate's user writes).
- A configured file overwritten with a body damaged under an intact header, with the same
  size, names a version that already has a verified snapshot, so the load serves that
  snapshot, the last good copy of that version, and never reads the damaged body;
  ``is_stale`` (the start) reads and verifies the configured file in full and rebuilds it.
- The folder must belong to the gate's user and be writable by nobody else (checked, and
  group or other write taken away, at every load): whoever could write it could put another
  file under a snapshot's name.
- One gate per database folder: :func:`prune` removes whatever else is in the folder,
  including another process's half-written snapshot.

``gate lookup --table FILE`` opens a user's file, not a configured one: it reads it privately
(:meth:`Table.open`), as does the compiler's check of what it wrote.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from gate.errors import TableError
from gate.table.errors import TableEmpty, TableTruncated, TableUnreadable
from gate.table.native import HEADER_SIZE, Table

log = logging.getLogger("gate.table")

#: The snapshot folder's name, beside the database.
FOLDER_NAME = "tables"
SUFFIX = ".gtab"
#: The header's ``file_size`` field: a little-endian u64 at this offset (native/table.h).
_FILE_SIZE_AT = 16


def folder_for(database: Path) -> Path:
    """The gate-owned folder that holds the snapshots of a gate using ``database``."""
    return database.parent / FOLDER_NAME


def open_snapshot(source: Path, folder: Path) -> Table:
    """The table at ``source``, mapped from its snapshot in ``folder``: reused when the
    version already has one (constant time), otherwise copied, verified and renamed into
    place first (once per version). ``source`` itself is only read.

    Raises a TableError subclass when the source is no usable table (TableUnreadable for
    a file that cannot be read or copied); the folder then holds no new snapshot.
    """
    _own_folder(folder, source)
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise TableUnreadable(f"table {source}: {exc.strerror}") from exc
    try:
        size = _regular_size(fd, source)
        header = os.pread(fd, HEADER_SIZE, 0)
        if not header:
            raise TableEmpty(f"table {source}: the file is empty")
        if len(header) < HEADER_SIZE:
            raise TableTruncated(f"table {source}: the file is truncated")
        snapshot = folder / (hashlib.sha256(header).hexdigest() + SUFFIX)
        if _header_size(header) == size:
            reused = _reuse(snapshot, header)
            if reused is not None:
                return reused
        return _copy(fd, size, source, folder)
    finally:
        os.close(fd)


def _own_folder(folder: Path, source: Path) -> None:
    """Makes sure the snapshot folder exists, belongs to the gate's user and nobody else may
    write it (no group or other write bit): whoever can write the folder could put another
    file under a snapshot's name. Raises TableUnreadable when that cannot be had."""
    try:
        folder.mkdir(mode=0o755, parents=True, exist_ok=True)
        st = folder.stat()
        if st.st_uid != os.geteuid():
            raise TableUnreadable(
                f"table {source}: snapshot folder {folder} belongs to another user"
            )
        if st.st_mode & 0o022:
            folder.chmod(stat.S_IMODE(st.st_mode) & ~0o022)
    except OSError as exc:
        raise TableUnreadable(f"table {source}: no snapshot folder {folder}: {exc}") from exc


def prune(folder: Path, keep: Iterable[Table]) -> list[Path]:
    """Removes every file in the snapshot folder but the snapshots of the tables in ``keep``
    (the table in use); returns what it removed. A table still mapped from a removed file
    keeps working: its mapping holds the file until it is closed.

    Never raises: a snapshot left behind costs disk, not correctness, so a failure is logged
    and the next load tries again."""
    kept = {Path(table.info.path).resolve() for table in keep}
    removed = []
    try:
        for entry in folder.iterdir():
            if entry.resolve() not in kept and not entry.is_dir():
                entry.unlink(missing_ok=True)
                removed.append(entry)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("old table snapshots in %s not removed: %s", folder, exc)
    return removed


def _regular_size(fd: int, source: Path) -> int:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):  # a FIFO or a device could block or never end
        raise TableUnreadable(f"table {source}: not a regular file")
    return st.st_size


def _header_size(header: bytes) -> int:
    return int.from_bytes(header[_FILE_SIZE_AT : _FILE_SIZE_AT + 8], "little")


def _reuse(snapshot: Path, header: bytes) -> Table | None:
    """The snapshot mapped, if it exists and holds this header; None to make it again (a
    snapshot that cannot be mapped or holds another header is removed)."""
    try:
        table = Table.map(snapshot)
    except TableUnreadable:
        if not snapshot.exists():
            return None
        raise
    except TableError:
        # Not what gate left there (made writable, damaged): copy it again. Removing it
        # cannot hurt a table in use: a mapping holds its file.
        snapshot.unlink(missing_ok=True)
        return None
    if table.header_bytes() != header:
        snapshot.unlink(missing_ok=True)
        return None
    return table


def _copy(fd: int, size: int, source: Path, folder: Path) -> Table:
    """Copies the open source into a new snapshot: temporary name, fsync, 0444, mapped and
    verified in full, renamed to its version's name, the folder fsync'd. Returns the table
    mapped from the snapshot's final name."""
    try:
        out, name = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        tmp = Path(name)
    except OSError as exc:
        raise TableUnreadable(
            f"table {source}: cannot write a snapshot in {folder}: {exc}"
        ) from exc
    try:
        try:
            done = 0
            while done < size:
                sent = os.sendfile(out, fd, done, size - done)
                if sent == 0:
                    raise TableTruncated(f"table {source}: truncated while copied")
                done += sent
            os.fsync(out)
            os.fchmod(out, 0o444)
        finally:
            os.close(out)
        verified = Table.map(tmp, verify=True)
        snapshot = folder / (hashlib.sha256(verified.header_bytes()).hexdigest() + SUFFIX)
        os.replace(tmp, snapshot)
        _fsync_dir(folder)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TableUnreadable(f"table {source}: cannot snapshot into {folder}: {exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # The same inode under its final name: the table's path names the snapshot.
    return Table.map(snapshot)


def _fsync_dir(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
