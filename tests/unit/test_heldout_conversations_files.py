"""The held-out conversations are well formed, and each expected stage follows the shipped scoring policy."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.actions.policy_files import load_yaml, qualification_file
from bot.actions.scoring import load_policy, qualify
from tests.support.heldout_conversations import BANT, Conversation, load_conversations

CONVERSATIONS = load_conversations()
CATEGORIES = {question: spec["categories"] for question, spec in load_yaml(qualification_file("questions.yml")).items()}


def test_the_suite_is_large_and_varied() -> None:
    kinds = Counter(conversation.kind for conversation in CONVERSATIONS)
    assert len(CONVERSATIONS) >= 80
    assert len(kinds) >= 5 and min(kinds.values()) >= 5
    ends = Counter(conversation.expect.end for conversation in CONVERSATIONS)
    assert ends["stopped"] >= 3 and ends["handed_off"] >= 3
    stages = Counter(conversation.expect.slots.get("lead_stage") for conversation in CONVERSATIONS)
    assert all(stages[stage] >= 10 for stage in ("SQL", "MQL", "IQL"))


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=lambda conversation: conversation.id)
def test_expected_categories_exist(conversation: Conversation) -> None:
    for question in BANT:
        if question in conversation.expect.slots:
            assert conversation.expect.slots[question] in CATEGORIES[question]
        for answer in conversation.answers[question]:
            if answer.say.startswith("/"):
                assert answer.say.removeprefix(f"/{question}_") in CATEGORIES[question], answer.say


@pytest.mark.parametrize(
    "conversation",
    [conversation for conversation in CONVERSATIONS if "lead_stage" in conversation.expect.slots],
    ids=lambda conversation: conversation.id,
)
def test_expected_stage_follows_the_policy(conversation: Conversation) -> None:
    """The stage and temperature were worked out by hand from docs/design.md section 5; scoring.yml must agree."""
    expected = conversation.expect.slots
    result = qualify({question: expected[question] for question in BANT}, load_policy())
    assert (result.stage, result.temperature) == (expected["lead_stage"], expected["lead_temperature"]), result.reasons


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=lambda conversation: conversation.id)
def test_deliberate_ends_are_scripted(conversation: Conversation) -> None:
    """A conversation expected to stop or be handed off has a message that asks for it, and only those do."""
    leaving = [item.ends for item in conversation.interjections if item.ends and not item.then_continue]
    if conversation.opener_ends:
        leaving.append(conversation.opener_ends)
    wanted = {"stopped": "stop", "handed_off": "handoff"}.get(conversation.expect.end)
    assert set(leaving) == ({wanted} if wanted else set())
