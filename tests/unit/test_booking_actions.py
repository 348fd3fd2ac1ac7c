"""Booking in the chat: the offer after qualifying, quick-reply and typed choices, a slot taken meanwhile."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from bot.actions.booking import ActionBookMeeting
from bot.actions.qualify import ActionQualifyLead
from integrations.store.db import transaction
from integrations.store.models import Booking, Lead
from tests.unit.trackers import DOMAIN, make_tracker, parse

NEW_YORK = ZoneInfo("America/New_York")
HOT = {"need": "defined", "authority": "decision_maker", "budget": "allocated", "timeline": "immediate"}
WARM = {"need": "exploring", "authority": "decision_maker", "budget": "planned", "timeline": "quarter"}
CONTACT = {"person_name": "Ana Lima", "email": "ana@acme.io", "company": "Acme", "phone": "+14155552671"}
# Monday 30 November 2026, 14:00 UTC = 09:00 in New York, 15:00 in Berlin
MONDAY = datetime(2026, 11, 30, 14, 0, tzinfo=timezone.utc)


@pytest.fixture()
def booking_env(action_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock) -> dict[str, str]:
    reps = {
        "reps": [
            {
                "name": "Dana Whitfield",
                "email": "dana@acme.example",
                "booking_link": "https://cal.acme.example/dana",
                "timezone": "Europe/Berlin",
                "working_hours": {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
            }
        ],
        "fallback": {"name": "Sales team", "email": "sales@acme.example"},
        "assign_stages": ["SQL"],
        "booking": {"offer": 4, "min_notice_minutes": 60},
    }
    path = tmp_path / "reps.yml"
    path.write_text(yaml.safe_dump(reps))
    monkeypatch.setenv("REPS_FILE", str(path))
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Europe/Berlin")
    clock.move_to(MONDAY, tick=False)
    return action_env


def run(action, tracker) -> tuple[dict, list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    slots = {event["name"]: event["value"] for event in events if event["event"] == "slot"}
    return slots, [event for event in events if event["event"] != "slot"], dispatcher.messages


def first_message(zone: str | None = "America/New_York", intent: str = "request_demo") -> dict:
    metadata = {"page_url": "https://acme.example/", **({"timezone": zone} if zone else {})}
    return {
        "event": "user",
        "text": "I want a demo",
        "parse_data": parse("I want a demo", intent),
        "metadata": metadata,
    }


def qualified(
    answers: dict = HOT, sender: str = "conv-1", zone: str | None = "America/New_York", intent="request_demo"
):
    slots = {**answers, **CONTACT, "email": f"{sender}@acme.io", "consent": True}
    return make_tracker(slots=slots, events=[first_message(zone, intent)], sender_id=sender)


def choose(slots: dict, text: str, choice: str | None = None, sender: str = "conv-1", zone="America/New_York"):
    if choice:
        text = f'/choose_meeting_time{{"meeting_choice": "{choice}"}}'
    tracker_slots = {**CONTACT, **slots, "email": f"{sender}@acme.io", "meeting_choice": choice}
    events = [first_message(zone), {"event": "user", "text": text, "parse_data": parse(text, "choose_meeting_time")}]
    return make_tracker(text, "choose_meeting_time", slots=tracker_slots, events=events, sender_id=sender)


def titles(message: dict) -> list[str]:
    return [button["title"] for button in message["buttons"]]


def test_sql_lead_is_offered_the_reps_free_times_in_the_visitors_zone(booking_env) -> None:
    slots, _, messages = run(ActionQualifyLead(), qualified())
    offer = messages[-1]
    assert offer["response"] == "utter_offer_meeting" and offer["timezone"] == "America/New_York"
    assert offer["booking_link"] == "https://cal.acme.example/dana"
    # Dana works 09:00-17:00 in Berlin; an hour's notice from 15:00 Berlin: 16:00 and 16:30, then Tuesday 09:00
    assert titles(offer) == [
        "Mon 30 Nov, 10:00",
        "Mon 30 Nov, 10:30",
        "Tue 1 Dec, 03:00",
        "Tue 1 Dec, 03:30",
        "Other times",
    ]
    assert json.loads(offer["buttons"][0]["payload"].split("time", 1)[1]) == {
        "meeting_choice": "2026-11-30T15:00:00+00:00"
    }
    assert json.loads(slots["meeting_offer"]) == {"rep": "dana@acme.example", "last": "2026-12-01T08:30:00+00:00"}


def test_choosing_a_quick_reply_books_it_and_links_the_lead(booking_env) -> None:
    slots, _, _ = run(ActionQualifyLead(), qualified())
    booked, _, messages = run(ActionBookMeeting(), choose(slots, "", "2026-11-30T15:00:00+00:00"))
    assert booked["meeting_start"] == "2026-11-30T10:00:00-05:00"
    assert booked["meeting_rep"] == "dana@acme.example" and booked["meeting_offer"] is None
    assert messages[-1]["response"] == "utter_meeting_booked" and messages[-1]["when"] == "Mon 30 Nov, 10:00"
    with transaction(booking_env["DATABASE_URL"]) as session:
        booking = session.scalars(select(Booking)).one()
        lead = session.get(Lead, int(slots["lead_id"]))
        assert (booking.lead_id, booking.visitor_timezone, booking.visitor_email) == (
            lead.id,
            "America/New_York",
            "conv-1@acme.io",
        )


def test_other_times_offers_the_next_batch(booking_env) -> None:
    slots, _, _ = run(ActionQualifyLead(), qualified())
    more, _, messages = run(ActionBookMeeting(), choose(slots, "", "other"))
    assert titles(messages[-1])[:2] == ["Tue 1 Dec, 04:00", "Tue 1 Dec, 04:30"]
    _, _, messages = run(ActionBookMeeting(), choose({**slots, **more}, "none of these work for me"))
    assert titles(messages[-1])[0] == "Tue 1 Dec, 06:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow at 10", "2026-12-01T10:00:00-05:00"),  # 16:00 in Berlin: free
        ("can we do Wednesday at 9:30?", "2026-12-02T09:30:00-05:00"),
    ],
)
def test_a_typed_exact_time_that_is_free_is_booked(booking_env, text: str, expected: str) -> None:
    slots, _, _ = run(ActionQualifyLead(), qualified())
    booked, _, messages = run(ActionBookMeeting(), choose(slots, text))
    assert booked["meeting_start"] == expected, messages


def test_a_typed_period_offers_the_free_times_in_it(booking_env) -> None:
    slots, _, _ = run(ActionQualifyLead(), qualified())
    _, _, messages = run(ActionBookMeeting(), choose(slots, "Thursday morning"))
    assert messages[-1]["response"] == "utter_meeting_times_then"
    assert titles(messages[-1])[:4] == ["Thu 3 Dec, 08:00", "Thu 3 Dec, 08:30", "Thu 3 Dec, 09:00", "Thu 3 Dec, 09:30"]
    _, _, messages = run(ActionBookMeeting(), choose(slots, "Saturday at 10"))  # Dana does not work on Saturdays
    assert messages[-1]["response"] == "utter_meeting_none_then"
    assert titles(messages[-1])[0] == "Mon 7 Dec, 03:00"
    _, _, messages = run(ActionBookMeeting(), choose(slots, "<b>hm</b> maybe"))
    assert messages[-1]["response"] == "utter_meeting_not_understood" and len(messages[-1]["buttons"]) == 5


def test_the_second_visitor_choosing_a_taken_slot_gets_the_next_free_ones(booking_env) -> None:
    first, _, _ = run(ActionQualifyLead(), qualified(sender="conv-1"))
    second, _, _ = run(ActionQualifyLead(), qualified(sender="conv-2", zone=None))  # default zone: Berlin
    run(ActionBookMeeting(), choose(first, "", "2026-11-30T15:00:00+00:00", sender="conv-1"))
    taken, _, messages = run(
        ActionBookMeeting(), choose(second, "", "2026-11-30T15:00:00+00:00", sender="conv-2", zone=None)
    )
    assert "meeting_start" not in taken
    assert messages[-1]["response"] == "utter_meeting_slot_taken" and messages[-1]["timezone"] == "Europe/Berlin"
    assert titles(messages[-1])[0] == "Mon 30 Nov, 16:30"


def test_an_mql_who_asked_for_a_demo_is_offered_times_and_one_who_did_not_is_not(booking_env) -> None:
    slots, _, messages = run(ActionQualifyLead(), qualified(WARM, sender="warm-demo"))
    assert messages[0]["response"] == "utter_next_step_mql"
    assert messages[-1]["response"] == "utter_offer_meeting" and slots["meeting_offer"]
    slots, _, messages = run(ActionQualifyLead(), qualified(WARM, sender="warm-pricing", intent="ask_pricing"))
    assert [message["response"] for message in messages] == ["utter_next_step_mql"] and "meeting_offer" not in slots


def test_a_time_typed_before_any_offer_leads_into_the_questions(booking_env) -> None:
    _, events, messages = run(ActionBookMeeting(), choose({}, "tomorrow at 10"))
    assert messages[0]["response"] == "utter_start_qualification"
    assert events == [{"event": "followup", "timestamp": None, "name": "qualification_form"}]
    _, _, messages = run(ActionBookMeeting(), choose({"lead_stage": "IQL"}, "tomorrow at 10"))
    assert messages[0]["response"] == "utter_meeting_not_offered"


def test_a_lead_re_scored_after_booking_is_not_offered_times_again(booking_env) -> None:
    slots, _, _ = run(ActionQualifyLead(), qualified())
    booked, _, _ = run(ActionBookMeeting(), choose(slots, "", "2026-11-30T15:00:00+00:00"))
    tracker = qualified()
    tracker.slots.update({**slots, **booked})
    again, _, messages = run(ActionQualifyLead(), tracker)
    assert messages[-1]["response"] == "utter_offer_booking" and "meeting_offer" not in again


def test_erasing_the_lead_erases_its_booking(booking_env) -> None:
    """`leads erase` and the retention purge delete lead rows with one DELETE (integrations/leads/selection.py):
    the booking (the visitor's name and email) goes with it."""
    from sqlalchemy import delete

    slots, _, _ = run(ActionQualifyLead(), qualified())
    run(ActionBookMeeting(), choose(slots, "", "2026-11-30T15:00:00+00:00"))
    with transaction(booking_env["DATABASE_URL"]) as session:
        assert len(session.scalars(select(Booking)).all()) == 1
        session.execute(
            delete(Lead).where(Lead.id == int(slots["lead_id"])).execution_options(synchronize_session=False)
        )
    with transaction(booking_env["DATABASE_URL"]) as session:
        assert session.scalars(select(Booking)).all() == []
