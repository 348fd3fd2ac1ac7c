"""Throw-away databases on the PostgreSQL server at TEST_POSTGRES_URL, for benchmarks and tests.

Imports only SQLAlchemy, so the load benchmark can use it from Rasa's environment (no pytest, no Alembic
there); tests/support/postgres.py adds what the tests need on top (skip without a server, migrate).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A new empty database `<prefix>_<8 hex digits>` on the server at TEST_POSTGRES_URL, dropped (WITH (FORCE))
    afterwards; its URL. Without a server, sqlalchemy's OperationalError is raised before anything is yielded."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except BaseException:
        admin.dispose()
        raise
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
