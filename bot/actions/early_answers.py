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
from bot.actions.clauses import NluClient, clause_answers, company_in_role_statement
from bot.actions.understanding import (
    CORRECTION_MASS,
    UNASKED_MASS,
    is_correction_cue,
    is_interruption,
    question_answered,
    question_names,
)
from integrations.settings import Settings

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
        if not text or text.startswith("/") or is_interruption(message):
            return []
        open_question = tracker.get_slot("requested_slot") if tracker.active_loop.get("name") else None
        events: list[SlotSet] = []
        corrected: list[str] = []

        answered = {question: tracker.get_slot(question) for question in question_names()}
        cue = is_correction_cue(text)
        whole = question_answered(message, CORRECTION_MASS if cue else UNASKED_MASS)
        if whole and whole[0] != open_question:
            question, category = whole
            # While a contact detail is asked (a name, a company), only an explicit correction counts.
            if answered[question] != category and (cue or open_question not in CONTACT_QUESTIONS):
                events += _slot_events(question, category, text, domain)
                if answered[question] is not None:
                    corrected.append(question)

        if len(text.split()) >= 4:
            settings = Settings.from_env()
            # Blocking HTTP calls to Rasa: run them off the action server's event loop, which keeps
            # serving other conversations' actions meanwhile.
            client = NluClient(settings.rasa_url, settings.rasa_token)
            found = await asyncio.to_thread(clause_answers, text, client)
            for question, answer in found.items():
                already = any(event["name"] == question for event in events)
                if question == open_question or already or tracker.get_slot(question) is not None:
                    continue  # clauses only fill questions that are still open, never overwrite
                events += _slot_events(question, answer.category, answer.text, domain)
            if "authority" in found and not tracker.get_slot("company"):
                company = company_in_role_statement(found["authority"].text)
                if company:
                    events.append(SlotSet("company", company))

        if corrected:
            names = " and ".join(QUESTION_NAMES.get(question, question.replace("_", " ")) for question in corrected)
            dispatcher.utter_message(response="utter_correction_noted", corrected=names)
        return events


def unanswered_questions(tracker: Tracker) -> list[str]:
    return [slot for slot in question_names() if tracker.get_slot(slot) is None]
