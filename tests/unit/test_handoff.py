"""'Talk to a human': limits per conversation, per client and overall; spooled while the database is down."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from bot.actions.side import ALREADY_ALERTED, ActionHumanHandoff
from integrations.handoff import store_handoff_request
from integrations.handoff_limits import HandoffLimits
from integrations.leads.transcript_links import TranscriptLinks
from integrations.outbox.channels.local_log import LocalLogChannel
from integrations.outbox.dispatcher import dispatch_due
from integrations.outbox.summary import LeadSummary
from integrations.outbox.worker import one_round
from integrations.routing import load_policy
from integrations.settings import Settings
from integrations.spool import spooled_count
from integrations.store.db import transaction
from integrations.store.migrate import upgrade
from integrations.store.models import Notification
from tests.unit.trackers import DOMAIN, make_tracker

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
REPS = load_policy(Path("bot/qualification/reps.yml"))
LIMITS = HandoffLimits(conversation_minutes=10, per_client_per_hour=3, per_hour=5)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, database_url: str) -> str:
    return database_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")


def ask(url: str, conversation_id: str, at: datetime, client: str | None = None, key: str | None = None):
    return store_handoff_request(
        url,
        conversation_id=conversation_id,
        request_key=key or f"{conversation_id}:{at.timestamp()}",
        summary=LeadSummary(request="Visitor asked to talk to a human"),
        channels=["local_log"],
        routing=REPS,
        links=TranscriptLinks("secret", "https://x/{token}"),
        limits=LIMITS,
        client=client,
        now=at,
    )


def handoffs(url: str) -> list[Notification]:
    with transaction(url) as session:
        return list(session.scalars(select(Notification).where(Notification.kind == "handoff")))


def test_one_alert_per_conversation_per_ten_minutes(store_url: str) -> None:
    assert ask(store_url, "c1", NOW).limited is None
    assert ask(store_url, "c1", NOW + timedelta(seconds=1)).limited == "conversation"
    assert ask(store_url, "c1", NOW + timedelta(minutes=9)).limited == "conversation"
    assert ask(store_url, "c1", NOW + timedelta(minutes=10)).limited is None
    assert len(handoffs(store_url)) == 2
    [notification, _] = handoffs(store_url)
    assert "c1" not in notification.payload["transcript_url"]  # a signed link, not the conversation id


def test_per_client_and_overall_ceilings(store_url: str) -> None:
    outcomes = [ask(store_url, f"flood-{index}", NOW + timedelta(seconds=index), client="ip-1") for index in range(25)]
    assert [outcome.limited for outcome in outcomes[:4]] == [None, None, None, "client"]
    others = [
        ask(store_url, f"other-{index}", NOW + timedelta(minutes=1), client=f"ip-{index + 2}") for index in range(3)
    ]
    assert [outcome.limited for outcome in others] == [None, None, "overall"]  # 5 per hour in all
    assert len(handoffs(store_url)) == 5
    assert ask(store_url, "later", NOW + timedelta(hours=1, minutes=2), client="ip-1").limited is None


def run_handoff(tracker) -> list[dict]:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHumanHandoff().run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages


def test_the_visitor_hears_the_team_was_already_alerted(action_env) -> None:
    tracker = make_tracker("human please", "human_handoff", slots={"email": "x@y.io"}, sender_id="again")
    assert run_handoff(tracker)[0]["response"] == "utter_handoff_done"
    assert run_handoff(tracker)[0]["text"] == ALREADY_ALERTED
    assert len(handoffs(action_env["DATABASE_URL"])) == 1


def test_a_handoff_while_the_database_is_down_is_spooled_and_delivered_later(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = tmp_path / "db" / "leads.db"  # its folder does not exist yet: the database is down
    spool = tmp_path / "spool.jsonl"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("OUTBOX_LOG", str(tmp_path / "outbox.log"))
    monkeypatch.setenv("LEAD_SPOOL", str(spool))
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    tracker = make_tracker("a person please", "human_handoff", slots={"email": "x@y.io"}, sender_id="down")
    assert run_handoff(tracker)[0]["response"] == "utter_handoff_done"
    assert run_handoff(tracker)[0]["text"] == ALREADY_ALERTED  # not spooled twice
    assert spooled_count(spool) == 1

    upgrade(f"sqlite:///{database}")  # the database is back
    settings = Settings.from_env()
    channels = {"local_log": LocalLogChannel(settings.outbox_log)}
    one_round(settings, channels)
    assert spooled_count(spool) == 0
    [notification] = handoffs(settings.database_url)
    assert (notification.conversation_id, notification.status) == ("down", "sent")
    assert '"kind": "handoff"' in (tmp_path / "outbox.log").read_text()
    assert dispatch_due(settings.database_url, channels).sent == 0  # delivered once
