"""Throw-away databases on the PostgreSQL server at TEST_POSTGRES_URL, for tests and benchmarks.

Imports only SQLAlchemy at module level, so bench/load.py can use it from Rasa's environment
(no pytest, no Alembic there) with migrate=False and skip_if_missing=False.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@contextmanager
def temporary_postgres_database(
    prefix: str = "leads_test", migrate: bool = True, skip_if_missing: bool = True
) -> Iterator[str]:
    """A throw-away database on the PostgreSQL server at TEST_POSTGRES_URL, migrated unless `migrate` is false.

    Without a server the test is skipped, or fails when `skip_if_missing` is false.
    """
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        if not skip_if_missing:
            raise
        import pytest

        pytest.skip(f"no PostgreSQL at {POSTGRES_ADMIN_URL}: {error.orig}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        if migrate:
            from integrations.store.migrate import upgrade

            upgrade(url)
        yield url
    finally:
        if migrate:  # the project's code cached an engine for it
            from integrations.store.db import engine_for

            engine_for(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
