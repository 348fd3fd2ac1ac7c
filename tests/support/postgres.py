"""Throw-away databases on the PostgreSQL server at TEST_POSTGRES_URL, for tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from integrations.store.migrate import upgrade

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@contextmanager
def temporary_postgres_database(
    prefix: str = "leads_test", migrate: bool = True, skip_if_missing: bool = True
) -> Iterator[str]:
    """A throw-away database on the PostgreSQL server at TEST_POSTGRES_URL, migrated unless `migrate` is false.

    Without a server the test is skipped, or fails when `skip_if_missing` is false.
    """
    from integrations.store.db import engine_for

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        if not skip_if_missing:
            raise
        pytest.skip(f"no PostgreSQL at {POSTGRES_ADMIN_URL}: {error.orig}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        engine_for(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
