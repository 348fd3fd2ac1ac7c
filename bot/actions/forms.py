"""Validation of the two forms: the BANT questions and the contact details."""

from __future__ import annotations

import asyncio
import re
from typing import Any, Callable, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions import variants
from bot.actions.clarify import CLARIFYING_SLOT, can_clarify, clarified_before, reading_is_clear
from bot.actions.clauses import NluClient
from bot.actions.contact import MAX_FIELD_LENGTH, check_email, check_phone, clean_company, clean_name
from bot.actions.self_corrections import corrected_part
from bot.actions.understanding import (
    CORRECTION_MASS,
    UNASKED_MASS,
    budget_answer,
    categorize,
    category_shares,
    is_correction_cue,
    is_interruption,
    is_interruption_of_free_text,
    question_answered,
    question_config,
    question_names,
    timeline_reading,
    top_intent,
)
from integrations.settings import Settings
from integrations.variants import in_order

LEADING_YES_RE = re.compile(r"^\W*(?:yes|yep|yeah|yup|sure|of course|ok|okay|fine)\b(?!\s*,?\s*but\b)", re.IGNORECASE)


def verbatim_answer(tracker: Tracker, domain: DomainDict, question: str) -> str:
    """The visitor's own words; for a clicked quick reply, the button's title."""
    text = (tracker.latest_message.get("text") or "").strip()
    if text.startswith("/"):
        for response in domain.get("responses", {}).get(f"utter_ask_{question}", []):
            for button in response.get("buttons", []):
                if button.get("payload") == text:
                    return button["title"]
    return text[: MAX_FIELD_LENGTH * 5]


def answered_so_far(tracker: Tracker) -> dict[str, Any]:
    return {slot: tracker.get_slot(slot) for slot in question_names()}


def answers_taken_this_turn(tracker: Tracker) -> dict[str, Any]:
    """Answers that action_validate_slot_mappings took from the latest message (early or corrected)."""
    questions = question_names()
    taken: dict[str, Any] = {}
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            break
        if event.get("event") == "slot" and event.get("name") in questions:
            taken.setdefault(event["name"], event.get("value"))
    return taken


def message_went_to_another_question(tracker: Tracker, slot: str) -> bool:
    """The whole message answered (or corrected) a different question, so it is no answer to this one."""
    taken = answers_taken_this_turn(tracker)
    text = tracker.latest_message.get("text") or ""
    whole = question_answered(tracker.latest_message, CORRECTION_MASS if is_correction_cue(text) else UNASKED_MASS)
    return bool(whole and whole[0] != slot and whole[0] in taken)


def best_reading(question: str, message: dict[str, Any]) -> str | None:
    """The most likely category, however unsure; the question's `when_unclear` when nothing points anywhere."""
    shares = category_shares(question, message)
    best = max(shares, key=lambda category: shares[category]) if shares else None
    if best is not None and shares[best] > 0:
        return best
    return question_config()[question].get("when_unclear")


def settled_category(
    question: str,
    category: str | None,
    clear: bool,
    tracker: Tracker,
    domain: DomainDict,
    message: dict[str, Any] | None = None,
) -> str | None:
    """The answer to keep, or None to leave the question open (for its follow-up, or asked again).

    Before the one follow-up, an unsure reading is not kept; after it, the best reading is.
    """
    message = message or tracker.latest_message or {}
    if can_clarify(domain, question) and not clarified_before(tracker, question):
        unsure = category is None or not (clear or reading_is_clear(question, message, category))
        return None if unsure else category
    if category is None and tracker.get_slot(CLARIFYING_SLOT) == question and not is_interruption(message):
        return best_reading(question, message)
    return category


async def messages_to_read(tracker: Tracker) -> list[dict[str, Any]]:
    """What to read the open question's answer from, in order: when the visitor corrected themselves
    inside the message ("6 months. no wait, 6 weeks"), first the corrected part alone, parsed by the
    same model; then the whole message."""
    message = tracker.latest_message or {}
    tail = corrected_part(message.get("text") or "")
    if not tail:
        return [message]
    parsed = await asyncio.to_thread(NluClient.from_settings().parse, tail)
    return [parsed, message] if parsed else [message]


def is_requested(tracker: Tracker, slot: str) -> bool:
    return tracker.get_slot("requested_slot") == slot


def declared(domain: DomainDict, slot: str) -> bool:
    return slot in (domain.get("slots") or {})


class ValidateQualificationForm(FormValidationAction):
    """Fills need, authority, budget and timeline from free text or quick replies.

    Any other question listed in bot/qualification/questions.yml (a marketer's new question, such
    as company size) is extracted and validated the same way, without a method of its own: rasa-sdk
    looks up `extract_<slot>` and `validate_<slot>`, and `__getattr__` provides them.
    """

    def name(self) -> str:
        return "validate_qualification_form"

    def __getattr__(self, name: str) -> Callable[..., Any]:
        for prefix in ("extract_", "validate_"):
            question = name.removeprefix(prefix)
            if name.startswith(prefix) and question in (question_config() or {}):
                return self._generic_extractor(question) if prefix == "extract_" else self._generic_validator(question)
        raise AttributeError(name)

    def _generic_extractor(self, question: str) -> Callable[..., Any]:
        async def extract(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
            return await self._extract_category(question, tracker, domain)

        return extract

    def _generic_validator(self, question: str) -> Callable[..., Any]:
        def validate(value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
            return self._keep_details(question, value, tracker)

        return validate

    async def _extract_category(self, slot: str, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        # Only the open question is answered here; early answers and corrections of other
        # questions are taken by action_validate_slot_mappings (early_answers.py).
        if not is_requested(tracker, slot) or message_went_to_another_question(tracker, slot):
            return {}
        for message in await messages_to_read(tracker):
            if slot == "timeline":
                # a stated duration or date decides the timeline by the calendar: no follow-up needed
                category, clear = timeline_reading(message, asked=True, answered=answered_so_far(tracker))
            else:
                category, clear = categorize(slot, message, asked=True, answered=answered_so_far(tracker)), False
            if category is not None:
                break
        category = settled_category(slot, category, clear, tracker, domain, message)
        if category is None:
            return {}
        # Extra slots come first: rasa-sdk drops non-form slots it meets after the form slot's validation.
        detail = f"{slot}_detail"
        if not declared(domain, detail):
            return {slot: category}
        return {detail: verbatim_answer(tracker, domain, slot), slot: category}

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        """The questions in the visitor's order variant (bot/qualification/orders.yml), else the domain's order;
        rasa-sdk then requests the first one not filled yet, so early answers are still skipped."""
        order, _ = variants.order_for(tracker)
        return in_order(domain_slots, order)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        events = await super().run(dispatcher, tracker, domain)
        _, recorded = variants.order_for(tracker)
        # Record a new order only when the form starts or fills something: a SlotSet on a turn that filled
        # nothing would stop Rasa from rejecting the form, so a side question would not be answered.
        filled_any = any(e.get("event") == "slot" and e.get("name") != "requested_slot" for e in events)
        if tracker.get_slot("requested_slot") is None or filled_any:
            events += recorded
        question = tracker.get_slot("requested_slot")
        if question not in question_config():
            return events
        filled = any(event.get("name") == question and event.get("value") is not None for event in events)
        if filled and tracker.get_slot(CLARIFYING_SLOT):
            events.append(SlotSet(CLARIFYING_SLOT, None))
        elif not filled and self._needs_follow_up(question, tracker, domain, events):
            events.append(SlotSet(CLARIFYING_SLOT, question))
        return events

    @staticmethod
    def _needs_follow_up(question: str, tracker: Tracker, domain: DomainDict, events: List[Dict[str, Any]]) -> bool:
        """The open question got no clear answer, and the message was no side question and answered nothing else."""
        message = tracker.latest_message or {}
        text = (message.get("text") or "").strip()
        if not text or text.startswith("/") or is_interruption(message):
            return False
        if not can_clarify(domain, question) or clarified_before(tracker, question):
            return False
        other_answers = [event for event in events if event.get("name") in question_config()]
        whole = question_answered(message, UNASKED_MASS)
        elsewhere = whole is not None and whole[0] != question  # clearly an answer to another question
        return not other_answers and not answers_taken_this_turn(tracker) and not elsewhere

    @staticmethod
    def _keep_details(slot: str, value: Any, tracker: Tracker, extra: tuple[str, ...] = ()) -> Dict[str, Any]:
        """Return the category with the verbatim answer (rasa-sdk only keeps validated form slots)."""
        kept = {slot: value}
        for name in (f"{slot}_detail", *extra):
            if tracker.slots.get(name) is not None:
                kept[name] = tracker.slots[name]
        return kept

    def validate_need(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return self._keep_details("need", value, tracker)

    def validate_authority(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return self._keep_details("authority", value, tracker)

    def validate_budget(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return self._keep_details("budget", value, tracker, ("budget_amount", "budget_currency", "budget_period"))

    def validate_timeline(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return self._keep_details("timeline", value, tracker)

    async def extract_need(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return await self._extract_category("need", tracker, domain)

    async def extract_authority(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return await self._extract_category("authority", tracker, domain)

    async def extract_timeline(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return await self._extract_category("timeline", tracker, domain)

    async def extract_budget(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if not is_requested(tracker, "budget") or message_went_to_another_question(tracker, "budget"):
            return {}
        for message in await messages_to_read(tracker):
            category, amount = budget_answer(message, asked=True, answered=answered_so_far(tracker))
            if category is not None:
                break
        category = settled_category("budget", category, amount is not None, tracker, domain, message)
        if category is None:
            return {}
        slots: dict[str, Any] = {"budget_detail": verbatim_answer(tracker, domain, "budget")}
        if amount:
            slots.update(budget_amount=amount.amount, budget_currency=amount.currency, budget_period=amount.period)
        # The form slot comes last: rasa-sdk drops non-form slots it meets after the form slot's validation.
        return {**slots, "budget": category}


class ValidateContactForm(FormValidationAction):
    """Fills and checks name, email, company, optional phone and consent."""

    def name(self) -> str:
        return "validate_contact_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        taken = answers_taken_this_turn(tracker)
        events = await super().run(dispatcher, tracker, domain)
        # A correction of a BANT answer mid-form is no contact detail; re-stating it tells Rasa the
        # message was understood, so the form asks its question again instead of giving up.
        return events + [SlotSet(slot, value) for slot, value in taken.items()]

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        if tracker.get_slot("phone_skipped"):
            return [slot for slot in domain_slots if slot != "phone"]
        return domain_slots

    @staticmethod
    def _answer_text(tracker: Tracker, slot: str) -> str | None:
        """The raw answer when `slot` is the open question and the message is neither a side question
        nor a correction of an earlier answer (which action_validate_slot_mappings takes)."""
        if not is_requested(tracker, slot) or is_interruption_of_free_text(tracker.latest_message):
            return None
        if answers_taken_this_turn(tracker):
            return None
        text = (tracker.latest_message.get("text") or "").strip()
        return text or None

    async def extract_person_name(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        text = self._answer_text(tracker, "person_name")
        return {"person_name": text} if text else {}

    async def extract_email(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        text = self._answer_text(tracker, "email")
        return {"email": text} if text else {}

    async def extract_company(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        text = self._answer_text(tracker, "company")
        return {"company": text} if text else {}

    async def extract_phone(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        text = self._answer_text(tracker, "phone")
        if not text:
            return {}
        intent, _ = top_intent(tracker.latest_message)
        # Words without a single digit can't be a number: it's a "no thanks" in some form.
        if intent != "affirm" and not any(ch.isdigit() for ch in text):
            return {"phone": "skip"}
        return {"phone": text}

    async def extract_consent(self, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        if not is_requested(tracker, "consent") or is_interruption(tracker.latest_message):
            return {}
        intent, _ = top_intent(tracker.latest_message)
        if intent == "affirm" or LEADING_YES_RE.match(tracker.latest_message.get("text") or ""):
            return {"consent": True}  # "yes, you can stop asking now": the answer comes first
        if intent in ("deny", "stop"):
            return {"consent": False}
        return {"consent": "unclear"}

    def validate_person_name(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        name = clean_name(str(value))
        if name is None:
            dispatcher.utter_message(response="utter_invalid_name")
        return {"person_name": name}

    def validate_email(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        check = check_email(str(value))
        if check.email is None:
            attempt = str(value)[:80]
            dispatcher.utter_message(response="utter_invalid_email", email_attempt=attempt, reason=check.problem)
            return {"email": None}
        if check.is_freemail:
            dispatcher.utter_message(response="utter_freemail_noted")
        return {"email": check.email, "email_is_freemail": check.is_freemail}

    def validate_company(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        company = clean_company(str(value))
        if company is None:
            dispatcher.utter_message(response="utter_invalid_company")
        return {"company": company}

    def validate_phone(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        if value == "skip":
            dispatcher.utter_message(response="utter_phone_skipped")
            return {"phone": None, "phone_skipped": True}
        phone = check_phone(str(value), Settings.from_env().default_phone_region)
        if phone is None:
            dispatcher.utter_message(response="utter_invalid_phone", phone_attempt=str(value)[:60])
        return {"phone": phone}

    def validate_consent(self, value: Any, dispatcher, tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        if value not in (True, False):
            dispatcher.utter_message(response="utter_consent_unclear")
            return {"consent": None}
        return {"consent": value}
