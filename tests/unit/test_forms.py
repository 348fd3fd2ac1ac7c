"""The form validation actions, called the way the action server calls them."""

from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import ValidateContactForm, ValidateQualificationForm
from tests.unit.trackers import DOMAIN, make_tracker


def run(action, tracker) -> tuple[dict, list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    slots = {event["name"]: event["value"] for event in events if event["event"] == "slot"}
    return slots, dispatcher.messages


def test_budget_answer_fills_category_amount_and_verbatim_text() -> None:
    text = "we've got about €15.000 set aside"
    tracker = make_tracker(
        text, "budget_allocated", 0.9, slots={"requested_slot": "budget"}, active_loop="qualification_form"
    )
    slots, _ = run(ValidateQualificationForm(), tracker)
    assert slots["budget"] == "allocated"
    assert slots["budget_detail"] == text
    assert (slots["budget_amount"], slots["budget_currency"]) == (15000.0, "EUR")


def test_quick_reply_is_stored_with_its_title() -> None:
    tracker = make_tracker("/need_defined", "need_defined", 1.0, slots={"requested_slot": "need"})
    slots, _ = run(ValidateQualificationForm(), tracker)
    assert slots["need"] == "defined"
    assert slots["need_detail"] == "A specific problem"


def test_side_question_fills_nothing_so_the_form_yields() -> None:
    tracker = make_tracker("why do you ask?", "ask_why", 0.97, slots={"requested_slot": "budget"})
    slots, messages = run(ValidateQualificationForm(), tracker)
    assert slots == {}
    assert messages == []


def test_answer_to_another_question_is_left_to_the_early_answers_action() -> None:
    tracker = make_tracker(
        "we need it live within two weeks", "timeline_immediate", 0.95, slots={"requested_slot": "authority"}
    )
    slots, _ = run(ValidateQualificationForm(), tracker)
    assert slots == {}


def test_correction_of_another_answer_does_not_answer_the_open_question() -> None:
    tracker = make_tracker(
        "actually there's no budget",
        "budget_none",
        0.95,
        {"budget_none": 0.95, "need_none": 0.03},
        slots={"requested_slot": "need", "budget": "allocated"},
    )
    slots, _ = run(ValidateQualificationForm(), tracker)
    assert "need" not in slots


def test_invalid_email_is_explained_and_asked_again() -> None:
    tracker = make_tracker("jane@acme", "nlu_fallback", 0.2, slots={"requested_slot": "email"})
    slots, messages = run(ValidateContactForm(), tracker)
    assert slots["email"] is None
    assert messages[0]["response"] == "utter_invalid_email"
    assert messages[0]["email_attempt"] == "jane@acme"


def test_valid_email_is_normalised_and_free_mail_flagged() -> None:
    tracker = make_tracker("Jane@GMAIL.com", "nlu_fallback", 0.2, slots={"requested_slot": "email"})
    slots, _ = run(ValidateContactForm(), tracker)
    assert slots["email"] == "Jane@gmail.com"
    assert slots["email_is_freemail"] is True


def test_phone_can_be_skipped_and_is_then_not_required() -> None:
    tracker = make_tracker(
        "/skip", "skip", 1.0, slots={"requested_slot": "phone", "person_name": "Jo", "email": "jo@a.io", "company": "A"}
    )
    slots, messages = run(ValidateContactForm(), tracker)
    assert slots["phone_skipped"] is True
    assert slots["phone"] is None
    assert slots["requested_slot"] == "consent"
    assert messages[0]["response"] == "utter_phone_skipped"


def test_invalid_phone_is_asked_again() -> None:
    tracker = make_tracker("12345", "nlu_fallback", 0.3, slots={"requested_slot": "phone"})
    slots, messages = run(ValidateContactForm(), tracker)
    assert slots["phone"] is None
    assert messages[0]["response"] == "utter_invalid_phone"


def test_phone_in_national_format_is_stored_in_e164(monkeypatch) -> None:
    monkeypatch.setenv("DEFAULT_PHONE_REGION", "GB")
    tracker = make_tracker("020 7946 0958", "nlu_fallback", 0.3, slots={"requested_slot": "phone"})
    slots, _ = run(ValidateContactForm(), tracker)
    assert slots["phone"] == "+442079460958"


def test_consent_yes_no_and_unclear() -> None:
    yes, _ = run(ValidateContactForm(), make_tracker("/affirm", "affirm", 1.0, slots={"requested_slot": "consent"}))
    no, _ = run(ValidateContactForm(), make_tracker("no way", "deny", 0.9, slots={"requested_slot": "consent"}))
    unclear, messages = run(
        ValidateContactForm(), make_tracker("what?", "nlu_fallback", 0.2, slots={"requested_slot": "consent"})
    )
    assert yes["consent"] is True
    assert no["consent"] is False
    assert unclear["consent"] is None
    assert messages[0]["response"] == "utter_consent_unclear"


def test_name_with_lead_in_words_and_accents() -> None:
    tracker = make_tracker("I'm Zoë Saint-Éloi", "nlu_fallback", 0.3, slots={"requested_slot": "person_name"})
    slots, _ = run(ValidateContactForm(), tracker)
    assert slots["person_name"] == "Zoë Saint-Éloi"


def test_name_that_contains_a_greeting_word_is_still_the_name() -> None:
    tracker = make_tracker("Maria Hi", "greet", 0.97, slots={"requested_slot": "person_name"})
    slots, _ = run(ValidateContactForm(), tracker)
    assert slots["person_name"] == "Maria Hi"


def test_a_plain_greeting_does_not_answer_the_name_question() -> None:
    tracker = make_tracker("hello there!", "greet", 0.97, slots={"requested_slot": "person_name"})
    slots, _ = run(ValidateContactForm(), tracker)
    assert "person_name" not in slots
