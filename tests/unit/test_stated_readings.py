"""What the visitor's own words state outright: who decides, a need, a self-correction, a billing period.

Phrasings are our own (never the held-out ones in tests/heldout)."""

from __future__ import annotations

import pytest

from bot.actions.durations import days_until, future_timeline, without_billing_periods
from bot.actions.needs import states_firm_need, states_need
from bot.actions.roles import stated_authority
from bot.actions.self_corrections import corrected_part


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("team lead, but I pick the tools for my team", "decision_maker"),
        ("ops manager - it's my call in the end", "decision_maker"),
        ("I'm the director of ops and I approve this kind of spend", "decision_maker"),
        ("head of growth, the tooling budget is mine", "decision_maker"),
        ("I'd be the person signing", "decision_maker"),
        ("product manager, our CTO has the final say", "influencer"),
        ("I look at options, then the owners decide", "influencer"),
        ("I'd need sign-off from finance for that", "influencer"),
        ("I'm not the one who decides that", "influencer"),
        ("the head of IT signs, I just compare vendors", "influencer"),
        ("I can't decide this on my own", None),
        ("CMO", None),
        ("my budget is about 10k", None),
        ("/authority_influencer", None),
    ],
)
def test_who_decides_is_read_from_the_statement_not_the_title(text: str, expected: str | None) -> None:
    assert stated_authority(text) == expected


@pytest.mark.parametrize(
    ("text", "stated", "firm"),
    [
        ("we need a way to sort inbound chats by intent", True, True),
        ("our SDR team needs better signals on who to call", True, True),
        ("we'd love something that books meetings for the reps", True, True),
        ("help us stop wasting time on bad-fit leads", True, True),
        ("we probably need something like this eventually", True, False),
        ("we don't need any of this, thanks", False, False),
        ("we want to see a demo first", False, False),
        ("I'd like some information on pricing", False, False),
        ("we'd need budget approval before anything", False, False),
        ("just browsing", False, False),
    ],
)
def test_a_need_stated_in_so_many_words(text: str, stated: bool, firm: bool) -> None:
    assert states_need(text) is stated
    assert states_firm_need(text) is firm


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("three weeks... no wait, three months", "three months"),
        ("about 10k, actually make that 12k", "12k"),
        ("no idea - sorry, I mean next quarter", "next quarter"),
        ("we actually need it soon", None),
        ("sorry, wrong window", None),
        ("ten weeks", None),
    ],
)
def test_the_words_after_a_self_correction_are_the_answer(text: str, expected: str | None) -> None:
    assert corrected_part(text) == expected


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("12k a year", None),
        ("$900 per month", None),
        ("EUR 40 per seat per month", None),
        ("5000 for the year", None),
        ("we handle 300 tickets/mo", None),
        ("8k a year, and live within a month", 30.4),
        ("in a year", 365),
    ],
)
def test_billing_periods_are_no_timeline(text: str, days: float | None) -> None:
    assert days_until(text) == days


def test_without_billing_periods_keeps_the_amount() -> None:
    assert without_billing_periods("12k a year").strip() == "12k"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ideally we'd go live in seven weeks", "quarter"),
        ("it should be running within 10 days", "immediate"),
        ("our reps take 3 days to reply", None),
        ("leads wait a week before anyone calls", None),
        ("2 months", None),  # a bare duration answers the timeline only when it is asked
        ("20k a year", None),
    ],
)
def test_a_future_duration_answers_the_timeline_before_it_is_asked(text: str, expected: str | None) -> None:
    assert future_timeline(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I run the ops team and hold the tooling budget", "decision_maker"),
        ("I manage the support team, the COO signs off", "influencer"),
        ("I'm the founder of a small studio", "decision_maker"),
        ("I'm the CEO's assistant", None),
    ],
)
def test_the_team_a_visitor_leads_is_not_who_decides(text: str, expected: str | None) -> None:
    assert stated_authority(text) == expected


def test_a_visitor_correcting_their_role_is_not_the_object_of_a_verb() -> None:
    assert stated_authority("let me rephrase: I'm not the one who decides, my manager does") == "influencer"
    assert stated_authority("to be precise, I'm not the decision maker") == "influencer"


def test_needing_it_by_a_date_states_no_need() -> None:
    assert not states_need("we need this running by the end of the month")
    assert not states_need("I want it live before the summer")


def test_a_shared_decision_makes_an_influencer() -> None:
    assert stated_authority("I'm in the group that will choose the vendor") == "influencer"
    assert stated_authority("we pick tools together with procurement") == "influencer"
