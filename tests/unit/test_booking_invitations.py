"""Booking confirmations: .ics invitations by SMTP (an aiosmtpd server on loopback) or in the local
outbox log, the rep's notice on Slack (the local Slack stand-in), and the signed reschedule/cancel page
served by the project's web server."""

from __future__ import annotations

import email
import email.policy
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.message import Message
from pathlib import Path

import icalendar
import pytest
import requests
import yaml
from aiosmtpd.controller import Controller
from sqlalchemy import select

from integrations.booking import service, store
from integrations.booking.links import link_secret, manage_url, token_for
from integrations.handoff import _channels
from integrations.outbox.dispatcher import dispatch_due
from integrations.outbox.registry import configured_channels
from integrations.routing import Rep
from integrations.settings import Settings
from integrations.store.db import transaction
from integrations.store.models import Booking, Notification
from tests.support.receivers import Receivers, free_port
from tests.support.web_server import web_server

MONDAY = datetime(2026, 11, 30, 14, 0, tzinfo=timezone.utc)  # 15:00 in Berlin
DANA = Rep("Dana Whitfield", "dana@acme.example", slack="U01DANA0001", timezone="Europe/Berlin")
VISITOR = store.Visitor("conv-1", name="Ana <b>Lima</b>", email="ana@globex.com", timezone="America/New_York")
FIRST = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)  # 16:00 Berlin, 10:00 New York


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(
            (list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=email.policy.default))
        )
        return "250 OK"


@pytest.fixture()
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture()
def booking_settings(action_env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock) -> Settings:
    reps = {"reps": [{"name": DANA.name, "email": DANA.email, "slack": DANA.slack, "timezone": DANA.timezone}]}
    reps["fallback"] = {"name": "Sales team", "email": "sales@acme.example"}  # type: ignore[assignment]
    (tmp_path / "reps.yml").write_text(yaml.safe_dump(reps))
    monkeypatch.setenv("REPS_FILE", str(tmp_path / "reps.yml"))
    monkeypatch.setenv("BOOKING_LINK_SECRET", "test-booking-secret")
    monkeypatch.setenv("BOOKING_URL", "http://127.0.0.1:9/meetings/{token}")
    for name in ("SMTP_URL", "SLACK_WEBHOOK_URL", "WEBHOOK_URL", "HUBSPOT_TOKEN", "SALESFORCE_OID"):
        monkeypatch.delenv(name, raising=False)
    clock.move_to(MONDAY, tick=False)
    return Settings.from_env()


def delivered(settings: Settings, expected: int) -> list[Notification]:
    """Deliver what is due (the background thread may have started) until `expected` rows are sent."""
    deadline = time.monotonic() + 10
    while True:
        dispatch_due(settings.database_url, configured_channels(settings.outbox_log))
        with transaction(settings.database_url) as session:
            rows = list(session.scalars(select(Notification).order_by(Notification.id)))
        if sum(row.status == "sent" for row in rows) >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def calendar_part(message: Message) -> icalendar.Calendar:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            assert part.get_param("method") in ("REQUEST", "CANCEL")
            return icalendar.Calendar.from_ical(part.get_payload(decode=True))
    raise AssertionError("no text/calendar part")


def test_invitations_by_smtp_for_booking_rescheduling_and_cancelling(
    booking_settings: Settings, smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp
    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{port}")
    settings = Settings.from_env()
    assert "email" in configured_channels(settings.outbox_log) and "email" not in _channels(settings)

    booking = service.book(settings, DANA, FIRST, VISITOR, now=MONDAY)
    delivered(settings, 2)
    [(recipients, message)] = inbox.messages
    assert recipients == ["ana@globex.com", "dana@acme.example"]
    assert "Mon 30 Nov 2026, 10:00 (America/New_York)" in message["Subject"]
    calendar = calendar_part(message)
    [event] = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == FIRST and event.decoded("DTEND") == FIRST + timedelta(minutes=30)
    assert sorted(str(a) for a in event["ATTENDEE"]) == ["mailto:ana@globex.com", "mailto:dana@acme.example"]
    assert str(event["ORGANIZER"]) == "mailto:dana@acme.example"
    assert manage_url(booking) in str(event["DESCRIPTION"])

    service.reschedule(settings, booking.id, DANA, FIRST + timedelta(minutes=30), now=MONDAY)
    service.cancel(settings, booking.id, DANA, now=MONDAY)
    delivered(settings, 6)
    moved, cancelled = (calendar_part(message) for _, message in inbox.messages[1:])
    assert [str(c["METHOD"]) for c in (moved, cancelled)] == ["REQUEST", "CANCEL"]
    assert [int(c.walk("VEVENT")[0]["SEQUENCE"]) for c in (moved, cancelled)] == [1, 2]
    assert {str(c.walk("VEVENT")[0]["UID"]) for c in (calendar, moved, cancelled)} == {f"booking-{booking.id}@leadbot"}
    assert moved.walk("VEVENT")[0].decoded("DTSTART") == FIRST + timedelta(minutes=30)


def test_without_smtp_the_invitation_and_the_reps_notice_go_to_the_outbox_log(booking_settings: Settings) -> None:
    service.book(booking_settings, DANA, FIRST, VISITOR, now=MONDAY)
    rows = delivered(booking_settings, 2)
    assert [(row.kind, row.channel, row.status) for row in rows] == [
        ("meeting_invitation", "local_log", "sent"),
        ("meeting_booked", "local_log", "sent"),
    ]
    lines = [json.loads(line) for line in booking_settings.outbox_log.read_text().splitlines()]
    invitation = next(line for line in lines if line["kind"] == "meeting_invitation")
    assert "METHOD:REQUEST" in invitation["ics"] and invitation["to"] == ["ana@globex.com", "dana@acme.example"]
    notice = next(line for line in lines if line["kind"] == "meeting_booked")
    assert notice["text"] == (
        "Meeting booked: Ana <b>Lima</b> with Dana Whitfield, Mon 30 Nov 2026, 16:00 (Europe/Berlin)"
        " (visitor's time: Mon 30 Nov 2026, 10:00 (America/New_York))"
    )


def test_slack_shows_the_booked_time(booking_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    receivers = Receivers().start()
    try:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{receivers.base}/slack")
        settings = Settings.from_env()
        service.book(settings, DANA, FIRST, VISITOR, now=MONDAY)
        delivered(settings, 3)
        [message] = [item.json() for item in receivers.on("slack")]
        assert receivers.rejected == []
    finally:
        receivers.stop()
    assert "Mon 30 Nov 2026, 16:00 (Europe/Berlin)" in message["text"]
    assert "&lt;b&gt;Lima&lt;/b&gt;" in message["text"]  # the visitor's name is text, not markup


@pytest.fixture()
def web(booking_settings: Settings) -> Iterator[str]:
    with web_server() as url:
        yield url


def test_signed_page_reschedules_and_cancels_and_refuses_bad_links(booking_settings: Settings, web: str, clock) -> None:
    booking = service.book(booking_settings, DANA, FIRST, VISITOR, now=MONDAY)
    page = f"{web}/meetings/{token_for(booking, link_secret())}"
    shown = requests.get(page, timeout=10)
    assert shown.status_code == 200 and "Mon 30 Nov 2026, 10:00 (America/New_York)" in shown.text
    assert "Ana" not in shown.text or "<b>Lima" not in shown.text

    later = (FIRST + timedelta(minutes=30)).isoformat()
    moved = requests.post(page, data={"action": "reschedule", "start": later}, timeout=10)
    assert moved.status_code == 200 and "Moved." in moved.text and "10:30 (America/New_York)" in moved.text
    with transaction(booking_settings.database_url) as session:
        row = session.get(Booking, booking.id)
        assert row is not None and store.utc(row.start_at) == FIRST + timedelta(minutes=30) and row.sequence == 1
    kinds = [row.kind for row in delivered(booking_settings, 4)]
    assert kinds.count("meeting_rescheduled") == 1  # the rep is told

    token = token_for(row, link_secret())
    body, signature = token.rsplit(".", 1)
    for bad in (f"{body}.{signature[:-2]}xx", token.replace(f"booking-{booking.id}", "booking-999"), "nonsense"):
        assert requests.get(f"{web}/meetings/{bad}", timeout=10).status_code == 404
        assert requests.post(f"{web}/meetings/{bad}", data={"action": "cancel"}, timeout=10).status_code == 404

    cancelled = requests.post(f"{web}/meetings/{token}", data={"action": "cancel"}, timeout=10)
    assert cancelled.status_code == 200 and "cancelled" in cancelled.text
    assert requests.get(f"{web}/meetings/{token}", timeout=10).status_code == 410
    assert "meeting_cancelled" in [row.kind for row in delivered(booking_settings, 6)]

    again = service.book(booking_settings, DANA, FIRST, VISITOR, now=MONDAY)  # the freed slot books again
    clock.move_to(FIRST + timedelta(seconds=1), tick=False)  # the link expires when the meeting starts
    assert requests.get(f"{web}/meetings/{token_for(again, link_secret())}", timeout=10).status_code == 404
