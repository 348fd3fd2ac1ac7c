"""One follow-up when an answer is unclear (docs/design.md section 4: `clarifying`), then the best reading."""

from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from bot.actions.clarify import ASK_ACTIONS, likely_categories
from bot.actions.forms import ValidateQualificationForm
from tests.unit.trackers import DOMAIN, make_tracker

ASK = {action().name(): action() for action in ASK_ACTIONS}
HEDGED = {"authority_decision_maker": 0.42, "authority_influencer": 0.38, "authority_researcher": 0.05, "affirm": 0.1}


def validate(tracker) -> dict:
    events = asyncio.run(ValidateQualificationForm().run(CollectingDispatcher(), tracker, DOMAIN))
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def after_follow_up(question: str) -> list[dict]:
    return [{"event": "slot", "name": "clarifying", "value": question}, {"event": "user", "text": "..."}]


def test_an_unclear_answer_gets_one_follow_up_with_the_likely_answers() -> None:
    tracker = make_tracker("well it's kind of me and kind of my manager", "authority_decision_maker", 0.42, HEDGED,
                           slots={"requested_slot": "authority"}, active_loop="qualification_form")  # fmt: skip
    assert validate(tracker) == {"clarifying": "authority"}  # the question's slot stays empty

    tracker.slots["clarifying"] = "authority"
    dispatcher = CollectingDispatcher()
    asyncio.run(ASK["action_ask_authority"].run(dispatcher, tracker, DOMAIN))
    [message] = dispatcher.messages
    assert message["text"].startswith("Just to be sure")
    assert [button["payload"] for button in message["buttons"]] == [
        "/authority_decision_maker",
        "/authority_influencer",
    ]
    assert message["buttons"][0]["title"] == "I make the decision"  # the question's own quick-reply wording


def test_a_clear_answer_is_taken_at_once() -> None:
    clear = {"authority_decision_maker": 0.9, "authority_influencer": 0.05}
    tracker = make_tracker("I'm the one who signs the contract", "authority_decision_maker", 0.9, clear,
                           slots={"requested_slot": "authority"}, active_loop="qualification_form")  # fmt: skip
    slots = validate(tracker)
    assert slots["authority"] == "decision_maker" and "clarifying" not in slots


def test_after_the_follow_up_the_best_reading_is_taken_and_clarifying_is_cleared() -> None:
    ranking = {**HEDGED, "authority_influencer": 0.45}
    tracker = make_tracker("hmm, a bit of both really", "authority_influencer", 0.45, ranking,
                           slots={"requested_slot": "authority", "clarifying": "authority"},
                           events=after_follow_up("authority"), active_loop="qualification_form")  # fmt: skip
    slots = validate(tracker)
    assert slots["authority"] == "influencer" and slots["clarifying"] is None


def test_after_the_follow_up_an_answer_pointing_nowhere_takes_the_question_s_when_unclear() -> None:
    tracker = make_tracker("purple monkey dishwasher", "nlu_fallback", 0.3, {"nlu_fallback": 0.3, "out_of_scope": 0.2},
                           slots={"requested_slot": "budget", "clarifying": "budget"},
                           events=after_follow_up("budget"), active_loop="qualification_form")  # fmt: skip
    slots = validate(tracker)
    assert slots["budget"] == "unknown" and slots["clarifying"] is None


def test_a_side_question_gets_no_follow_up() -> None:
    tracker = make_tracker("why do you ask?", "ask_why", 0.97, slots={"requested_slot": "authority"},
                           active_loop="qualification_form")  # fmt: skip
    assert validate(tracker) == {}


def test_the_question_itself_is_asked_when_nothing_is_being_clarified() -> None:
    dispatcher = CollectingDispatcher()
    asyncio.run(ASK["action_ask_budget"].run(dispatcher, make_tracker(slots={"requested_slot": "budget"}), DOMAIN))
    assert dispatcher.messages[0]["response"] == "utter_ask_budget"


def test_likely_categories_are_two_or_three() -> None:
    ranking = {"budget_planned": 0.5, "budget_unknown": 0.3, "budget_allocated": 0.15, "budget_none": 0.05}
    message = {
        "text": "depends",
        "intent": {"name": "budget_planned", "confidence": 0.5},
        "intent_ranking": [{"name": name, "confidence": value} for name, value in ranking.items()],
    }
    assert likely_categories("budget", message) == ["planned", "unknown", "allocated"]
