"""The booking's messages, written in its own transaction (the transactional outbox): an iCalendar
invitation for the visitor and the rep, and a notice on the rep's channels (local log, Slack, webhook).

Invitations go to the `email` channel when SMTP_URL is set (integrations/outbox/channels/email.py), else
into the local outbox log with the .ics text in the line. A reschedule sends the same UID with a higher
SEQUENCE (METHOD:REQUEST), a cancellation METHOD:CANCEL, so calendars update the meeting they have.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy.orm import Session

from integrations.booking.store import AfterWrite, utc
from integrations.outbox.outbox import enqueue
from integrations.routing import Rep
from integrations.store.models import Booking

REP_CHANNELS = ("local_log", "slack", "webhook")
PRODID = "-//Acme Analytics//leadbot booking//EN"
HEADLINES = {"booked": "Meeting booked", "rescheduled": "Meeting moved", "cancelled": "Meeting cancelled"}


def invitation(booking: Booking, rep: Rep, change: str, manage_url: str | None, *, now: datetime) -> str:
    """The .ics text: METHOD:REQUEST for a new or moved meeting, METHOD:CANCEL for a cancelled one."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if change == "cancelled" else "REQUEST")
    event = icalendar.Event()
    event.add("uid", f"booking-{booking.id}@leadbot")
    event.add("sequence", booking.sequence)
    event.add("dtstamp", utc(now))
    event.add("dtstart", utc(booking.start_at))
    event.add("dtend", utc(booking.end_at))
    event.add("summary", f"Acme Analytics: call with {rep.name}")
    description = f"A 30-minute call with {rep.name} ({rep.email})."
    if manage_url and change != "cancelled":
        description += f"\nReschedule or cancel: {manage_url}"
    event.add("description", description)
    event.add("status", "CANCELLED" if change == "cancelled" else "CONFIRMED")
    organizer = icalendar.vCalAddress(f"mailto:{rep.email}")
    organizer.params["cn"] = icalendar.vText(rep.name)
    event.add("organizer", organizer)
    for name, email in ((booking.visitor_name, booking.visitor_email), (rep.name, rep.email)):
        if email:
            attendee = icalendar.vCalAddress(f"mailto:{email}")
            attendee.params["cn"] = icalendar.vText(name or email)
            attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
            attendee.params["rsvp"] = icalendar.vText("TRUE")
            event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    return calendar.to_ical().decode()


def local_time(moment: datetime, zone_name: str | None) -> str:
    try:
        zone = ZoneInfo(zone_name or "UTC")
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    local = utc(moment).astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({zone.key})"


def meeting_messages(
    rep: Rep, channels: list[str], manage_url: Callable[[Booking], str | None], now: datetime
) -> AfterWrite:
    """The `after_write` of integrations/booking/store.py: queue the invitation and the rep's notice."""

    def write(session: Session, booking: Booking, change: str) -> None:
        link = manage_url(booking) if change != "cancelled" else None
        ics = invitation(booking, rep, change, link, now=now)
        when = local_time(booking.start_at, booking.visitor_timezone)
        subject = f"{HEADLINES[change]}: Acme Analytics call with {rep.name}, {when}"
        recipients = [email for email in (booking.visitor_email, rep.email) if email]
        payload: dict[str, Any] = {
            "to": recipients,
            "subject": subject,
            "body": _body(booking, rep, change, when, link),
            "method": "CANCEL" if change == "cancelled" else "REQUEST",
            "ics": ics,
            "booking_id": booking.id,
            "meeting_start": utc(booking.start_at).isoformat(),
        }
        key = f"booking-{booking.id}-{booking.sequence}"
        mail = ["email"] if "email" in channels else ["local_log"]
        conversation_id, lead_id = booking.conversation_id, booking.lead_id
        if recipients:
            enqueue(
                session,
                kind="meeting_invitation",
                payload=payload,
                channels=mail,
                conversation_id=conversation_id,
                lead_id=lead_id,
                key=key,
                now=now,
            )
        rep_when = local_time(booking.start_at, rep.timezone)
        notice = {
            "text": f"{HEADLINES[change]}: {booking.visitor_name or 'a visitor'} with {rep.name}, {rep_when}"
            + (f" (visitor's time: {when})" if booking.visitor_timezone != rep.timezone else ""),
            "rep": rep.as_payload(),
            "booking_id": booking.id,
            "change": change,
            "meeting_start": utc(booking.start_at).isoformat(),
            "visitor": {"name": booking.visitor_name, "email": booking.visitor_email},
        }
        rep_channels = [channel for channel in channels if channel in REP_CHANNELS]
        enqueue(
            session,
            kind=f"meeting_{change}",
            payload=notice,
            channels=rep_channels,
            conversation_id=conversation_id,
            lead_id=lead_id,
            key=key,
            now=now,
        )

    return write


def _body(booking: Booking, rep: Rep, change: str, when: str, link: str | None) -> str:
    lines = [f"{HEADLINES[change]}: a 30-minute call with {rep.name} on {when}."]
    if change != "cancelled":
        lines.append("The invitation is attached; add it to your calendar.")
    if link:
        lines.append(f"To reschedule or cancel: {link}")
    return "\n\n".join(lines)
