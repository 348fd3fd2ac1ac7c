"""The lead spool keeps leads the database refused and stores them once it is back."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from integrations.handoff import store_lead
from integrations.leads.transcript_links import TranscriptLinks
from integrations.routing import load_policy
from integrations.spool import record_from_json, record_to_json, replay_spool, spool_lead, spooled_count
from integrations.store.leads import LeadRecord
from integrations.store.models import Lead, Notification
from tests.support.leads import lead_record

REPS = Path("bot/qualification/reps.yml")


def hot_lead(conversation_id: str = "c-1", email: str = "zoë@acme.io") -> LeadRecord:
    return lead_record(
        conversation_id=conversation_id,
        score=90,
        stage="SQL",
        temperature="hot",
        reasons=["budget allocated"],
        consent=True,
        consent_text="May we store these details?",
        person_name="Zoë Ünal 🚀",
        email=email,
        company="Acme",
        need="defined",
        need_detail="lead scoring <script>",
        budget="allocated",
        budget_amount=40000.0,
        budget_currency="USD",
        source={"page": "/pricing", "utm_source": "ads"},
        follow_up_by=datetime(2026, 11, 26, 9, 30, tzinfo=timezone.utc),
    )


def store_into(database_url: str):
    def store(record: LeadRecord) -> None:
        store_lead(database_url, record, links=TranscriptLinks("s", "http://x/{token}"), channels=["local_log"],
                   routing=load_policy(REPS))  # fmt: skip

    return store


def test_a_record_survives_the_round_trip_through_json() -> None:
    record = hot_lead()
    assert record_from_json(record_to_json(record)) == record


def test_spooled_leads_are_stored_with_their_notification_and_removed(tmp_path: Path, database_url: str) -> None:
    spool = tmp_path / "lead-spool.jsonl"
    spool_lead(spool, hot_lead("c-1", "a@acme.io"))
    spool_lead(spool, hot_lead("c-2", "b@acme.io"))
    assert spooled_count(spool) == 2
    assert replay_spool(spool, store_into(database_url)) == 2
    assert spooled_count(spool) == 0
    with Session(create_engine(database_url)) as session:
        leads = session.scalars(select(Lead).order_by(Lead.conversation_id)).all()
        assert [(lead.conversation_id, lead.person_name) for lead in leads] == [
            ("c-1", "Zoë Ünal 🚀"),
            ("c-2", "Zoë Ünal 🚀"),
        ]
        assert session.query(Notification).count() == 2


def test_a_lead_that_still_fails_stays_in_the_spool(tmp_path: Path, database_url: str) -> None:
    spool = tmp_path / "lead-spool.jsonl"
    spool_lead(spool, hot_lead("c-1", "a@acme.io"))
    spool_lead(spool, hot_lead("c-2", "b@acme.io"))

    def store_only_c2(record: LeadRecord) -> None:
        if record.conversation_id == "c-1":
            raise OSError("database is locked")
        store_into(database_url)(record)

    assert replay_spool(spool, store_only_c2) == 1
    assert spooled_count(spool) == 1
    assert replay_spool(spool, store_into(database_url)) == 1
    assert spooled_count(spool) == 0


def test_replaying_twice_does_not_duplicate(tmp_path: Path, database_url: str) -> None:
    spool = tmp_path / "lead-spool.jsonl"
    spool_lead(spool, hot_lead())
    text = spool.read_text()
    replay_spool(spool, store_into(database_url))
    spool.write_text(text)  # as if the worker died after storing but before rewriting the spool
    replay_spool(spool, store_into(database_url))
    with Session(create_engine(database_url)) as session:
        assert session.query(Lead).count() == 1


def test_an_unreadable_line_is_set_aside_not_lost(tmp_path: Path, database_url: str) -> None:
    spool = tmp_path / "lead-spool.jsonl"
    spool_lead(spool, hot_lead())
    with open(spool, "a") as file:
        file.write('{"record": {"conversation_id": "torn\n')
    assert replay_spool(spool, store_into(database_url)) == 1
    assert spooled_count(spool) == 0
    assert "torn" in (tmp_path / "lead-spool.jsonl.bad").read_text()


def test_no_spool_file_means_nothing_to_do(tmp_path: Path) -> None:
    def never(record: LeadRecord) -> None:
        pytest.fail("nothing should be stored")

    assert replay_spool(tmp_path / "missing.jsonl", never) == 0
