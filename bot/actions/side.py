"""Actions for side requests that can come at any point: why-questions, a human, stop."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.conversation import lead_source, transcript
from bot.actions.questions import answers_of, question_ids
from bot.actions.scoring import load_policy
from integrations.console.presence import availability
from integrations.handoff import HUMAN_REQUESTED, Conversation, request_human
from integrations.settings import Settings
from integrations.store.leads import utcnow

logger = logging.getLogger(__name__)

# Words that show which question a "why do you need ...?" is about.
WHY_TOPICS = (
    (re.compile(r"e-?mail", re.I), "email"),
    (re.compile(r"phone|number|call", re.I), "phone"),
    (re.compile(r"budget|money|spend", re.I), "budget"),
    (re.compile(r"\bname\b", re.I), "person_name"),
    (re.compile(r"company|employer", re.I), "company"),
    (re.compile(r"\brole\b|decid|authority", re.I), "authority"),
    (re.compile(r"timeline|when|timing", re.I), "timeline"),
    (re.compile(r"consent|store|data", re.I), "consent"),
)


class ActionExplainWhy(Action):
    def name(self) -> str:
        return "action_explain_why"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        text = tracker.latest_message.get("text") or ""
        topic = next((slot for pattern, slot in WHY_TOPICS if pattern.search(text)), None)
        topic = topic or tracker.get_slot("requested_slot")
        response = f"utter_why_{topic}" if topic and f"utter_why_{topic}" in domain.get("responses", {}) else None
        dispatcher.utter_message(response=response or "utter_why_generic")
        return []


# Said instead of alerting the reps again (integrations/handoff_limits.py).
ALREADY_ALERTED = (
    "I've already let our team know a moment ago, so a person will get back to you; there's no need to ask "
    "again. Meanwhile I'm still here if you have questions."
)
TOO_MANY = (
    "Our team has received a lot of requests just now, so I couldn't alert a person this time. Please write to "
    "sales@acme.example and someone will get back to you."
)


def client_of(tracker: Tracker) -> str | None:
    """The client the chat channel named in the latest message's metadata (`client`), if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            client = (event.get("metadata") or {}).get("client")
            return str(client)[:255] if client else None
    return None


class ActionHumanHandoff(Action):
    """Tell the team at once, with the transcript so far, and tell the visitor what happens next.

    At most one alert per conversation every few minutes, a few per client, and an overall ceiling; a
    request the database would not take is spooled and delivered by the dispatcher later.
    """

    def name(self) -> str:
        return "action_human_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        conversation = Conversation(
            conversation_id=tracker.sender_id,
            request_key=f"{tracker.sender_id}:{len(tracker.events)}",
            name=tracker.get_slot("person_name"),
            email=tracker.get_slot("email"),
            company=tracker.get_slot("company"),
            phone=tracker.get_slot("phone"),
            answers=answers_of(tracker, domain),
            source=lead_source(tracker),
            transcript=transcript(tracker),
            client=client_of(tracker),
        )
        settings = Settings.from_env()
        requested = request_human(conversation, HUMAN_REQUESTED, settings=settings)
        limited = requested.limited
        if limited:
            dispatcher.utter_message(text=ALREADY_ALERTED if limited == "conversation" else TOO_MANY)
            return []
        if conversation.email:
            hours = load_policy().get("follow_up_hours", {}).get("handoff", 4)
            dispatcher.utter_message(response="utter_handoff_done", sla_hours=hours)
        else:
            dispatcher.utter_message(response="utter_handoff_no_contact")
        try:  # is a rep in the rep console now? (docs/console.md); the alert above went out either way
            available = availability(settings.database_url, requested.rep, utcnow())
        except Exception:
            logger.exception("could not tell whether a rep is online for %s", tracker.sender_id)
            return []
        booking = requested.rep.booking_link if requested.rep else None
        dispatcher.utter_message(text=available.answer(booking, bool(conversation.email)))
        return []


class ActionStopConversation(Action):
    def name(self) -> str:
        return "action_stop_conversation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_stopped")
        return [ActiveLoop(None), SlotSet("requested_slot", None)]


class ActionOpenQualification(Action):
    """Open the questions: hello if the bot hasn't spoken, the intro if questions remain and it's the first time."""

    def name(self) -> str:
        return "action_open_qualification"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if not any(event.get("event") == "bot" for event in tracker.events):
            dispatcher.utter_message(response="utter_greet_short")
        started_before = any(
            event.get("event") == "active_loop" and event.get("name") == "qualification_form"
            for event in tracker.events
        )
        if not started_before and any(tracker.get_slot(slot) is None for slot in question_ids()):
            dispatcher.utter_message(response="utter_start_qualification")
        return []


class ActionBeginContact(Action):
    """Lead into the contact questions, unless every detail is known already."""

    def name(self) -> str:
        return "action_begin_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if any(tracker.get_slot(slot) is None for slot in ("person_name", "email", "company", "consent")):
            dispatcher.utter_message(response="utter_start_contact")
        return []


class ActionGreetIfFirst(Action):
    """Say hello when the visitor's first message goes straight to business ("I want a demo")."""

    def name(self) -> str:
        return "action_greet_if_first"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if not any(event.get("event") == "bot" for event in tracker.events):
            dispatcher.utter_message(response="utter_greet_short")
        return []
