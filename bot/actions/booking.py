"""Meetings booked in the chat: the offer after qualifying, and action_book_meeting for the visitor's choice.

The offer shows the assigned rep's next free 30-minute slots (integrations/booking) as quick replies in
the visitor's time zone (the widget's `timezone` metadata, else DEFAULT_TIMEZONE), with "Other times" for
the next batch. The choice comes back as `/choose_meeting_time{"meeting_choice": "<ISO start>"}` or as
typed text ("Thursday afternoon", "tomorrow at 10"), read by bot/actions/meeting_times.py.
Slots (docs/design.md section 6): `meeting_start` (ISO 8601 with the visitor's UTC offset) and
`meeting_rep` (the rep's email) once booked; `meeting_offer` while an offer is open.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.meeting_times import asks_for_other_times, wanted_times
from integrations.booking import service, store
from integrations.booking.service import calendar_of
from integrations.routing import Rep, load_policy
from integrations.settings import Settings, value
from integrations.store.leads import utcnow

logger = logging.getLogger(__name__)

OTHER_TIMES = "other"
CHOICE_INTENT = "choose_meeting_time"
MAX_CANDIDATES = 2000  # free slots searched for a typed choice (14 days of 30-minute slots is under 700)


def visitor_zone(tracker: Tracker) -> ZoneInfo:
    """The visitor's IANA time zone from the first message that carried one, else DEFAULT_TIMEZONE."""
    for event in tracker.events:
        name = (event.get("metadata") or {}).get("timezone") if event.get("event") == "user" else None
        if zone := _zone(name):
            return zone
    return _zone(value("DEFAULT_TIMEZONE")) or ZoneInfo("UTC")


def _zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def slot_label(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def buttons(slots: Iterable[datetime], zone: ZoneInfo) -> list[dict[str, str]]:
    choices = [
        {"title": slot_label(slot, zone), "payload": f'/{CHOICE_INTENT}{{"meeting_choice": "{slot.isoformat()}"}}'}
        for slot in slots
    ]
    return [*choices, {"title": "Other times", "payload": f'/{CHOICE_INTENT}{{"meeting_choice": "{OTHER_TIMES}"}}'}]


def offer_meeting(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    rep: Rep,
    settings: Settings,
    response: str,
    after: datetime | None = None,
    slots: list[datetime] | None = None,
) -> list[dict[str, Any]] | None:
    """Show the rep's next free slots as quick replies; None (nothing said) when there are none."""
    zone = visitor_zone(tracker)
    try:
        routing = load_policy(settings.reps_file)
        if slots is None:
            slots = store.offer(settings.database_url, rep, calendar_of(routing), now=utcnow(), after=after)
    except Exception:  # a rep's calendar settings or the lead store: the visitor still gets the booking link
        logger.exception("could not offer meeting times of %s", rep.email)
        return None
    if not slots:
        return None
    dispatcher.utter_message(
        response=response,
        buttons=buttons(slots, zone),
        rep_name=rep.name,
        timezone=zone.key,
        booking_link=rep.booking_link or "",
    )
    return [SlotSet("meeting_offer", json.dumps({"rep": rep.email, "last": slots[-1].isoformat()}))]


def asked_for_demo(tracker: Tracker) -> bool:
    return any(
        event.get("event") == "user"
        and ((event.get("parse_data") or {}).get("intent") or {}).get("name") == "request_demo"
        for event in tracker.events
    )


class ActionBookMeeting(Action):
    """The visitor chose a time (a quick reply or typed text): book it, or offer the nearest free ones."""

    def name(self) -> str:
        return "action_book_meeting"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = [SlotSet("meeting_choice", None)]
        settings = Settings.from_env()
        routing = load_policy(settings.reps_file)
        offered = _offer_of(tracker.get_slot("meeting_offer"))
        rep = routing.rep_by_email(offered.get("rep")) if offered else None
        if rep is None:
            if tracker.get_slot("lead_stage") is None:  # a meeting before any question: qualify first
                dispatcher.utter_message(response="utter_start_qualification")
                return [*events, FollowupAction("qualification_form")]
            dispatcher.utter_message(response="utter_meeting_not_offered")
            return events
        zone = visitor_zone(tracker)
        calendar = calendar_of(routing)
        now = utcnow()
        choice = tracker.get_slot("meeting_choice")
        text = str((tracker.latest_message or {}).get("text") or "")
        if choice == OTHER_TIMES or (not choice and asks_for_other_times(text)):
            after = _moment(offered.get("last"))
            more = store.offer(
                settings.database_url, rep, calendar, now=now, after=after and after + timedelta(minutes=1)
            )
            return events + self.reoffer(dispatcher, tracker, rep, settings, "utter_offer_more_times", more)
        start = _moment(choice)
        if start is None:
            wanted = wanted_times(text, zone, now)
            if wanted is None:
                return events + self.reoffer(dispatcher, tracker, rep, settings, "utter_meeting_not_understood", None)
            free = store.offer(settings.database_url, rep, calendar, now=now, count=MAX_CANDIDATES)
            matching = [slot for slot in free if any(begin <= slot < end for begin, end in wanted.windows)]
            if not (wanted.exact and matching):
                if matching:
                    shown = matching[: calendar.policy.offer]
                    return events + self.reoffer(dispatcher, tracker, rep, settings, "utter_meeting_times_then", shown)
                after = wanted.windows[0][0]
                nearest = [slot for slot in free if slot >= after][: calendar.policy.offer] or free[
                    : calendar.policy.offer
                ]
                return events + self.reoffer(dispatcher, tracker, rep, settings, "utter_meeting_none_then", nearest)
            start = matching[0]
        return events + self.book(dispatcher, tracker, rep, settings, start, zone)

    def book(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        rep: Rep,
        settings: Settings,
        start: datetime,
        zone: ZoneInfo,
    ) -> list[dict[str, Any]]:
        now = utcnow()
        lead_id = tracker.get_slot("lead_id")
        visitor = store.Visitor(
            conversation_id=tracker.sender_id,
            lead_id=int(lead_id) if lead_id and str(lead_id).isdigit() else None,
            name=tracker.get_slot("person_name"),
            email=tracker.get_slot("email"),
            timezone=zone.key,
        )
        booked_id = tracker.get_slot("meeting_id")
        try:
            if booked_id and str(booked_id).isdigit():
                try:
                    booking = service.reschedule(settings, int(booked_id), rep, start, now=now)
                except store.BookingNotFoundError:  # cancelled meanwhile (the signed link): a new booking
                    booking = service.book(settings, rep, start, visitor, now=now)
            else:
                booking = service.book(settings, rep, start, visitor, now=now)
        except store.SlotTakenError as taken:
            return self.reoffer(dispatcher, tracker, rep, settings, "utter_meeting_slot_taken", taken.alternatives)
        meeting_start = store.utc(booking.start_at).astimezone(zone)
        dispatcher.utter_message(
            response="utter_meeting_booked",
            rep_name=rep.name,
            invitation=f" An invitation is on its way to {visitor.email}." if visitor.email else "",
            when=slot_label(meeting_start, zone),
            timezone=zone.key,
        )
        return [
            SlotSet("meeting_offer", None),
            SlotSet("meeting_start", meeting_start.isoformat()),
            SlotSet("meeting_rep", rep.email),
            SlotSet("meeting_id", str(booking.id)),
        ]

    @staticmethod
    def reoffer(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        rep: Rep,
        settings: Settings,
        response: str,
        slots: list[datetime] | None,
    ) -> list[dict[str, Any]]:
        events = offer_meeting(dispatcher, tracker, rep, settings, response, slots=slots)
        if events is None:
            dispatcher.utter_message(response="utter_meeting_no_times", rep_name=rep.name)
            return [SlotSet("meeting_offer", None)]
        return events


def _offer_of(raw: object) -> dict[str, Any]:
    try:
        offered = json.loads(str(raw)) if raw else {}
    except ValueError:
        return {}
    return offered if isinstance(offered, dict) else {}


def _moment(raw: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None
    return store.utc(moment) if moment else None
