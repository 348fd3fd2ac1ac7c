from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from integrations.store.migrate import upgrade
from tests.unit.trackers import make_tracker  # noqa: F401 - re-exported for tests


@pytest.fixture()
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'leads.db'}"
    upgrade(url)
    return url


@pytest.fixture()
def action_env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> dict[str, str]:
    """Point the actions at a fresh SQLite file and outbox log."""
    env = {"DATABASE_URL": database_url, "OUTBOX_LOG": str(tmp_path / "outbox.log")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@contextmanager
def temporary_postgres_database() -> Iterator[str]:
    """A migrated, throw-away database on the PostgreSQL server at TEST_POSTGRES_URL."""
    from integrations.store.db import engine_for

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"leads_test_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        pytest.skip(f"no PostgreSQL at {POSTGRES_ADMIN_URL}: {error.orig}")
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        engine_for(url).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    with temporary_postgres_database() as url:
        yield url
