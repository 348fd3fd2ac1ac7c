"""Leave no deleted bytes in a SQLite database file: checkpoint the WAL and VACUUM.

SQLite keeps deleted rows in free pages of the file and, in WAL mode, in the `-wal` file until a
checkpoint. After an erasure both must go: `compact` copies the WAL into the database, rebuilds the
file without free pages (VACUUM) and truncates the WAL to zero bytes. Other databases are left alone.
"""

from __future__ import annotations

import sqlite3
import time

from integrations.leads.transcripts import sqlite_path


class CompactError(Exception):
    """The database stayed busy: its deleted bytes may remain until the next compaction."""


def _checkpoint(connection: sqlite3.Connection, attempts: int) -> None:
    for attempt in range(attempts):
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return
        time.sleep(0.1 * (attempt + 1))
    raise CompactError("another connection kept the database busy; run the command again")


def compact(url: str, attempts: int = 20) -> bool:
    """Checkpoint and VACUUM a SQLite database (True), or do nothing for another database (False)."""
    path = sqlite_path(url)
    if path is None or not path.exists():
        return False
    connection = sqlite3.connect(path, timeout=15, isolation_level=None)
    try:
        connection.execute("PRAGMA secure_delete=ON")
        _checkpoint(connection, attempts)
        connection.execute("VACUUM")
        _checkpoint(connection, attempts)
    except sqlite3.OperationalError as error:
        raise CompactError(f"cannot compact {path.name}: {error}") from error
    finally:
        connection.close()
    return True
