"""Lead store and outbox on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from integrations.outbox.channels.base import DeliveryError
from integrations.outbox.dispatcher import MAX_ATTEMPTS, backoff_delay, dispatch_due
from integrations.outbox.outbox import enqueue
from integrations.store.db import transaction
from integrations.store.leads import LeadRecord, save_lead, utcnow
from integrations.store.migrate import upgrade
from integrations.store.models import Lead, Notification
from tests.unit.conftest import temporary_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'leads.db'}"
        upgrade(url)
        yield url
        return
    with temporary_postgres_database() as url:
        yield url


def record(conversation_id: str = "c1", email: str | None = "ana@acme.io", consent: bool = True, **overrides):
    values = dict(
        conversation_id=conversation_id,
        score=80,
        stage="SQL",
        temperature="hot",
        reasons=["need: defined (+25)"],
        consent=consent,
        person_name="Ana",
        email=email,
        company="Acme",
        need="defined",
        need_detail="we need scoring ✓ — 日本語 and emoji 🚀",
        source={"page_url": "https://acme.example/"},
    )
    values.update(overrides)
    return LeadRecord(**values)


def all_leads(url: str) -> list[Lead]:
    with transaction(url) as session:
        return list(session.scalars(select(Lead)))


def test_upsert_by_email(store_url: str) -> None:
    with transaction(store_url) as session:
        save_lead(session, record("first", stage="MQL"))
    with transaction(store_url) as session:
        save_lead(session, record("second", stage="SQL", source={}))
    [lead] = all_leads(store_url)
    assert (lead.conversation_id, lead.stage) == ("second", "SQL")
    assert lead.source == {"page_url": "https://acme.example/"}  # first visit's source is kept
    assert lead.need_detail == "we need scoring ✓ — 日本語 and emoji 🚀"


def test_without_consent_one_anonymous_row_per_conversation(store_url: str) -> None:
    for _ in range(2):
        with transaction(store_url) as session:
            save_lead(session, record("anon", consent=False))
    [lead] = all_leads(store_url)
    assert (lead.email, lead.person_name, lead.company, lead.consent_at) == (None, None, None, None)


def test_lead_and_notification_commit_or_roll_back_together(store_url: str) -> None:
    with pytest.raises(RuntimeError), transaction(store_url) as session:
        lead = save_lead(session, record())
        enqueue(session, kind="sql_lead", conversation_id="c1", lead_id=lead.id, payload={}, channels=["local_log"])
        raise RuntimeError("crash before commit")
    assert all_leads(store_url) == []
    with transaction(store_url) as session:
        assert session.scalars(select(Notification)).first() is None


def test_same_notification_is_not_queued_twice(store_url: str) -> None:
    for _ in range(2):
        with transaction(store_url) as session:
            lead = save_lead(session, record())
            enqueue(session, kind="sql_lead", conversation_id="c1", lead_id=lead.id, payload={}, channels=["a", "b"])
    with transaction(store_url) as session:
        assert len(list(session.scalars(select(Notification)))) == 2


class FlakyChannel:
    """A real channel object that fails a given number of times before delivering."""

    name = "flaky"

    def __init__(self, failures: int, retry_after: float | None = None) -> None:
        self.failures = failures
        self.retry_after = retry_after
        self.delivered: list[str] = []

    def send(self, notification: Notification) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryError("receiver is down", retry_after=self.retry_after)
        self.delivered.append(notification.idempotency_key)


def queue_one(url: str) -> None:
    with transaction(url) as session:
        lead = save_lead(session, record())
        enqueue(session, kind="sql_lead", conversation_id="c1", lead_id=lead.id, payload={"x": 1}, channels=["flaky"])


def test_dispatcher_retries_with_backoff_then_delivers_once(store_url: str) -> None:
    queue_one(store_url)
    channel = FlakyChannel(failures=2, retry_after=30)
    assert dispatch_due(store_url, {"flaky": channel}).retried == 1
    assert dispatch_due(store_url, {"flaky": channel}).sent == 0  # not due yet: Retry-After honoured
    later = utcnow() + timedelta(hours=1)
    assert dispatch_due(store_url, {"flaky": channel}, now=later).retried == 1
    assert dispatch_due(store_url, {"flaky": channel}, now=later + timedelta(hours=1)).sent == 1
    assert dispatch_due(store_url, {"flaky": channel}, now=later + timedelta(hours=2)).sent == 0
    assert len(channel.delivered) == 1


def test_dead_letter_after_the_last_attempt(store_url: str) -> None:
    queue_one(store_url)
    channel = FlakyChannel(failures=100)
    now = utcnow()
    for attempt in range(MAX_ATTEMPTS):
        dispatch_due(store_url, {"flaky": channel}, now=now + timedelta(days=attempt + 1))
    with transaction(store_url) as session:
        [notification] = session.scalars(select(Notification))
        assert (notification.status, notification.attempts) == ("dead", MAX_ATTEMPTS)
        assert "receiver is down" in notification.last_error


def test_backoff_grows_and_has_jitter() -> None:
    delays = [backoff_delay(attempt) for attempt in range(1, 8)]
    assert delays[0] <= 2.0 and delays[-1] >= 32
    assert backoff_delay(1, retry_after=120) == 120


class CountingChannel:
    name = "counting"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, notification: Notification) -> None:
        time.sleep(0.01)  # a real send takes a while; a second dispatcher must not send it meanwhile
        self.sent.append(notification.idempotency_key)


def test_concurrent_dispatchers_send_each_notification_once(store_url: str) -> None:
    with transaction(store_url) as session:
        for index in range(30):
            lead = save_lead(session, record(f"c{index}", email=f"lead{index}@x.io"))
            enqueue(
                session,
                kind="sql_lead",
                conversation_id=f"c{index}",
                lead_id=lead.id,
                payload={},
                channels=["counting"],
            )
    channel = CountingChannel()
    threads = [threading.Thread(target=dispatch_due, args=(store_url, {"counting": channel})) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(channel.sent) == len(set(channel.sent)) == 30


def test_a_crashed_send_is_retried_after_its_lease(store_url: str) -> None:
    queue_one(store_url)
    with transaction(store_url) as session:  # a dispatcher claimed it and died
        session.execute(update(Notification).values(status="sending", next_attempt_at=utcnow() + timedelta(minutes=2)))
    channel = FlakyChannel(failures=0)
    assert dispatch_due(store_url, {"flaky": channel}).sent == 0
    assert dispatch_due(store_url, {"flaky": channel}, now=utcnow() + timedelta(minutes=3)).sent == 1
