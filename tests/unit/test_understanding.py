from __future__ import annotations

from datetime import date

from bot.actions.understanding import budget_answer, categorize, is_interruption, question_answered, timeline_answer
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


def test_none_means_none_whichever_question_nlu_matched() -> None:
    message = parse("nothing set aside, no plans to", "timeline_none", 0.95, {"timeline_none": 0.95, "deny": 0.02})
    assert categorize("budget", message, asked=True) == "none"


def test_statements_are_answers_even_when_they_sound_like_an_faq() -> None:
    statement = parse("churn prediction for our accounts", "faq", 0.82, {"faq": 0.82, "need_defined": 0.1})
    question = parse("what does acme do?", "faq", 0.82, {"faq": 0.82, "need_defined": 0.1})
    assert categorize("need", statement, asked=True) == "defined"
    assert categorize("need", question, asked=True) is None


def test_stated_amount_means_budget_is_available() -> None:
    message = parse("CHF 12'000 a year", "budget_none", 0.6, {"budget_none": 0.6, "budget_allocated": 0.3})
    category, amount = budget_answer(message, asked=True)
    assert (category, amount.amount, amount.currency, amount.period) == ("allocated", 12000.0, "CHF", "year")
    assert budget_answer(parse("not even 1k", "budget_none", 0.9), asked=True)[0] == "none"


def test_stated_duration_decides_the_timeline() -> None:
    message = parse("in about six weeks", "timeline_immediate", 0.7)
    assert timeline_answer(message, asked=True, today=date(2026, 11, 25)) == "quarter"
    never = parse("never, just looking around this year", "timeline_none", 0.8)
    assert timeline_answer(never, asked=True, today=date(2026, 11, 25)) == "none"


def test_a_confident_answer_to_another_question_is_not_taken_for_the_open_one() -> None:
    """A timeline given at the role question fills no role (the early-answer action takes the timeline)."""
    message = parse(
        "honestly we'd want it running within two months",
        "timeline_quarter",
        0.88,
        {
            "timeline_quarter": 0.88,
            "authority_decision_maker": 0.05,
            "need_defined": 0.04,
            "authority_influencer": 0.03,
        },
    )
    assert categorize("authority", message, asked=True) is None
    weak_but_present = parse(
        "I sign off on it, we'd want it within two months",
        "timeline_quarter",
        0.8,
        {"timeline_quarter": 0.8, "authority_decision_maker": 0.15, "authority_influencer": 0.05},
    )
    assert categorize("authority", weak_but_present, asked=True) == "decision_maker"


def test_an_unasked_none_needs_the_question_s_topic() -> None:
    """Before the budget is asked, a negation about something else is no "no budget" answer."""
    aside = parse("our inbound demo requests are not getting answered", "budget_none", 0.9)
    assert question_answered(aside, 0.8) is None
    said = parse("we have no money for new tools this year", "budget_none", 0.9)
    assert question_answered(said, 0.8) == ("budget", "none")
    priced = parse("can't spend a cent on this, sorry", "budget_none", 0.9)
    assert question_answered(priced, 0.8) == ("budget", "none")
