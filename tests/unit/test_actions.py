"""Custom actions against a real SQLite file and the local outbox log."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.actions.qualify import ActionQualifyLead
from bot.actions.side import ActionExplainWhy, ActionGreetIfFirst, ActionHumanHandoff, ActionStopConversation
from integrations.store.models import Lead, Notification
from tests.unit.trackers import DOMAIN, make_tracker

HOT = {"need": "defined", "authority": "decision_maker", "budget": "allocated", "timeline": "immediate"}
CONTACT = {"person_name": "Ana Lima", "email": "ana@acme.io", "company": "Acme", "phone": "+14155552671"}
SOURCE = {"page_url": "https://example.com/pricing?utm_source=ads", "utm_source": "ads"}


def run(action, tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return events, dispatcher.messages


def slots_of(events) -> dict:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def leads(database_url: str) -> list[Lead]:
    with Session(create_engine(database_url)) as session:
        return list(session.scalars(select(Lead)))


def notifications(database_url: str) -> list[Notification]:
    with Session(create_engine(database_url)) as session:
        return list(session.scalars(select(Notification)))


def outbox_lines(path: str, expected: int = 1, timeout: float = 5.0) -> list[dict]:
    """Lines of the local log, waiting for the background delivery to write them."""
    deadline = time.monotonic() + timeout
    while True:
        lines = Path(path).read_text().splitlines() if Path(path).exists() else []
        if len(lines) >= expected or time.monotonic() > deadline:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)


def qualified_tracker(answers: dict, consent: bool = True, contact: dict = CONTACT, sender: str = "conv-1"):
    details = {f"{key}_detail": f"words about {key}" for key in answers}
    events = [{"event": "user", "text": "I want a demo", "metadata": SOURCE}]
    return make_tracker(slots={**answers, **details, **contact, "consent": consent}, events=events, sender_id=sender)


def test_sql_lead_is_stored_scored_and_handed_off(action_env) -> None:
    events, messages = run(ActionQualifyLead(), qualified_tracker(HOT))
    slots = slots_of(events)
    assert (slots["lead_score"], slots["lead_stage"], slots["lead_temperature"]) == (100.0, "SQL", "hot")
    assert messages[0]["response"] == "utter_next_step_sql"
    [lead] = leads(action_env["DATABASE_URL"])
    assert (lead.email, lead.person_name, lead.stage, lead.score) == ("ana@acme.io", "Ana Lima", "SQL", 100)
    assert lead.need_detail == "words about need"
    assert lead.source == SOURCE
    assert lead.consent and lead.consent_at is not None and "store these details" in lead.consent_text
    assert lead.follow_up_by is not None
    entry = outbox_lines(action_env["OUTBOX_LOG"])[0]
    deadline = time.monotonic() + 5
    while notifications(action_env["DATABASE_URL"])[0].status != "sent" and time.monotonic() < deadline:
        time.sleep(0.05)  # the log line is written before the row is marked sent
    [notification] = notifications(action_env["DATABASE_URL"])
    assert notification.status == "sent"
    assert lead.assigned_rep == entry["rep"]["name"]
    assert messages[1]["response"] == "utter_offer_meeting"  # the free times as quick replies, with the link
    assert "cal.acme.example" in messages[1]["booking_link"] and messages[1]["buttons"][-1]["title"] == "Other times"
    assert entry["kind"] == "sql_lead"
    assert entry["name"] == "Ana Lima" and entry["stage"] == "SQL"
    assert 'Need: defined - "words about need"' in entry["text"]


def test_mql_and_iql_are_stored_without_rep_notification(action_env) -> None:
    warm = {"need": "exploring", "authority": "decision_maker", "budget": "planned", "timeline": "quarter"}
    cold = {"need": "none", "authority": "researcher", "budget": "none", "timeline": "none"}
    warm_tracker = qualified_tracker(warm, contact={**CONTACT, "email": "w@a.io"}, sender="conv-warm")
    _, warm_messages = run(ActionQualifyLead(), warm_tracker)
    _, cold_messages = run(ActionQualifyLead(), qualified_tracker(cold, contact={**CONTACT, "email": "c@a.io"}))
    assert warm_messages[0]["response"] == "utter_next_step_mql"
    assert cold_messages[0]["response"] == "utter_next_step_iql"
    assert sorted(lead.stage for lead in leads(action_env["DATABASE_URL"])) == ["IQL", "MQL"]
    assert notifications(action_env["DATABASE_URL"]) == []


def test_without_consent_no_contact_details_are_stored(action_env) -> None:
    events, messages = run(ActionQualifyLead(), qualified_tracker(HOT, consent=False))
    [lead] = leads(action_env["DATABASE_URL"])
    assert (lead.person_name, lead.email, lead.company, lead.phone) == (None, None, None, None)
    assert lead.consent is False and lead.stage == "SQL"
    assert messages[0]["response"] == "utter_next_step_no_consent"
    assert slots_of(events)["email"] is None
    entry = outbox_lines(action_env["OUTBOX_LOG"])[0]
    assert entry["email"] is None and entry["name"] is None


def test_returning_visitor_keeps_each_conversation_and_the_same_conversation_rescores(action_env) -> None:
    warm = {"need": "exploring", "authority": "influencer", "budget": "planned", "timeline": "later"}
    run(ActionQualifyLead(), qualified_tracker(HOT, sender="first-visit"))
    run(
        ActionQualifyLead(),
        qualified_tracker(warm, sender="second-visit", contact={**CONTACT, "phone": "+15550000000"}),
    )
    run(ActionQualifyLead(), qualified_tracker(warm, sender="second-visit"))  # a corrected phone: re-scored
    first, second = sorted(leads(action_env["DATABASE_URL"]), key=lambda lead: lead.id)
    assert (first.conversation_id, first.stage, first.phone) == ("first-visit", "SQL", "+14155552671")
    assert (second.conversation_id, second.stage, second.phone) == ("second-visit", "MQL", "+14155552671")
    assert first.person_id == second.person_id and second.unverified == []
    kinds = sorted({notification.kind for notification in notifications(action_env["DATABASE_URL"])})
    assert kinds == ["returning_person", "sql_lead"]


def test_database_down_gives_a_polite_answer(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/missing-dir/leads.db")
    monkeypatch.setenv("OUTBOX_LOG", str(tmp_path / "outbox.log"))
    events, messages = run(ActionQualifyLead(), qualified_tracker(HOT))
    assert messages[0]["response"] == "utter_lead_saved_error"
    assert slots_of(events)["lead_stage"] == "SQL"


def test_human_handoff_notifies_with_transcript(action_env) -> None:
    events = [
        {"event": "user", "text": "hi", "metadata": {}},
        {"event": "bot", "text": "Hi, I'm Ada"},
        {"event": "user", "text": "can I talk to a person?", "metadata": {}},
    ]
    tracker = make_tracker("can I talk to a person?", "human_handoff", events=events, slots={"email": "x@y.io"})
    _, messages = run(ActionHumanHandoff(), tracker)
    assert messages[0]["response"] == "utter_handoff_done"
    entry = outbox_lines(action_env["OUTBOX_LOG"])[0]
    assert entry["kind"] == "handoff"
    assert entry["rep"]["name"]
    assert [line["text"] for line in entry["transcript"]] == ["hi", "Hi, I'm Ada", "can I talk to a person?"]


def test_human_handoff_without_email_asks_for_it(action_env) -> None:
    _, messages = run(ActionHumanHandoff(), make_tracker("human please", "human_handoff"))
    assert messages[0]["response"] == "utter_handoff_no_contact"


def test_explain_why_uses_the_open_question_or_the_topic_named() -> None:
    _, open_question = run(ActionExplainWhy(), make_tracker("why?", "ask_why", slots={"requested_slot": "budget"}))
    _, named = run(
        ActionExplainWhy(), make_tracker("why do you need my email", "ask_why", slots={"requested_slot": "company"})
    )
    _, generic = run(ActionExplainWhy(), make_tracker("why?", "ask_why"))
    assert open_question[0]["response"] == "utter_why_budget"
    assert named[0]["response"] == "utter_why_email"
    assert generic[0]["response"] == "utter_why_generic"


def test_stop_deactivates_the_form() -> None:
    events, messages = run(ActionStopConversation(), make_tracker("stop", "stop", active_loop="contact_form"))
    assert {"event": "active_loop", "name": None} in [{k: e.get(k) for k in ("event", "name")} for e in events]
    assert messages[0]["response"] == "utter_stopped"


def test_greet_only_when_the_bot_has_not_spoken_yet() -> None:
    _, first = run(ActionGreetIfFirst(), make_tracker("I want a demo", "request_demo"))
    later_events = [{"event": "bot", "text": "Hi"}, {"event": "user", "text": "demo"}]
    _, later = run(ActionGreetIfFirst(), make_tracker("demo", "request_demo", events=later_events))
    assert first[0]["response"] == "utter_greet_short"
    assert later == []
