"""Booking a meeting in the chat through the REST channel of the real stack (Rasa, actions, SQLite).

The stack runs on the machine's clock, so nothing here names a date: the offered quick replies are
read back and chosen, and typed choices are built from the offered times.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from integrations.store.models import Booking
from tests.e2e.conftest import Visitor

BERLIN = ZoneInfo("Europe/Berlin")


def qualify_hot(visitor: Visitor, zone: str | None = "Europe/Berlin") -> dict:
    visitor.say("/greet", metadata={"page_url": "https://acme.example/", **({"timezone": zone} if zone else {})})
    visitor.converse("/request_demo", "/need_defined", "/authority_decision_maker", "/budget_allocated")
    visitor.say("/timeline_immediate")
    for answer in ("Kim Park", f"{visitor.id}@hooli.com", "Hooli", "/skip"):
        visitor.say(answer)
    replies = visitor.say("/affirm")
    offer = replies[-1]
    assert "calendar: https://cal.acme.example/" in offer["text"]
    assert f"(times in {zone or 'UTC'})" in offer["text"]
    assert offer["buttons"][-1]["title"] == "Other times" and len(offer["buttons"]) >= 4
    return offer


def start_of(button: dict) -> datetime:
    return datetime.fromisoformat(json.loads(button["payload"].split("time", 1)[1])["meeting_choice"])


def bookings(stack, conversation_id: str) -> list[Booking]:
    engine = create_engine(stack.config.database_url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(Booking).where(Booking.conversation_id == conversation_id)))
    finally:
        engine.dispose()


def test_sql_lead_books_a_quick_reply_and_a_second_visitor_gets_the_next_ones(stack) -> None:
    first, second = Visitor(stack), Visitor(stack)
    offer = qualify_hot(first)
    chosen = offer["buttons"][0]
    replies = first.say(chosen["payload"])
    assert f"is booked for {chosen['title']} (Europe/Berlin time)" in first.texts(replies)
    slots = first.slots()
    assert datetime.fromisoformat(slots["meeting_start"]) == start_of(chosen)
    assert slots["meeting_start"].endswith(("+01:00", "+02:00"))
    [booking] = bookings(stack, first.id)
    assert booking.rep_email == slots["meeting_rep"] and booking.visitor_timezone == "Europe/Berlin"

    # the second visitor is not offered the booked time; sending it anyway gets the next free ones
    offer = qualify_hot(second, zone=None)  # no zone from the browser: DEFAULT_TIMEZONE (UTC)
    # without a phone number only the rep who covers every region is eligible: both visitors get that rep
    assert json.loads(second.slots()["meeting_offer"])["rep"] == slots["meeting_rep"]
    assert start_of(chosen) not in [start_of(button) for button in offer["buttons"][:-1]]
    replies = second.say(chosen["payload"])
    assert "that time was just taken" in second.texts(replies)
    assert replies[-1]["buttons"][-1]["title"] == "Other times"
    assert bookings(stack, second.id) == []


def test_other_times_and_a_typed_choice(stack) -> None:
    visitor = Visitor(stack)
    offer = qualify_hot(visitor)
    replies = visitor.say(offer["buttons"][-1]["payload"])  # "Other times"
    more = replies[-1]["buttons"][:-1]
    assert "more free times" in replies[-1]["text"] and start_of(more[0]) > start_of(offer["buttons"][-2])
    local = start_of(more[0]).astimezone(BERLIN)
    replies = visitor.say(f"how about {local:%A} at {local:%H:%M}?")
    assert f"is booked for {more[0]['title']}" in visitor.texts(replies), visitor.texts(replies)
    assert visitor.slots()["meeting_start"] == local.isoformat()


def test_time_to_notify_and_claim_of_a_hot_lead(stack, monkeypatch, capsys) -> None:
    """The speed-to-lead figures of one hot lead in the real stack: stored, notified, claimed with the CLI.
    Written to tests/reports/speed_to_lead.json (README, "Booking the meeting in the chat")."""
    import time
    from pathlib import Path

    from integrations.leads.cli import main
    from integrations.store.models import Lead, Notification
    from tests.e2e.conftest import outbox_entries

    visitor = Visitor(stack)
    qualify_hot(visitor)
    outbox_entries(stack, visitor.id)  # the rep's notification was delivered
    engine = create_engine(stack.config.database_url)
    try:
        with Session(engine) as session:
            lead = session.scalars(select(Lead).where(Lead.conversation_id == visitor.id)).one()
            assert lead.first_touch_by is not None and lead.temperature == "hot"
            monkeypatch.setenv("DATABASE_URL", stack.config.database_url)
            assert main(["claim", str(lead.id), "--rep", lead.assigned_rep or ""]) == 0
            session.expire_all()
            lead = session.get(Lead, lead.id)
            deadline = time.monotonic() + 10
            while True:
                delivered = session.scalars(
                    select(Notification.delivered_at).where(
                        Notification.lead_id == lead.id, Notification.kind == "sql_lead"
                    )
                ).all()
                if any(delivered) or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
                session.expire_all()
    finally:
        engine.dispose()
    created = lead.created_at.replace(tzinfo=None)
    notified = min(moment for moment in delivered if moment).replace(tzinfo=None)
    claimed = lead.claimed_at.replace(tzinfo=None)
    figures = {
        "time_to_notify_seconds": round((notified - created).total_seconds(), 3),
        "time_to_claim_seconds": round((claimed - created).total_seconds(), 3),
        "first_touch_deadline_minutes": round(
            (lead.first_touch_by.replace(tzinfo=None) - created).total_seconds() / 60, 2
        ),
    }
    assert 0 <= figures["time_to_notify_seconds"] <= figures["time_to_claim_seconds"] < 60
    report = Path("tests/reports/speed_to_lead.json")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(figures, indent=2) + "\n")
    with capsys.disabled():
        print(f"\nspeed to lead: {figures}")
