"""Global intents (stop, hand-off, goodbye, greeting) count only when the message is the request."""

from __future__ import annotations

import pytest

from integrations.rasa.global_requests import REQUESTS, demote, is_the_request

GATED = frozenset(REQUESTS)


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        ("stop", "stop"),
        ("stop", "please stop"),
        ("stop", "ok stop asking me questions"),
        ("stop", "can we end this here?"),
        ("stop", "I'm done, thanks"),
        ("stop", "not interested anymore"),
        ("stop", "nah, I'd rather leave this chat now"),
        ("stop", "never mind, close the conversation"),
        ("human_handoff", "talk to a human"),
        ("human_handoff", "could I speak with one of your sales reps please"),
        ("human_handoff", "is there a real person I can chat with"),
        ("human_handoff", "connect me to someone from your team"),
        ("goodbye", "ok bye, have a nice day"),
        ("goodbye", "thanks, that's all for today"),
        ("greet", "hello there!"),
        ("greet", "good morning everyone"),
    ],
)
def test_the_request_itself_is_kept(intent: str, text: str) -> None:
    assert is_the_request(intent, text)


@pytest.mark.parametrize(
    ("intent", "text"),
    [
        ("stop", "stop our SDRs from wasting their mornings on junk leads"),
        ("stop", "we want to stop losing inbound leads over the weekend"),
        ("stop", "it should end the manual triage our team does every day"),
        ("human_handoff", "our human reps can't keep up with the chat volume"),
        ("human_handoff", "a person on my team currently screens every form fill"),
        ("goodbye", "bye bye spreadsheets is the goal, we need proper lead routing"),
        ("greet", "hi, we're looking for something to qualify website leads"),
        ("greet", "hello, I'm the head of growth at a 30 person agency"),
    ],
)
def test_a_word_inside_an_answer_is_not_the_request(intent: str, text: str) -> None:
    assert not is_the_request(intent, text)


def test_demoting_reads_the_message_as_the_best_other_intent() -> None:
    data = {
        "intent": {"name": "stop", "confidence": 0.6},
        "intent_ranking": [
            {"name": "stop", "confidence": 0.6},
            {"name": "need_defined", "confidence": 0.3},
            {"name": "goodbye", "confidence": 0.05},
            {"name": "need_exploring", "confidence": 0.05},
        ],
    }
    demote(data, GATED)
    assert data["intent"] == {"name": "need_defined", "confidence": pytest.approx(0.3 / 0.35)}
    names = [item["name"] for item in data["intent_ranking"]]
    assert names == ["need_defined", "need_exploring", "stop", "goodbye"]
    assert sum(item["confidence"] for item in data["intent_ranking"]) == pytest.approx(1.0)


def test_a_ranking_of_only_global_intents_is_left_alone() -> None:
    data = {"intent": {"name": "stop", "confidence": 1.0}, "intent_ranking": [{"name": "stop", "confidence": 1.0}]}
    demote(data, GATED)
    assert data["intent"]["name"] == "stop"
