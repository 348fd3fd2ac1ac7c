"""Lead store and outbox on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text, update

from integrations.handoff import store_lead
from integrations.leads.transcript_links import TranscriptLinks
from integrations.outbox.channels.base import DeliveryError
from integrations.outbox.dispatcher import backoff_delay, dispatch_due
from integrations.outbox.outbox import enqueue
from integrations.outbox.summary import LeadSummary
from integrations.routing import load_policy as load_routing
from integrations.settings import outbox_schedule
from integrations.store.db import engine_for, transaction
from integrations.store.leads import save_lead, utcnow
from integrations.store.migrate import alembic_config, upgrade
from integrations.store.models import Lead, Notification, Person
from tests.support.leads import lead_record
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
    return lead_record(**values)


def all_leads(url: str) -> list[Lead]:
    with transaction(url) as session:
        return list(session.scalars(select(Lead)))


def person_rows(url: str) -> list[Person]:
    with transaction(url) as session:
        return list(session.scalars(select(Person)))


def test_another_conversation_with_the_same_email_never_overwrites_a_lead(store_url: str) -> None:
    with transaction(store_url) as session:
        save_lead(session, record("first", stage="SQL", phone="+14155552671"))
    with transaction(store_url) as session:  # a stranger who knows Ana's email
        save_lead(
            session,
            record("second", email=" ANA@acme.io", stage="IQL", person_name="Mallory", phone="+15550000000", source={}),
        )
    first, second = sorted(all_leads(store_url), key=lambda lead: lead.id)
    assert (first.conversation_id, first.stage, first.person_name, first.phone) == (
        "first",
        "SQL",
        "Ana",
        "+14155552671",
    )
    assert first.need_detail == "we need scoring ✓ — 日本語 and emoji 🚀" and first.unverified == []
    assert (second.conversation_id, second.stage, second.person_name) == ("second", "IQL", "Mallory")
    assert second.unverified == ["person_name", "phone"]  # differ from Ana's first conversation
    [person] = person_rows(store_url)
    assert first.person_id == second.person_id == person.id
    assert (person.email, person.person_name, person.phone) == ("ana@acme.io", "Ana", "+14155552671")


def test_matching_details_are_not_flagged(store_url: str) -> None:
    with transaction(store_url) as session:
        save_lead(session, record("first", phone="+1 415 555 2671"))
        later = save_lead(session, record("second", person_name=" ana ", company="ACME", phone="+14155552671"))
        assert later.unverified == []


def test_the_same_conversation_saving_again_updates_its_own_row(store_url: str) -> None:
    """A corrected answer re-scores the conversation's own lead (and its person, whose first lead it is)."""
    with transaction(store_url) as session:
        save_lead(session, record("c1", stage="MQL", phone="+14155552671"))
    with transaction(store_url) as session:
        save_lead(session, record("c1", stage="SQL", phone="+442079460958", source={}))
    [lead] = all_leads(store_url)
    assert (lead.stage, lead.phone, lead.unverified) == ("SQL", "+442079460958", [])
    assert lead.source == {"page_url": "https://acme.example/"}  # first visit's source is kept
    [person] = person_rows(store_url)
    assert person.phone == "+442079460958"


def test_a_conversation_that_changes_its_email_moves_to_the_other_person(store_url: str) -> None:
    with transaction(store_url) as session:
        save_lead(session, record("c1", email="typo@acme.io"))
    with transaction(store_url) as session:
        save_lead(session, record("c1", email="ana@acme.io"))
    assert [person.email for person in person_rows(store_url)] == ["ana@acme.io"]


def test_returning_person_is_announced_to_the_earlier_rep_in_the_same_transaction(store_url: str) -> None:
    links = TranscriptLinks("s3cret", "https://leads.example/t/{token}")
    routing = load_routing(Path("bot/qualification/reps.yml"))
    first = store_lead(
        store_url, record("first", phone="+14155552671"), links=links, channels=["local_log"], routing=routing
    )
    second = store_lead(
        store_url,
        record("second", stage="IQL", temperature="cold", score=10, phone="+15550000000"),
        links=links,
        channels=["local_log", "hubspot"],
        routing=routing,
    )
    assert second.rep is None and second.summary.unverified == ["phone"]
    assert "UNVERIFIED: phone differ" in second.summary.text
    with transaction(store_url) as session:
        notices = list(session.scalars(select(Notification).where(Notification.kind == "returning_person")))
    [notice] = notices  # to the rep's channels only: a CRM would upsert the unverified phone
    assert (notice.channel, notice.lead_id) == ("local_log", second.lead_id)
    assert notice.payload["rep"]["name"] == first.rep.name and notice.payload["earlier_lead_id"] == first.lead_id
    assert "Returning person: Ana <ana@acme.io>" in notice.payload["text"]
    assert "UNVERIFIED: phone" in notice.payload["text"]
    assert "second" not in notice.payload["transcript_url"]  # signed link, no conversation id
    # the same conversation saving again announces nothing twice
    store_lead(
        store_url,
        record("second", stage="IQL", temperature="cold", score=12),
        links=links,
        channels=["local_log"],
        routing=routing,
    )
    with transaction(store_url) as session:
        assert len(list(session.scalars(select(Notification).where(Notification.kind == "returning_person")))) == 1


def test_migration_0003_links_existing_leads_to_people(tmp_path: Path) -> None:
    for url_context in (nullcontext(f"sqlite:///{tmp_path / 'old.db'}"), temporary_postgres_database(migrate=False)):
        with url_context as url:
            config = alembic_config(url)
            command.upgrade(config, "0002")
            engine = create_engine(url)
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO leads (conversation_id, created_at, updated_at, email, person_name, consent,"
                        " score, stage, temperature, reasons, source, status) VALUES"
                        " ('c1', '2026-01-01', '2026-01-01', 'Ana@Acme.io', 'Ana', true, 80, 'SQL', 'hot', '[]',"
                        " '{}', 'new'),"
                        " ('c2', '2026-01-01', '2026-01-01', NULL, NULL, false, 9, 'IQL', 'cold', '[]', '{}', 'new')"
                    )
                )
            command.upgrade(config, "head")
            with engine.begin() as connection:
                people = connection.execute(text("SELECT id, email, person_name FROM people")).all()
                leads = connection.execute(text("SELECT conversation_id, person_id FROM leads ORDER BY id")).all()
            engine.dispose()
            assert [tuple(row)[1:] for row in people] == [("ana@acme.io", "Ana")]
            assert [tuple(row) for row in leads] == [("c1", people[0][0]), ("c2", None)]
            with transaction(url) as session:  # a second lead with that email is allowed now
                save_lead(session, record("c3", email="ana@acme.io"))
            engine_for(url).dispose()


OLD_LEAD_PAYLOAD = {
    "lead_id": 1,
    "name": "Ana",
    "email": "ana@acme.io",
    "bant": {
        "need": {"category": "defined", "answer": "lead scoring"},
        "authority": {"category": None, "answer": None},
        "budget": {"category": "allocated", "answer": "$40k", "amount": 40000.0, "currency": "USD", "period": None},
        "timeline": {"category": "immediate", "answer": "asap"},
    },
    "text": "HOT lead",
}
OLD_HANDOFF_PAYLOAD = {
    "text": "Visitor asked to talk to a human",
    "contact": {"person_name": "Ben", "email": "ben@x.io", "company": "X", "phone": None},
    "answers": {"need": "exploring", "authority": None, "budget": None, "timeline": None},
    "transcript": [{"from": "visitor", "text": "a human please"}],
}


def test_migration_0004_keeps_every_answer_and_rewrites_queued_notifications(tmp_path: Path) -> None:
    """Leads stored before 0004 get `answers` from their BANT columns; queued payloads take the summary shape."""
    for url_context in (nullcontext(f"sqlite:///{tmp_path / 'old.db'}"), temporary_postgres_database(migrate=False)):
        with url_context as url:
            config = alembic_config(url)
            command.upgrade(config, "0003")
            engine = create_engine(url)
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO leads (conversation_id, created_at, updated_at, consent, score, stage,"
                        " temperature, reasons, source, status, need, need_detail, budget, budget_amount,"
                        " budget_currency) VALUES ('c1', '2026-01-01', '2026-01-01', false, 80, 'SQL', 'hot', '[]',"
                        " '{}', 'new', 'defined', 'lead scoring', 'allocated', 40000, 'USD')"
                    )
                )
                for key, kind, payload in (("a", "sql_lead", OLD_LEAD_PAYLOAD), ("b", "handoff", OLD_HANDOFF_PAYLOAD)):
                    connection.execute(
                        text(
                            "INSERT INTO notifications (conversation_id, kind, channel, idempotency_key, payload,"
                            " status, attempts, next_attempt_at, created_at) VALUES ('c1', :kind, 'slack', :key,"
                            " :payload, 'dead', 1, '2026-01-01', '2026-01-01')"
                        ),
                        {"kind": kind, "key": key, "payload": json.dumps(payload)},
                    )
            command.upgrade(config, "head")
            with transaction(url) as session:
                [lead] = session.scalars(select(Lead))
                lead_answers = lead.answers
                lead_payload, handoff_payload = (
                    notice.payload for notice in session.scalars(select(Notification).order_by(Notification.id))
                )
            assert [answer["question"] for answer in lead_answers] == ["need", "authority", "budget", "timeline"]
            assert lead_answers[0] == {
                "question": "need",
                "label": "Need",
                "category": "defined",
                "text": "lead scoring",
            }
            assert lead_answers[2]["details"]["amount"] == 40000
            lead_summary = LeadSummary.from_payload(lead_payload)
            assert (lead_summary.name, lead_summary.answer("budget").details["currency"]) == ("Ana", "USD")
            assert lead_summary.answer("timeline").shown == 'immediate - "asap"'
            handoff = LeadSummary.from_payload(handoff_payload)
            assert (handoff.name, handoff.email, handoff.request) == (
                "Ben",
                "ben@x.io",
                "Visitor asked to talk to a human",
            )
            assert [answer.shown for answer in handoff.answered] == ["exploring"]
            assert handoff.transcript == [{"from": "visitor", "text": "a human please"}]

            command.downgrade(config, "0003")  # and back: the old shapes again
            with engine.begin() as connection:
                payloads = [row[0] for row in connection.execute(text("SELECT payload FROM notifications ORDER BY id"))]
            engine.dispose()
            old_lead, old_handoff = (json.loads(value) if isinstance(value, str) else value for value in payloads)
            assert old_lead["bant"]["budget"] == {
                "category": "allocated",
                "answer": "$40k",
                **OLD_LEAD_PAYLOAD["bant"]["budget"],
            }
            assert old_handoff["contact"]["person_name"] == "Ben" and old_handoff["answers"]["need"] == "exploring"
            engine_for(url).dispose()


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
    max_attempts = outbox_schedule().max_attempts
    for attempt in range(max_attempts):
        dispatch_due(store_url, {"flaky": channel}, now=now + timedelta(days=attempt + 1))
    with transaction(store_url) as session:
        [notification] = session.scalars(select(Notification))
        assert (notification.status, notification.attempts) == ("dead", max_attempts)
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
