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


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode().strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {text})" if text.isdigit() else ""


class WriteTurn:
    """Whose turn it is to write the database: an exclusive ``flock`` on ``<database>.write``
    that a writer holds from its ``BEGIN`` to the end of its ``COMMIT`` (which runs SQLite's
    automatic checkpoint) or ``ROLLBACK``, and around opening and closing its connection.

    With the writer process (``GATE_WRITER=process``) the database has two write
    connections, the store's thread's and the process's. SQLite before 3.51.3 (this box has
    3.40) can corrupt a WAL database when two connections write or checkpoint at the same
    moment (the WAL-reset bug, sqlite.org/wal.html#walresetbug): one connection checkpoints
    while another commits and starts the WAL again. Taking turns, no two ever do. Each
    writer opens the file itself (an ``flock`` belongs to the open file), so the two exclude
    each other though they are one gate. Raises StoreError when the file cannot be opened.
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
