"""Answers to questions not asked yet, and corrections, taken after every message."""

from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from bot.actions.clauses import company_in_role_statement, split_clauses
from bot.actions.early_answers import ValidateEarlyAnswersAndCorrections
from tests.unit.trackers import DOMAIN, make_tracker


def run(tracker) -> tuple[dict, list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateEarlyAnswersAndCorrections().run(dispatcher, tracker, DOMAIN))
    return {event["name"]: event["value"] for event in events}, dispatcher.messages


def test_confident_answer_before_the_question_fills_it() -> None:
    slots, messages = run(make_tracker("next month", "timeline_immediate", 0.97))
    assert slots == {"timeline_detail": "next month", "timeline": "immediate"}
    assert messages == []


def test_correction_after_the_forms_updates_and_says_so() -> None:
    tracker = make_tracker("budget approved now", "budget_allocated", 0.93, slots={"budget": "planned"})
    slots, messages = run(tracker)
    assert slots["budget"] == "allocated"
    assert messages[0]["response"] == "utter_correction_noted"
    assert messages[0]["corrected"] == "your budget"


def test_stated_duration_decides_a_corrected_timeline() -> None:
    tracker = make_tracker("more like 6 months", "timeline_quarter", 0.9, slots={"timeline": "immediate"})
    slots, _ = run(tracker)
    assert slots["timeline"] == "later"


def test_the_open_question_is_left_to_the_form() -> None:
    tracker = make_tracker("next month", "timeline_immediate", 0.97, slots={"requested_slot": "timeline"})
    tracker.active_loop = {"name": "qualification_form"}
    assert run(tracker) == ({}, [])


def test_unsure_or_side_questions_fill_nothing() -> None:
    assert run(make_tracker("maybe soon", "timeline_immediate", 0.5)) == ({}, [])
    assert run(make_tracker("why do you ask?", "ask_why", 0.95)) == ({}, [])
    assert run(make_tracker("/timeline_later", "timeline_later", 1.0)) == ({}, [])


def test_clauses() -> None:
    text = "I'm the CTO at Acme, we need this live next month with a 20k budget"
    assert split_clauses(text) == ["I'm the CTO at Acme", "we need this live next month", "a 20k budget"]
    assert split_clauses("asap") == []
    assert company_in_role_statement("I'm the CTO at Acme Robotics") == "Acme Robotics"
    assert company_in_role_statement("I'm the CTO") is None
