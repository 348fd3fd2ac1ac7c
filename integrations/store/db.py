"""One engine per process and database URL; one session per unit of work."""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from integrations.private_files import private_file

SQLITE_BUSY_SECONDS = 2.0
WAL_SWITCH_ATTEMPTS = 5


@functools.lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":  # 0600 before SQLite writes a byte (its WAL takes the same mode)
            private_file(Path(database))
        # SQLite waits this long for a lock per statement; the lead store's retries (integrations/handoff.py)
        # add up to a few seconds, so an answer still comes within the action timeout.
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL is a property of the file: switch only once. Switching needs the file to itself, so two
    # processes opening a new database at once (action server and dispatcher) would otherwise fail
    # with "database is locked" after the short busy timeout; reading the mode needs no lock.
    # If two still race (a file made by an older release), the loser finds the mode already switched.
    for attempt in range(WAL_SWITCH_ATTEMPTS):
        if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            break
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if attempt == WAL_SWITCH_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@functools.lru_cache(maxsize=8)
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


@contextmanager
def transaction(url: str) -> Iterator[Session]:
    """A session whose work is committed together, or rolled back on any error."""
    with _session_factory(url).begin() as session:
        yield session
