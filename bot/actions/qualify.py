"""action_qualify_lead: score the answers, store the lead, tell the visitor what happens next."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions import variants
from bot.actions.booking import asked_for_demo, offer_meeting
from bot.actions.conversation import lead_source
from bot.actions.questions import answers_of
from bot.actions.scoring import load_policy, qualify, scored_questions
from integrations.consent_redaction import CONTACT_SLOTS as REDACTED_SLOTS
from integrations.consent_redaction import redact_declined_now_and_later
from integrations.handoff import LeadRecord, hand_over
from integrations.routing import Rep, assign_rep, lead_segments
from integrations.routing import load_policy as load_routing
from integrations.settings import Settings
from integrations.store.db import transaction
from integrations.store.leads import utcnow

logger = logging.getLogger(__name__)

CONTACT_SLOTS = ("person_name", "email", "email_is_freemail", "company", "phone")


def consent_wording(domain: DomainDict) -> str | None:
    for response in domain.get("responses", {}).get("utter_ask_consent", []):
        return response.get("text")
    return None


def first_name(full_name: str | None) -> str:
    parts = (full_name or "").split()
    return parts[0] if parts else "there"


class ActionQualifyLead(Action):
    def name(self) -> str:
        return "action_qualify_lead"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        settings = Settings.from_env()
        policy = load_policy()
        answers = {slot: tracker.get_slot(slot) for slot in scored_questions(policy)}
        result = qualify(answers, policy)
        consent = tracker.get_slot("consent") is True
        follow_up_by = utcnow() + timedelta(hours=result.follow_up_hours)
        record = LeadRecord(
            conversation_id=tracker.sender_id,
            score=result.score,
            stage=result.stage,
            temperature=result.temperature,
            reasons=result.reasons,
            consent=consent,
            consent_text=consent_wording(domain) if consent else None,
            source=lead_source(tracker),
            follow_up_by=follow_up_by,
            answers=answers_of(tracker, domain),
            dialogue_variants=variants.recorded(tracker) or None,
            **{slot: tracker.get_slot(slot) for slot in CONTACT_SLOTS},
        )
        events: list[dict[str, Any]] = [
            SlotSet("lead_score", float(result.score)),
            SlotSet("lead_stage", result.stage),
            SlotSet("lead_temperature", result.temperature),
        ]
        handed = hand_over(record, settings)
        if not handed.stored:  # spooled: the dispatcher stores it when the database is back
            dispatcher.utter_message(response="utter_lead_saved_error")
            return events + self.forget_without_consent(settings, tracker, consent)
        events.append(SlotSet("lead_id", str(handed.lead_id)))

        if not consent:
            self.forget_without_consent(settings, tracker, consent)
            dispatcher.utter_message(response="utter_next_step_no_consent")
            return events + [SlotSet(slot, None) for slot in CONTACT_SLOTS]
        rep = handed.rep
        dispatcher.utter_message(
            response=f"utter_next_step_{result.stage.lower()}",
            person_name=first_name(tracker.get_slot("person_name")),
            sla_hours=result.follow_up_hours,
            follow_up_by=follow_up_by.strftime("%a %d %b, %H:%M UTC"),
            rep_name=rep.name if rep else "our sales team",
        )
        if result.stage == "MQL" and rep is None and asked_for_demo(tracker):
            rep = self.demo_rep(settings, record)
        offered = None
        booked = bool(tracker.get_slot("meeting_id"))  # re-scored after a correction: the meeting stands
        if rep and not booked and (result.stage == "SQL" or rep is not handed.rep):
            # the rep's free times as quick replies, the booking link kept in the same message
            response = "utter_offer_meeting" if rep.booking_link else "utter_offer_meeting_slots"
            offered = offer_meeting(dispatcher, tracker, rep, settings, response)
        if offered is not None:
            events += offered
        elif rep and rep.booking_link:
            dispatcher.utter_message(response="utter_offer_booking", rep_name=rep.name, booking_link=rep.booking_link)
        return events

    @staticmethod
    def demo_rep(settings: Settings, record: LeadRecord) -> Rep | None:
        """A rep for an MQL who asked for a demo: the next in turn, as a hot lead would get."""
        try:
            routing = load_routing(settings.reps_file)
            with transaction(settings.database_url) as session:
                return assign_rep(session, routing, lead_segments(record.phone, record.email))
        except Exception:
            logger.exception("no rep for the demo of conversation %s", record.conversation_id)
            return None

    @staticmethod
    def forget_without_consent(settings: Settings, tracker: Tracker, consent: bool) -> list[dict[str, Any]]:
        """Without consent, redact what the visitor typed for the contact questions from the stored conversation."""
        if consent:
            return []
        values = {slot: tracker.get_slot(slot) for slot in REDACTED_SLOTS}
        redact_declined_now_and_later(settings.tracker_db_url, tracker.sender_id, values)
        return [SlotSet(slot, None) for slot in CONTACT_SLOTS]
