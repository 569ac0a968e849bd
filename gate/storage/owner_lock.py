"""One gate per database: an exclusive lock held for as long as a ``Store`` is open.

SQLite lets a second process open the same file and write to it. A second ``gate serve``
started by mistake on a running gate's config would then load the docks, re-decide and
journal into the live database (and drive its stack lights) before failing to bind its
ports. So the store takes ``<database>.lock`` with ``flock`` before it touches the database,
and refuses to open while another process holds it. The kernel drops the lock when the holder
exits, however it exits (kill -9 included), so a crash never leaves it stale. Readers
(``gate audit``, ``gate report``, the journal's background check) open the database read-only
and take no lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from gate.errors import StoreError


class OwnerLock:
    """The held lock of one database; ``release`` lets it go (safe to call twice)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @property
    def fd(self) -> int | None:
        """The held descriptor (None once released)."""
        return self._fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor drops the flock


def take(database: Path) -> OwnerLock:
    """Takes ``<database>.lock`` (creating its folder). Raises StoreError when another
    process (or another open store in this one) holds it."""
    path = database.with_name(database.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise StoreError(f"database {database}: cannot open its lock file {path}: {exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = _holder(fd)
        os.close(fd)
        raise StoreError(
            f"database {database} is in use by another gate{holder}: one gate per database"
            f" (lock {path})"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return OwnerLock(path, fd)


def note_writer(fd: int) -> None:
    """Adds this process, a gate's writer process holding its lock, to the lock file's pid:
    the lock outlives a killed gate while its writer lives, and a refusal must name that."""
    try:
        gate = os.pread(fd, 32, 0).decode().split()[0]
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{gate} {os.getpid()}\n".encode(), 0)
    except (OSError, UnicodeDecodeError, IndexError):
        pass  # the refusal then names no pid: the lock itself still holds


def _holder(fd: int) -> str:
    try:
        pids = os.pread(fd, 64, 0).decode().split()
    except (OSError, UnicodeDecodeError):
        return ""
    if len(pids) == 1 and pids[0].isdigit():
        return f" (pid {pids[0]})"
    if len(pids) == 2 and all(pid.isdigit() for pid in pids):
        return f" (pid {pids[0]}, or its writer process, pid {pids[1]}, while it lives)"
    return ""


class WriteTurn:
    """Whose turn it is to write the database: an exclusive ``flock`` on ``<database>.write``
    that a writer holds from its ``BEGIN`` to the end of its ``COMMIT`` (which runs SQLite's
    automatic checkpoint) or ``ROLLBACK``, and around opening and closing its connection.

    With the writer process (the default: ``gate.storage.writer_process``) the database has
    two write connections, the store's thread's and the process's. SQLite before 3.51.3 (this
    box has 3.40) can corrupt a WAL database when two connections write or checkpoint at the
    same moment (the WAL-reset bug, fixed in 3.51.3): one connection
    checkpoints while another commits and starts the WAL again. Taking turns, no two ever do.
    Each writer opens the file itself (an ``flock`` belongs to the open file), so the two
    exclude each other though they are one gate. Raises StoreError when the file cannot be
    opened.
    """

    def __init__(self, database: Path) -> None:
        path = database.with_name(database.name + ".write")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise StoreError(f"database {database}: cannot open {path}: {exc}") from exc

    def __enter__(self) -> WriteTurn:
        fcntl.flock(self._fd, fcntl.LOCK_EX)  # waits while the other writer has its turn
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)
