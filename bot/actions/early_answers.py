"""action_validate_slot_mappings: after every message, take answers to questions not asked yet,
and corrections of answers already given ("actually our budget is approved now")."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.amounts import parse_budget_amount
from bot.actions.clauses import NluClient, clause_answers, company_in_role_statement, split_clauses
from bot.actions.durations import future_timeline
from bot.actions.needs import states_firm_need
from bot.actions.roles import stated_authority
from bot.actions.understanding import (
    CORRECTION_MASS,
    UNASKED_MASS,
    is_correction_cue,
    is_interruption,
    mentions_topic,
    question_answered,
    question_names,
    says_none,
)

CONTACT_QUESTIONS = frozenset({"person_name", "email", "company", "phone", "consent"})
QUESTION_NAMES = {
    "need": "what you need",
    "authority": "your role",
    "budget": "your budget",
    "timeline": "your timeline",
}


def _slot_events(question: str, category: str, text: str, domain: DomainDict) -> list[SlotSet]:
    detail = f"{question}_detail"
    events = [SlotSet(detail, text)] if detail in (domain.get("slots") or {}) else []
    if question == "budget":
        amount = parse_budget_amount(text)
        if amount:
            events += [
                SlotSet("budget_amount", amount.amount),
                SlotSet("budget_currency", amount.currency),
                SlotSet("budget_period", amount.period),
            ]
    return [*events, SlotSet(question, category)]


class ValidateEarlyAnswersAndCorrections(ValidationAction):
    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        message = tracker.latest_message or {}
        text = (message.get("text") or "").strip()
        if not text or text.startswith("/") or already_read(tracker):
            return []
        open_question = tracker.get_slot("requested_slot") if tracker.active_loop.get("name") else None
        answered = {question: tracker.get_slot(question) for question in question_names()}
        events: list[SlotSet] = []
        if open_question != "need" and "need" in answered and answered["need"] is None and states_firm_need(text):
            # "Can I talk to sales? We need a bot that qualifies visitors": a side question or request
            # does not hide the need stated with it.
            events += _slot_events("need", "defined", text, domain)
        if is_interruption(message):
            return events
        role = stated_authority(text)
        if role and open_question not in ("authority", *CONTACT_QUESTIONS) and answered.get("authority", 0) is None:
            part = _role_part(text)
            events += _slot_events("authority", role, part, domain)  # "I'm CTO at Brightpath. We need ..."
            company = company_in_role_statement(part)
            if company and not tracker.get_slot("company"):
                events.append(SlotSet("company", company))
        corrected: list[str] = []

        cue = is_correction_cue(text)
        whole = question_answered(message, CORRECTION_MASS if cue else UNASKED_MASS)
        if whole and whole[0] != open_question and not _taken(events, whole[0]):
            question, category = whole
            # While a contact detail is asked (a name, a company), only an explicit correction counts.
            to_none = answered[question] is not None and category == "none" and not says_none(question, text)
            if answered[question] != category and (cue or open_question not in CONTACT_QUESTIONS) and not to_none:
                events += _slot_events(question, category, text, domain)
                if answered[question] is not None:
                    corrected.append(question)
        went_elsewhere = bool(whole and whole[0] != open_question and _taken(events, whole[0]))

        timeline = None if mentions_topic("budget", text) else future_timeline(text)  # "budget comes in 2 months"
        if timeline and open_question not in ("timeline", *CONTACT_QUESTIONS) and answered.get("timeline") is None:
            if not _taken(events, "timeline"):
                events += _slot_events("timeline", timeline, text, domain)  # "we need it within 2 months"

        if len(text.split()) >= 4:
            # Blocking HTTP calls to Rasa: run them off the action server's event loop, which keeps
            # serving other conversations' actions meanwhile.
            found = await asyncio.to_thread(clause_answers, text, NluClient.from_settings(), open_question)
            for question, answer in found.items():
                previous = tracker.get_slot(question)
                if _taken(events, question):
                    continue
                if question == open_question:
                    # The open question is answered here from its own clause when the message holds several
                    # answers ("probably 2 months. oh and the budget is actually approved now"), or when the
                    # whole message went to another question; else the form reads it.
                    if previous is None and (went_elsewhere or len(found) > 1):
                        events += _slot_events(question, answer.category, answer.text, domain)
                    continue
                if previous is not None:
                    # A clause changes an earlier answer only when it says so ("sorry, I meant 2 weeks").
                    if previous != answer.category and is_correction_cue(answer.text):
                        events += _slot_events(question, answer.category, answer.text, domain)
                        corrected.append(question)
                    continue
                events += _slot_events(question, answer.category, answer.text, domain)
            if "authority" in found and not tracker.get_slot("company") and not _taken(events, "company"):
                company = company_in_role_statement(found["authority"].text)
                if company:
                    events.append(SlotSet("company", company))

        if corrected:
            names = " and ".join(QUESTION_NAMES.get(question, question.replace("_", " ")) for question in corrected)
            dispatcher.utter_message(response="utter_correction_noted", corrected=names)
        return events


# Actions that run before the message is acted on; any other action means it was read already.
EXTRACTION_ACTIONS = frozenset({"action_listen", "action_extract_slots", "action_validate_slot_mappings"})


def already_read(tracker: Tracker) -> bool:
    """Whether this message was read already: Rasa extracts slots again when a form starts (the
    contact form after the last BANT answer), and the message must not be read a second time with no
    question open ("6 months. no wait, 6 weeks" would undo the corrected timeline)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") not in EXTRACTION_ACTIONS:
            return True
    return False


def _role_part(text: str) -> str:
    """The clause that says who decides ("I'm CTO at Brightpath"): the answer reps see, and where a
    company name may follow."""
    for part in split_clauses(text):
        if stated_authority(part):
            return part
    return text


def _taken(events: list[SlotSet], question: str) -> bool:
    return any(event["name"] == question for event in events)


def unanswered_questions(tracker: Tracker) -> list[str]:
    return [slot for slot in question_names() if tracker.get_slot(slot) is None]
