from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from integrations.store.migrate import upgrade
from tests.support.postgres import temporary_postgres_database
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


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    with temporary_postgres_database() as url:
        yield url
