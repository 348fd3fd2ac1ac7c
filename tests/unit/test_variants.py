"""Wording variants of a question (integrations/variants.py, bot/actions/variants.py): assigned in the
configured ratio, sticky per visitor, said by the ask action, recorded in `dialogue_variants` and on the lead."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.clarify import ASK_ACTIONS
from bot.actions.qualify import ActionQualifyLead
from integrations.variants import Variant, all_variants, assign, variants_of
from tests.conftest import ROOT
from tests.unit.test_actions import HOT, leads, qualified_tracker
from tests.unit.trackers import DOMAIN, make_tracker

ASK = {action().name(): action() for action in ASK_ACTIONS}
SOFT = "Have you set money aside for this yet, or is that still to be found?"


def visitor_ids(count: int, seed: int = 19) -> list[str]:
    """Conversation ids as the widget makes them (random, so the hash sees realistic input), fixed by the seed."""
    rng = random.Random(seed)
    return [f"{rng.getrandbits(128):032x}" for _ in range(count)]


def test_visitors_are_split_in_the_configured_ratio() -> None:
    variants = [Variant("direct", 70), Variant("soft", 30)]
    ids = visitor_ids(20_000)
    counts = Counter(assign(sender, "budget", variants).name for sender in ids)
    share = counts["soft"] / len(ids)
    sigma = (0.3 * 0.7 / len(ids)) ** 0.5
    assert abs(share - 0.3) < 4 * sigma, counts  # 4 standard errors: fails by chance about once in 16,000 seeds
    three = [Variant("a", 1), Variant("b", 1), Variant("c", 2)]
    counts = Counter(assign(sender, "timeline", three).name for sender in ids)
    expected = {"a": 5000, "b": 5000, "c": 10_000}
    chi_square = sum((counts[name] - value) ** 2 / value for name, value in expected.items())
    assert chi_square < 13.82, counts  # the chi-square critical value for 2 degrees of freedom at p = 0.001
    # each question is split on its own: a visitor's budget variant says nothing about their timeline variant
    pairs = Counter((assign(s, "budget", variants).name, assign(s, "timeline", three).name) for s in ids)
    assert pairs[("soft", "c")] / len(ids) == pytest.approx(0.3 * 0.5, abs=0.015)


def test_a_visitor_keeps_their_variant() -> None:
    variants = [Variant("direct", 50), Variant("soft", 50)]
    for sender in visitor_ids(200):
        assert len({assign(sender, "budget", variants).name for _ in range(5)}) == 1
    assert variants_of({"variants": [{"name": "only"}]}) == []  # one variant is no test
    assert variants_of({"variants": [{"name": "a", "share": "half"}, {"name": "b"}]}) == []  # `make check` says why
    assert variants_of({"variants": [{"name": "a", "share": 0}, {"name": "b", "share": 0}]}) == []


@pytest.fixture()
def with_variants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = yaml.safe_load((ROOT / "bot" / "qualification" / "questions.yml").read_text())
    config["budget"]["variants"] = [{"name": "direct", "share": 50}, {"name": "soft", "share": 50, "text": SOFT}]
    path = tmp_path / "questions.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    monkeypatch.setenv("QUALIFICATION_DIR", str(tmp_path))
    return path


def ask(tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ASK["action_ask_budget"].run(dispatcher, tracker, DOMAIN))
    return events, dispatcher.messages


def test_the_ask_action_says_the_variant_s_wording_and_records_it(with_variants: Path) -> None:
    variants = all_variants(yaml.safe_load(with_variants.read_text()))["budget"]
    seen = set()
    for sender in visitor_ids(40):
        tracker = make_tracker(slots={"requested_slot": "budget"}, sender_id=sender)
        events, [message] = ask(tracker)
        name = assign(sender, "budget", variants).name
        seen.add(name)
        assert events == [{"event": "slot", "timestamp": None, "name": "dialogue_variants", "value": {"budget": name}}]
        if name == "soft":
            assert message["text"] == SOFT
            assert [button["payload"] for button in message["buttons"]][:2] == ["/budget_allocated", "/budget_planned"]
        else:
            assert message["response"] == "utter_ask_budget"
    assert seen == {"direct", "soft"}


def test_a_recorded_variant_wins_over_a_changed_split_and_other_questions_keep_theirs(with_variants: Path) -> None:
    config = yaml.safe_load(with_variants.read_text())
    config["budget"]["variants"][0]["share"] = 0  # the marketer stops `direct` mid-test
    with_variants.write_text(yaml.safe_dump(config, sort_keys=False))
    tracker = make_tracker(slots={"dialogue_variants": {"budget": "direct", "timeline": "short"}}, sender_id="v1")
    events, [message] = ask(tracker)
    assert events == [] and message["response"] == "utter_ask_budget"  # the same wording after every reload
    tracker = make_tracker(slots={"dialogue_variants": {"timeline": "short"}}, sender_id="v1")
    events, [message] = ask(tracker)
    assert events[0]["value"] == {"timeline": "short", "budget": "soft"} and message["text"] == SOFT


def test_questions_without_variants_and_follow_ups_are_asked_as_before(with_variants: Path) -> None:
    dispatcher = CollectingDispatcher()
    assert asyncio.run(ASK["action_ask_timeline"].run(dispatcher, make_tracker(), DOMAIN)) == []
    assert dispatcher.messages[0]["response"] == "utter_ask_timeline"
    tracker = make_tracker("hmm", "dont_know", slots={"clarifying": "budget"}, sender_id="v2")
    events, [message] = ask(tracker)
    assert events == [] and message["text"].startswith("Just to be sure")


def test_the_lead_keeps_the_variants(action_env: dict[str, str]) -> None:
    tracker = qualified_tracker(HOT)
    tracker.slots["dialogue_variants"] = {"budget": "soft"}
    asyncio.run(ActionQualifyLead().run(CollectingDispatcher(), tracker, DOMAIN))
    [lead] = leads(action_env["DATABASE_URL"])
    assert lead.dialogue_variants == {"budget": "soft"}
    tracker = qualified_tracker(HOT, sender="conv-without")
    asyncio.run(ActionQualifyLead().run(CollectingDispatcher(), tracker, DOMAIN))
    assert [lead.dialogue_variants for lead in leads(action_env["DATABASE_URL"])] == [{"budget": "soft"}, None]
