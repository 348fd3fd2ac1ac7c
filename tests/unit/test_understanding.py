from __future__ import annotations

from bot.actions.understanding import categorize, is_interruption
from tests.unit.trackers import parse


def test_asked_question_takes_best_ranked_category_of_that_question() -> None:
    # NLU's top intent belongs to another question, but the open question is budget.
    message = parse(
        "we'll get money next quarter",
        "timeline_quarter",
        0.6,
        {"timeline_quarter": 0.6, "budget_planned": 0.3, "budget_allocated": 0.05},
    )
    assert categorize("budget", message, asked=True) == "planned"


def test_generic_answers_mean_what_the_question_says() -> None:
    assert categorize("budget", parse("nope", "deny"), asked=True) == "none"
    assert categorize("budget", parse("yes", "affirm"), asked=True) == "allocated"
    assert categorize("budget", parse("no idea", "dont_know"), asked=True) == "unknown"
    assert categorize("timeline", parse("no idea", "dont_know"), asked=True) == "none"


def test_side_questions_are_not_answers() -> None:
    message = parse("why do you need that?", "ask_why", 0.9)
    assert is_interruption(message)
    assert categorize("budget", message, asked=True) is None


def test_unasked_question_needs_a_confident_matching_intent() -> None:
    assert (
        categorize("timeline", parse("we need it next month", "timeline_immediate", 0.93), asked=False) == "immediate"
    )
    assert categorize("timeline", parse("maybe next month", "timeline_immediate", 0.5), asked=False) is None
    assert categorize("timeline", parse("I'm the CEO", "authority_decision_maker", 0.99), asked=False) is None


def test_quick_reply_payload_is_certain() -> None:
    assert (
        categorize("authority", parse("/authority_influencer", "authority_influencer", 1.0), asked=True) == "influencer"
    )
