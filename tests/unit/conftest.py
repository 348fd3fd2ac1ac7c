from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import time_machine

from integrations.store.migrate import upgrade
from tests.support.postgres import temporary_postgres_database
from tests.unit.trackers import make_tracker  # noqa: F401 - re-exported for tests

# Unit tests never read the machine's date: the clock starts here and moves forward in real time.
# TEST_CLOCK moves it, e.g. TEST_CLOCK=2028-02-29T23:30:00+00:00 make test-unit.
FROZEN_AT = datetime.fromisoformat(os.environ.get("TEST_CLOCK", "2026-11-25T15:00:00+00:00"))


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    """The test's clock; `clock.move_to(...)` or `clock.shift(...)` moves it."""
    with time_machine.travel(FROZEN_AT, tick=True) as traveller:
        yield traveller


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
