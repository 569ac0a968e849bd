"""A gate database as an older build left it: the schema's first migrations only, for the
tests of what the later ones do to its rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gate.storage.schema import MIGRATIONS


def database_at(path: Path, version: int) -> sqlite3.Connection:
    """A new database at ``path`` migrated to schema ``version`` (and recorded so, as the
    store records it), open for the caller to add the old rows and close."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
    for number, script in enumerate(MIGRATIONS[:version], start=1):
        conn.executescript(script)
        conn.execute("INSERT INTO schema_migrations VALUES (?, 'then')", (number,))
    return conn
