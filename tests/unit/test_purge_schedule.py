"""The retention purge runs from the dispatcher on its own schedule, once per interval across dispatchers."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from integrations.outbox.schedule import take_turn
from integrations.outbox.worker import purge_if_due
from integrations.settings import Settings
from integrations.store.db import transaction
from integrations.store.leads import save_lead
from integrations.store.models import Lead
from tests.support.leads import lead_record

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, database_url: str) -> str:
    return database_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")


def test_a_job_takes_one_turn_per_interval(store_url: str) -> None:
    day = timedelta(days=1)
    assert take_turn(store_url, "job", day, NOW)
    assert not take_turn(store_url, "job", day, NOW)  # a second dispatcher in the same round
    assert not take_turn(store_url, "job", day, NOW + timedelta(hours=23))
    assert take_turn(store_url, "job", day, NOW + day)
    assert take_turn(store_url, "other", day, NOW)


def lead_ids(url: str) -> list[str]:
    with transaction(url) as session:
        return list(session.scalars(select(Lead.conversation_id).order_by(Lead.id)))


def test_the_dispatcher_purges_expired_leads_once_a_day(
    store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", store_url)
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{tmp_path / 'no-tracker.db'}")
    monkeypatch.setenv("OUTBOX_LOG", str(tmp_path / "outbox.log"))
    monkeypatch.setenv("LEAD_SPOOL", str(tmp_path / "spool.jsonl"))
    monkeypatch.delenv("PURGE_INTERVAL_HOURS", raising=False)
    for conversation_id, age in (("old", 400), ("recent", 10), ("later", 29)):
        with transaction(store_url) as session:
            record = lead_record(conversation_id, 10, "IQL", "cold", [], email=f"{conversation_id}@x.io", consent=True)
            save_lead(session, record, now=NOW - timedelta(days=age))
    settings = Settings.from_env()
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    assert not purge_if_due(settings, NOW)  # no retention configured: nothing runs
    monkeypatch.setenv("RETENTION_DAYS", "30")
    assert purge_if_due(settings, NOW)
    assert lead_ids(store_url) == ["recent", "later"]
    assert not purge_if_due(settings, NOW + timedelta(hours=12))  # once a day
    assert lead_ids(store_url) == ["recent", "later"]
    assert purge_if_due(settings, NOW + timedelta(days=2))
    assert lead_ids(store_url) == ["recent"]
