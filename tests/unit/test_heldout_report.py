"""The held-out conversation report: what counts as a mistake, and the figures it sums up."""

from __future__ import annotations

from collections import Counter

from tests.support.heldout_conversations import load_conversations
from tests.support.heldout_report import Outcome, render, summarize

CONVERSATION = next(conversation for conversation in load_conversations() if conversation.id == "typed-01")
EXPECTED = {**CONVERSATION.expect.slots, **CONVERSATION.expect.contact}


def test_a_conversation_that_went_as_expected_has_no_mistakes() -> None:
    outcome = Outcome(CONVERSATION, slots=dict(EXPECTED), end="completed", turns=9)
    assert outcome.mistakes() == []
    summary = summarize([outcome], seconds=1.0)
    assert (summary["stage_accuracy"], summary["slot_accuracy"], summary["asked_twice"]) == (1.0, 1.0, 0)
    assert summary["failing"] == {}


def test_every_kind_of_mistake_is_reported_once_with_a_reason() -> None:
    outcome = Outcome(
        CONVERSATION,
        slots={**EXPECTED, "authority": "influencer", "lead_stage": "MQL", "email": None},
        end="completed",
        asked_twice=Counter({"need": 1}),
        clarifications=Counter({"budget": 1}),
        accidental=[("handed off", "a human would be nice")],
    )
    kinds = [kind for kind, _ in outcome.mistakes()]
    assert kinds == ["wrong category", "wrong stage", "asked twice", "handed off by mistake", "wrong contact detail"]
    summary = summarize([outcome, Outcome(CONVERSATION, slots=dict(EXPECTED), end="completed")], seconds=1.0)
    assert summary["stage_accuracy"] == 0.5 and summary["per_slot"]["authority"] == 0.5
    assert summary["confusion"]["authority"] == {"decision_maker": {"influencer": 1, "decision_maker": 1}}
    assert (summary["accidental_handoffs"], summary["clarifications_per_conversation"]) == (1, 0.5)
    assert "typed-01: authority: expected decision_maker, got influencer" in render(summary)


def test_a_conversation_that_never_finished_says_why() -> None:
    outcome = Outcome(CONVERSATION, end="unfinished", unfinished_reason="loop guard: 25 visitor turns")
    assert ("unfinished", "ended unfinished, expected completed (loop guard: 25 visitor turns)") in outcome.mistakes()
